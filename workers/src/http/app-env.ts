// Hono's typing for sysop: the bindings and the per-request variables middleware sets.
import type { Env } from "../env";
import type { Principal } from "../auth/principal";
import type { RunnerRow } from "../db/schema";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
    /** On /v1/runner/*: the enrolled runner whose signed token authenticated the call. */
    runner: RunnerRow;
  };
}
