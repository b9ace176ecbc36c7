// Default weights for priority scoring and the one scale that is not a plain count (revenue).
// Calibrated so one point is about one open low-severity support ticket; an org overrides any
// of them. Read by rank.ts; returned by the settings API so users see what they are changing.

import type { PriorityWeights, SeverityWeights } from "./types";

/**
 * With these, a high ticket is 4 points, a $70k blocked deal 9, a critical incident in the
 * window 16, a strategic debt item 4, and age tops out at 4.5 (90 days): age breaks ties
 * between otherwise quiet items rather than outranking live pain.
 */
export const DEFAULT_PRIORITY_WEIGHTS: PriorityWeights = {
  supportLoad: 1,
  revenueAtRisk: 3,
  incidentRecurrence: 2,
  strategicDebt: 4,
  age: 0.05,
};

/** Doubling per step: one critical outweighs a handful of lows, not a hundred. */
export const DEFAULT_SEVERITY_WEIGHTS: SeverityWeights = { critical: 8, high: 4, medium: 2, low: 1, unrated: 1 };

export const DEFAULT_AGE_CAP_DAYS = 90;

/** Support-ticket trend compares the last this-many days with the same span before it. */
export const TREND_DAYS = 7;

/** $10,000 in micro-dollars: the unit revenue at risk is measured in. */
export const REVENUE_UNIT_MICROS = 10_000_000_000;

/**
 * Revenue at risk in points: log2(1 + ARR / $10k). Each doubling of (ARR + $10k) adds one
 * point ($10k → 1, $30k → 2, $70k → 3, $150k → 4, $1.27M → 7), so one large deal counts
 * heavily without burying every other signal, as a linear scale would.
 */
export const revenuePoints = (arrMicros: number): number => Math.log2(1 + arrMicros / REVENUE_UNIT_MICROS);
