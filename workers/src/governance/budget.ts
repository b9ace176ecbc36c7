// Reserving across the org-wide ceiling and the team budget: the org's ledger
// ("org:<org id>") holds first, then the team's; a team refusal releases the org's hold.
// Both holds share one idempotency key, so a retry replays both and a settle or release
// of the team reservation finds the org's by that key.
import type { Env } from "../env";
import type { ReserveRequest, ReserveResult, UsageDetails } from "../../../durable-objects/budget-ledger";
import { fail } from "../domain/errors";
import { budgetLedger } from "./desk";

export const orgLedger = (env: Pick<Env, "BUDGET_LEDGER">, orgId: string) => budgetLedger(env, `org:${orgId}`);

export async function reserveWithCeiling(env: Env, orgId: string, teamId: string, req: ReserveRequest): Promise<ReserveResult> {
  // The ceiling is across teams: its holds carry no per-user/repo/agent dimensions.
  const org = await orgLedger(env, orgId).reserve({ ...req, user: null, repo: null, agent: null });
  if (!org.ok) return org;
  const team = await budgetLedger(env, teamId).reserve(req);
  if (!team.ok) await orgLedger(env, orgId).releaseByKey(req.idempotencyKey);
  return team;
}

export async function settleWithCeiling(env: Env, orgId: string, teamId: string, reservationId: string, actual: { micros: number; tokens: number }, usage: UsageDetails) {
  const result = await budgetLedger(env, teamId).settle(reservationId, actual, usage);
  if (result.ok) await orgLedger(env, orgId).settleByKey(result.reservation.idempotencyKey, actual);
  return result;
}

export async function releaseWithCeiling(env: Env, orgId: string, teamId: string, reservationId: string) {
  const result = await budgetLedger(env, teamId).release(reservationId);
  if (result.ok) await orgLedger(env, orgId).releaseByKey(result.reservation.idempotencyKey);
  return result;
}

/** A refusal from either ledger, as the one 402 problem (what is left, when it resets). */
export function refusalToProblem(result: Extract<ReserveResult, { ok: false }>): never {
  return fail({
    kind: "budget_refused",
    detail: `The reservation does not fit: ${result.reason.replace("_", " ")} (${result.remaining} of ${result.limit} ${result.unit} left this period).`,
    reason: result.reason,
    unit: result.unit,
    limit: result.limit,
    remaining: result.remaining,
    resetsAt: new Date(result.resetsAt).toISOString(),
  });
}
