// Addresses the org's DecisionDesk and the teams' ApprovalDesks. Routes that change what decisions depend on (policies,
// repos and their path scopes) call invalidate() after their write.
import type { Env } from "../env";

export const decisionDesk = (env: Pick<Env, "DECISION_DESK">, orgId: string) => env.DECISION_DESK.getByName(orgId);

/** The team's approval desk; requests without a team go to the org's own desk. */
export const approvalDesk = (env: Pick<Env, "APPROVAL_DESK">, orgId: string, teamId: string | null) =>
  env.APPROVAL_DESK.getByName(teamId ?? `org:${orgId}`);

/** A team's budget ledger (the org-wide ceiling, when set, lives at "org:<org id>"). */
export const budgetLedger = (env: Pick<Env, "BUDGET_LEDGER">, teamId: string) => env.BUDGET_LEDGER.getByName(teamId);

/** A runner pool's bridge: its queue and leases. */
export const runnerBridge = (env: Pick<Env, "RUNNER_BRIDGE">, poolId: string) => env.RUNNER_BRIDGE.getByName(poolId);
