// Reserving across the org-wide ceiling and the team budget: both ledgers are asked at
// once (one round trip, not two); if either refuses, the other's hold is undone as if never
// asked, so a retry with the same key is asked afresh in both. Both holds share one
// idempotency key, so a settle or release of the team reservation finds the org's by it.
// An org without a ceiling has nothing to hold: its side answers without writing.
import { and, eq, gte, lt, sql } from "drizzle-orm";
import type { Env } from "../env";
import type { LedgerStatus, ReserveRequest, ReserveResult, UsageDetails } from "../../../durable-objects/budget-ledger-types";
import { database } from "../db/client";
import { usageRecords } from "../db/schema";
import { fail } from "../domain/errors";
import { budgetLedger } from "./desk";

export const orgLedger = (env: Pick<Env, "BUDGET_LEDGER">, orgId: string) => budgetLedger(env, `org:${orgId}`);

/**
 * The two ledgers one hold touches, addressed once: a caller that reserves and later settles
 * in the same request passes the same pair, so the request builds two stubs instead of four
 * (each stub is a handful of runtime objects the isolate's collector must destroy).
 */
export type Ledgers = { org: ReturnType<typeof orgLedger>; team: ReturnType<typeof budgetLedger> };
export const ledgersOf = (env: Pick<Env, "BUDGET_LEDGER">, orgId: string, teamId: string): Ledgers => ({ org: orgLedger(env, orgId), team: budgetLedger(env, teamId) });

/**
 * The org's ledger status. Without a ceiling the ledger holds nothing, so the period's
 * spend (a calendar month) comes from the usage rows instead.
 */
export async function orgCeilingStatus(env: Env, orgId: string): Promise<LedgerStatus> {
  const status = await orgLedger(env, orgId).status();
  if (status.config !== null) return status;
  const [spent] = await database(env)
    .select({ micros: sql<number>`coalesce(sum(${usageRecords.costMicros}), 0)`, tokens: sql<number>`coalesce(sum(${usageRecords.tokens}), 0)` })
    .from(usageRecords)
    .where(and(eq(usageRecords.orgId, orgId), gte(usageRecords.createdAt, new Date(status.window.start).toISOString()), lt(usageRecords.createdAt, new Date(status.window.end).toISOString())));
  return { ...status, team: { spentMicros: spent?.micros ?? 0, heldMicros: 0, spentTokens: spent?.tokens ?? 0, heldTokens: 0 } };
}

/**
 * The team's answer; `orgHeld` says whether the org's ledger holds a part too (false without
 * a ceiling), so a settle or release that knows it can skip asking that ledger.
 */
export async function reserveWithCeiling(ledgers: Ledgers, req: ReserveRequest): Promise<ReserveResult & { orgHeld?: boolean }> {
  const [org, team] = await Promise.all([
    // The ceiling is across teams: its holds carry no per-user/repo/agent dimensions.
    ledgers.org.reserveUnderCeiling({ ...req, user: null, repo: null, agent: null }),
    ledgers.team.reserve(req),
  ]);
  const orgHeld = org.ok && !("noCeiling" in org);
  if (org.ok && team.ok) return { ...team, orgHeld };
  await Promise.all([orgHeld ? ledgers.org.undoByKey(req.idempotencyKey) : null, team.ok ? ledgers.team.undoByKey(req.idempotencyKey) : null]);
  return !org.ok ? org : team;
}

/** `orgHeld: false` (from reserveWithCeiling) skips the org's ledger: it holds nothing by this key. */
export async function settleWithCeiling(
  ledgers: Ledgers,
  reservationId: string,
  actual: { micros: number; tokens: number },
  usage: UsageDetails,
  orgHeld = true,
) {
  const result = await ledgers.team.settle(reservationId, actual, usage);
  if (result.ok && orgHeld) await ledgers.org.settleByKey(result.reservation.idempotencyKey, actual);
  return result;
}

export async function releaseWithCeiling(ledgers: Ledgers, reservationId: string, orgHeld = true) {
  const result = await ledgers.team.release(reservationId);
  if (result.ok && orgHeld) await ledgers.org.releaseByKey(result.reservation.idempotencyKey);
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
