// Showback arithmetic: the run-rate forecast of a budget period, UTC day buckets and exact
// micro-dollar → USD text. Pure (the clock is an argument); routes/usage.ts is its HTTP face.
// Money stays integer: products that could pass 2^53 are taken in BigInt.

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * The shortest stretch a rate is measured over. A period that began minutes ago would
 * otherwise turn one early request into a projection of thousands of dollars; below one hour
 * the spend so far is treated as one hour's worth.
 */
export const MIN_RATE_WINDOW_MS = HOUR_MS;

export interface RunRateInput {
  /** Period start and (exclusive) end, ms since epoch. */
  periodStart: number;
  periodEnd: number;
  now: number;
  /** Settled spend this period, integer micro-dollars. */
  spentMicros: number;
  /** Hard limit, integer micro-dollars; null = no limit. */
  limitMicros: number | null;
}

export interface RunRateForecast {
  /**
   * Spend at period end if the rate so far holds; rounded up, never below spentMicros,
   * capped at Number.MAX_SAFE_INTEGER (about $9 billion) so it stays an exact integer.
   */
  projectedMicros: number;
  /** The rate so far per 24 hours, rounded up. */
  dailyRateMicros: number;
  /**
   * When spend reaches the limit at that rate (ISO, rounded down to the ms); the current
   * time when it already has; null with no limit or when it would not before period end.
   */
  runsOutAt: string | null;
  /** The projected spend passes the limit (true already once spend has passed it). */
  overLimit: boolean;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const toSafeNumber = (n: bigint): number => Number(n > MAX_SAFE ? MAX_SAFE : n);

/** ⌈a / b⌉ for non-negative a and positive b. */
const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

export function runRateForecast({ periodStart, periodEnd, now, spentMicros, limitMicros }: RunRateInput): RunRateForecast {
  if (![periodStart, periodEnd, now].every(Number.isSafeInteger)) throw new RangeError("times must be integer ms since the epoch");
  if (periodEnd <= periodStart) throw new RangeError("the period must end after it starts");
  for (const m of [spentMicros, limitMicros ?? 0]) if (!Number.isSafeInteger(m) || m < 0) throw new RangeError(`not a non-negative integer amount: ${m}`);
  // A clock outside the period counts as its nearest edge: before it nothing has elapsed,
  // after it nothing remains.
  const at = Math.min(Math.max(now, periodStart), periodEnd);
  const elapsed = BigInt(Math.max(at - periodStart, MIN_RATE_WINDOW_MS));
  const remaining = BigInt(periodEnd - at);
  const spent = BigInt(spentMicros);

  // INVARIANT: projected = spent + ⌈spent × remaining / elapsed⌉ ≥ spent, even when the
  // period is shorter than the minimum rate window.
  const projected = spent + ceilDiv(spent * remaining, elapsed);
  const dailyRate = ceilDiv(spent * BigInt(DAY_MS), elapsed);

  let runsOutAt: string | null = null;
  if (limitMicros !== null) {
    const limit = BigInt(limitMicros);
    if (spent >= limit) runsOutAt = new Date(at).toISOString();
    else if (spent > 0n && (limit - spent) * elapsed < remaining * spent) {
      // Exact test above (reached strictly before the end); the instant itself rounds down.
      runsOutAt = new Date(at + Number(((limit - spent) * elapsed) / spent)).toISOString();
    }
  }
  return {
    projectedMicros: toSafeNumber(projected),
    dailyRateMicros: toSafeNumber(dailyRate),
    runsOutAt,
    overLimit: limitMicros !== null && projected > BigInt(limitMicros),
  };
}

/** The UTC day an instant falls on, "YYYY-MM-DD". Throws on a string that is not a time. */
export function bucketDay(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not a time: ${iso}`);
  return new Date(ms).toISOString().slice(0, 10);
}

/** Every UTC day from the one holding `fromMs` to the one holding `toMs`, inclusive. */
export function utcDays(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  for (let d = Math.floor(fromMs / DAY_MS) * DAY_MS; d <= toMs; d += DAY_MS) days.push(new Date(d).toISOString().slice(0, 10));
  return days;
}

/** Integer micro-dollars as a USD decimal string with six places: 1234567 → "1.234567". */
export function microsToUsd(micros: number): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError(`not an integer amount: ${micros}`);
  const digits = Math.abs(micros).toString().padStart(7, "0");
  return `${micros < 0 ? "-" : ""}${digits.slice(0, -6)}.${digits.slice(-6)}`;
}
