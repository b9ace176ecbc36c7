// The change-level outcome metrics (acceptance, iterations, review latency, cycle time,
// rework, incident links, cost per accepted change) over one group of changes and one period.
// Pure; computeMetrics (compute.ts) calls it once per origin and once for all.

import type { HistoryLinks } from "./links";
import { DAY_MS, hoursBetween, inPeriod, meanMetric, microsPerMetric, quantileMetric, ratioMetric, toMs, type MetricMeta, type Period } from "./stats";
import type { Change, MetricName, MetricValue } from "./types";

export type FlowMetricName = Exclude<
  MetricName,
  "deployment_frequency_per_day" | "lead_time_for_changes_median_hours" | "change_failure_rate" | "time_to_restore_median_hours"
>;

/** A merged change: the type says mergedAt is set. */
type Merged = Change & { mergedAt: string };

const isMerged = (c: Change): c is Merged => c.mergedAt !== null;

/** When work on a change began: the earliest known of task creation, first commit and opening. */
export function workStartedAt(c: Change): string {
  const known = [c.taskCreatedAt, c.firstCommitAt, c.openedAt].filter((t): t is string => t !== null);
  return known.reduce((earliest, t) => (toMs(t) < toMs(earliest) ? t : earliest));
}

/** Whether a merged change was reworked or reverted within `windowDays` of its merge. */
export function reworkedWithin(c: Merged, windowDays: number): boolean {
  const merged = toMs(c.mergedAt);
  const limit = merged + windowDays * DAY_MS;
  return [c.reworkedAt, c.revertedAt].some((t) => t !== null && toMs(t) >= merged && toMs(t) <= limit);
}

/** Iterations it took to get a change accepted (see Change.reviewRounds for why the final approval is not one). */
export const iterations = (c: Change): number => c.taskAttempts + c.approvalRounds + c.reviewRounds;

/** When a change stopped being work in progress: merged, or closed without merging. */
const endedAt = (c: Change): string | null => c.mergedAt ?? c.closedAt;

function costOf(changes: readonly Change[]): bigint {
  let total = 0n;
  for (const c of changes) {
    if (!Number.isSafeInteger(c.costMicros) || c.costMicros < 0) throw new RangeError(`change ${c.id}: not a non-negative integer cost: ${c.costMicros}`);
    total += BigInt(c.costMicros);
  }
  return total;
}

export function flowMetrics(
  changes: readonly Change[],
  period: Period,
  links: HistoryLinks,
  reworkWindowDays: number,
  defs: Record<FlowMetricName, MetricMeta>,
): Record<FlowMetricName, MetricValue> {
  const opened = changes.filter((c) => inPeriod(c.openedAt, period));
  const merged = changes.filter(isMerged).filter((c) => inPeriod(c.mergedAt, period));
  const reviewed = changes.filter((c) => inPeriod(c.firstReviewAt, period));
  const approved = changes.filter((c) => inPeriod(c.approvedAt, period));
  const ended = changes.filter((c) => inPeriod(endedAt(c), period));

  const reviewWaits = reviewed.map((c) => hoursBetween(c.openedAt, c.firstReviewAt!));
  const approvalWaits = approved.map((c) => hoursBetween(c.openedAt, c.approvedAt!));
  const cycleTimes = merged.map((c) => hoursBetween(workStartedAt(c), c.mergedAt));

  return {
    acceptance_rate: ratioMetric(defs.acceptance_rate, opened.filter(isMerged).length, opened.length),
    iterations_per_accepted_change: meanMetric(defs.iterations_per_accepted_change, merged.map(iterations)),
    time_to_first_review_median_hours: quantileMetric(defs.time_to_first_review_median_hours, reviewWaits, 0.5),
    time_to_first_review_p90_hours: quantileMetric(defs.time_to_first_review_p90_hours, reviewWaits, 0.9),
    time_to_approval_median_hours: quantileMetric(defs.time_to_approval_median_hours, approvalWaits, 0.5),
    time_to_approval_p90_hours: quantileMetric(defs.time_to_approval_p90_hours, approvalWaits, 0.9),
    cycle_time_median_hours: quantileMetric(defs.cycle_time_median_hours, cycleTimes, 0.5),
    cycle_time_p90_hours: quantileMetric(defs.cycle_time_p90_hours, cycleTimes, 0.9),
    rework_rate: ratioMetric(defs.rework_rate, merged.filter((c) => reworkedWithin(c, reworkWindowDays)).length, merged.length),
    change_incident_rate: ratioMetric(defs.change_incident_rate, merged.filter((c) => links.changesWithIncident.has(c.id)).length, merged.length),
    cost_per_accepted_change_micros: microsPerMetric(defs.cost_per_accepted_change_micros, costOf(ended), merged.length),
  };
}
