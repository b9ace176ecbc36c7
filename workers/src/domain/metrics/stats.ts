// The small arithmetic under every outcome metric: ISO times to milliseconds, the half-open
// period test, quantiles, means, and the constructors that turn a sample into a MetricValue
// (an empty sample or a zero divisor gives value null, never NaN or Infinity).

import type { MetricValue } from "./types";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A period [fromMs, toMs) in ms since the epoch. */
export interface Period {
  fromMs: number;
  toMs: number;
}

/** ms since the epoch; throws on a string that is not a time (a bad row is a bug, not a zero). */
export function toMs(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not a time: ${iso}`);
  return ms;
}

/** Whether an instant falls in [from, to): from inclusive, to exclusive, so adjacent periods never count it twice. */
export const inPeriod = (iso: string | null, p: Period): boolean => {
  if (iso === null) return false;
  const ms = toMs(iso);
  return ms >= p.fromMs && ms < p.toMs;
};

/**
 * Hours from `start` to `end`. An end before its start (clock skew between systems) counts
 * as zero rather than a negative duration that would drag a median below what is possible.
 */
export const hoursBetween = (start: string, end: string): number => Math.max(0, toMs(end) - toMs(start)) / HOUR_MS;

/**
 * The q-quantile (0 ≤ q ≤ 1) by linear interpolation between closest ranks (Hyndman & Fan
 * type 7, what NumPy and spreadsheets default to): the median of an even count is the mean of
 * the two middle values. Null for an empty sample.
 */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const low = sorted[lo]!;
  return low + (sorted[hi]! - low) * (rank - lo);
}

export const mean = (values: readonly number[]): number | null => (values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length);

/** What a metric is, independent of any data: its unit and the sentence that defines it. */
export interface MetricMeta {
  unit: string;
  definition: string;
}

const noData = (meta: MetricMeta): MetricValue => ({ value: null, sampleSize: 0, ...meta });

/** part / whole; the sample is the whole. */
export function ratioMetric(meta: MetricMeta, part: number, whole: number): MetricValue {
  return whole === 0 ? noData(meta) : { value: part / whole, sampleSize: whole, ...meta };
}

export function quantileMetric(meta: MetricMeta, values: readonly number[], q: number): MetricValue {
  const value = quantile(values, q);
  return value === null ? noData(meta) : { value, sampleSize: values.length, ...meta };
}

export function meanMetric(meta: MetricMeta, values: readonly number[]): MetricValue {
  const value = mean(values);
  return value === null ? noData(meta) : { value, sampleSize: values.length, ...meta };
}

/** count / days: a rate per day over a sample of `count` events; no events reads as no data. */
export function perDayMetric(meta: MetricMeta, count: number, days: number): MetricValue {
  return count === 0 || days <= 0 ? noData(meta) : { value: count / days, sampleSize: count, ...meta };
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * ⌈totalMicros / count⌉ in integer micro-dollars (house rule: money is integers; rounding up
 * so a per-change cost is never understated). BigInt, so a total past 2^53 divides exactly;
 * capped at Number.MAX_SAFE_INTEGER (about $9 billion) so the answer stays an exact integer.
 */
export function microsPerMetric(meta: MetricMeta, totalMicros: bigint, count: number): MetricValue {
  if (count === 0) return noData(meta);
  const n = BigInt(count);
  const perChange = (totalMicros + n - 1n) / n;
  return { value: Number(perChange > MAX_SAFE ? MAX_SAFE : perChange), sampleSize: count, ...meta };
}
