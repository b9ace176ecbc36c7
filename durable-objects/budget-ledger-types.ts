// What a BudgetLedger takes and answers: its RPC types, shared by the Worker's routes and
// the gateway (type-only imports, so the Worker's modules don't pull in the object).
import type { PeriodSpec, PeriodWindow } from "../workers/src/domain/budget/period";
import type { BudgetLimits, Counter, Refusal } from "../workers/src/domain/budget/ledger";

export interface LedgerConfig extends PeriodSpec, BudgetLimits {}

export interface ReserveRequest {
  idempotencyKey: string;
  micros: number;
  tokens: number;
  user: string | null;
  repo: string | null;
  agent: string | null;
  ttlSeconds: number;
}

export interface Reservation {
  id: string;
  idempotencyKey: string;
  status: "held" | "settled" | "released" | "expired";
  micros: number;
  tokens: number;
  user: string | null;
  repo: string | null;
  agent: string | null;
  windowStart: number;
  createdAt: number;
  expiresAt: number;
  settledMicros: number | null;
  settledTokens: number | null;
}

export type ReserveResult =
  | { ok: true; reservation: Reservation; replayed: boolean; softLimitCrossed: boolean }
  | { ok: false; reason: Refusal; limit: number; used: number; remaining: number; unit: "micros" | "tokens"; resetsAt: number };

export interface UsageDetails {
  orgId: string;
  teamId: string;
  taskId: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export type SettleResult =
  | { ok: true; reservation: Reservation; softLimitCrossed: boolean }
  | { ok: false; reason: "not_found" | "released" | "expired" };

export interface LedgerStatus {
  config: LedgerConfig | null;
  window: PeriodWindow;
  team: Counter;
  remaining: { micros: number | null; tokens: number | null };
  /** Temporary increases approved for this period (they end with it). */
  increases: TemporaryIncrease[];
}

export interface TemporaryIncrease {
  approvalId: string;
  addMicros: number;
  addTokens: number;
  windowStart: number;
  grantedAt: number;
}
