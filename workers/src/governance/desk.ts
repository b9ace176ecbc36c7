// Addresses the org's DecisionDesk. Routes that change what decisions depend on (policies,
// repos and their path scopes) call invalidate() after their write.
import type { Env } from "../env";

export const decisionDesk = (env: Pick<Env, "DECISION_DESK">, orgId: string) => env.DECISION_DESK.getByName(orgId);
