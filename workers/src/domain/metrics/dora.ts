// The DORA four keys (deployment frequency, lead time for changes, change failure rate, time
// to restore) over one group's deployments, changes and incidents. The caller chooses the
// group: everything for `all`, or what a given origin's changes are linked to (compute.ts).

import type { HistoryLinks } from "./links";
import { DAY_MS, hoursBetween, inPeriod, perDayMetric, quantileMetric, ratioMetric, type MetricMeta, type Period } from "./stats";
import type { Change, Deployment, Incident, MetricValue } from "./types";

export type DoraMetricName = "deployment_frequency_per_day" | "lead_time_for_changes_median_hours" | "change_failure_rate" | "time_to_restore_median_hours";

export interface DoraGroup {
  /** The changes whose lead time counts. */
  changes: readonly Change[];
  /** The deployments whose frequency and failures count. */
  deployments: readonly Deployment[];
  incidents: readonly Incident[];
}

export function doraMetrics(group: DoraGroup, period: Period, links: HistoryLinks, defs: Record<DoraMetricName, MetricMeta>): Record<DoraMetricName, MetricValue> {
  const deployed = group.deployments.filter((d) => inPeriod(d.at, period));
  const successes = deployed.filter((d) => d.success);
  const failures = deployed.filter((d) => !d.success || links.deploymentsWithIncident.has(d.id));

  const leadTimes: number[] = [];
  for (const c of group.changes) {
    const first = links.firstDeployment.get(c.id);
    if (first && inPeriod(first.at, period)) leadTimes.push(hoursBetween(c.mergedAt!, first.at));
  }
  const restoreTimes = group.incidents.filter((i) => inPeriod(i.resolvedAt, period)).map((i) => hoursBetween(i.openedAt, i.resolvedAt!));

  return {
    deployment_frequency_per_day: perDayMetric(defs.deployment_frequency_per_day, successes.length, (period.toMs - period.fromMs) / DAY_MS),
    lead_time_for_changes_median_hours: quantileMetric(defs.lead_time_for_changes_median_hours, leadTimes, 0.5),
    change_failure_rate: ratioMetric(defs.change_failure_rate, failures.length, deployed.length),
    time_to_restore_median_hours: quantileMetric(defs.time_to_restore_median_hours, restoreTimes, 0.5),
  };
}
