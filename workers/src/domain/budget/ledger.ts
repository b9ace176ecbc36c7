// Budget arithmetic, as pure functions over integer micro-dollars and tokens: whether a
// reservation fits (team limit, token limit, per-user/repo/agent caps), what is left, and
// whether a change crosses the soft limit. The BudgetLedger Durable Object holds the
// counters and calls these inside one storage transaction, so concurrent reservations see
// each other's holds and the sum held never passes a limit.

export interface BudgetLimits {
  /** Hard limit per period in micro-dollars; null = no limit (spend is still tracked). */
  limitMicros: number | null;
  /** Alert once per period when spent + held passes it. */
  softLimitMicros: number | null;
  limitTokens: number | null;
  /** The same cap for each user, repo and agent inside the team budget. */
  perUserMicros: number | null;
  perRepoMicros: number | null;
  perAgentMicros: number | null;
}

export interface Counter {
  spentMicros: number;
  heldMicros: number;
  spentTokens: number;
  heldTokens: number;
}

export const ZERO: Counter = { spentMicros: 0, heldMicros: 0, spentTokens: 0, heldTokens: 0 };

export interface ReservationAsk {
  micros: number;
  tokens: number;
  user: string | null;
  repo: string | null;
  agent: string | null;
}

export type Refusal = "limit_micros" | "limit_tokens" | "user_cap" | "repo_cap" | "agent_cap";

export type Fit =
  | { ok: true }
  | { ok: false; reason: Refusal; limit: number; used: number; remaining: number; unit: "micros" | "tokens" };

const used = (c: Counter) => c.spentMicros + c.heldMicros;

function within(limit: number | null, current: number, ask: number, reason: Refusal, unit: "micros" | "tokens"): Fit {
  if (limit === null || current + ask <= limit) return { ok: true };
  return { ok: false, reason, limit, used: current, remaining: Math.max(0, limit - current), unit };
}

/**
 * The limits this period, raised by the temporary increases approved for it. A limit that is
 * not set stays unset (there is nothing to raise); caps and the soft limit stay as set.
 */
export function withIncreases(limits: BudgetLimits, added: { micros: number; tokens: number }): BudgetLimits {
  return {
    ...limits,
    limitMicros: limits.limitMicros === null ? null : limits.limitMicros + added.micros,
    limitTokens: limits.limitTokens === null ? null : limits.limitTokens + added.tokens,
  };
}

/** INVARIANT: if this says ok, used + ask stays within every limit that applies. */
export function fits(limits: BudgetLimits, team: Counter, dims: { user: Counter; repo: Counter; agent: Counter }, ask: ReservationAsk): Fit {
  const checks: Fit[] = [
    within(limits.limitMicros, used(team), ask.micros, "limit_micros", "micros"),
    within(limits.limitTokens, team.spentTokens + team.heldTokens, ask.tokens, "limit_tokens", "tokens"),
    ask.user ? within(limits.perUserMicros, used(dims.user), ask.micros, "user_cap", "micros") : { ok: true },
    ask.repo ? within(limits.perRepoMicros, used(dims.repo), ask.micros, "repo_cap", "micros") : { ok: true },
    ask.agent ? within(limits.perAgentMicros, used(dims.agent), ask.micros, "agent_cap", "micros") : { ok: true },
  ];
  return checks.find((c) => !c.ok) ?? { ok: true };
}

export function remaining(limits: BudgetLimits, team: Counter): { micros: number | null; tokens: number | null } {
  return {
    micros: limits.limitMicros === null ? null : Math.max(0, limits.limitMicros - used(team)),
    tokens: limits.limitTokens === null ? null : Math.max(0, limits.limitTokens - team.spentTokens - team.heldTokens),
  };
}

/** Whether moving from `before` to `after` crosses the soft limit (the alert fires once). */
export function crossesSoftLimit(limits: BudgetLimits, before: Counter, after: Counter): boolean {
  return limits.softLimitMicros !== null && used(before) < limits.softLimitMicros && used(after) >= limits.softLimitMicros;
}

export const hold = (c: Counter, micros: number, tokens: number): Counter => ({ ...c, heldMicros: c.heldMicros + micros, heldTokens: c.heldTokens + tokens });
export const unhold = (c: Counter, micros: number, tokens: number): Counter => ({ ...c, heldMicros: c.heldMicros - micros, heldTokens: c.heldTokens - tokens });
export const spend = (c: Counter, micros: number, tokens: number): Counter => ({ ...c, spentMicros: c.spentMicros + micros, spentTokens: c.spentTokens + tokens });
