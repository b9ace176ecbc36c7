// Hono's typing for sysop: the bindings and the per-request variables middleware sets.
import type { Env } from "../env";
import type { Principal } from "../auth/principal";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
  };
}
