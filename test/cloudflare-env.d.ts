// Types `env` from "cloudflare:test" as the Worker's own bindings plus the test-only ones.
import type { Env as SysopEnv } from "../workers/src/env";
import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env extends SysopEnv {
      TEST_MIGRATIONS: D1Migration[];
      TEST_SINK_URL: string;
    }
  }
}
