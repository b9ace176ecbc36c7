// The one entry point for outcome metrics: every metric for agent work, human work and all
// work over a period [from, to). Pure: the caller loads the scope's changes, deployments and
// incidents (and passes changes merged before the period too, so their deployments and
// incidents can be attributed) and returns the report as it is.
//
// DORA keys are about deployments, which ship agent and human changes together; per origin
// they are computed over the deployments that shipped at least one change of that origin and
// the incidents linked to one, so a deployment shipping both counts on both sides and `all`
// is not the sum of the two.

import { metricDefinitions } from "./definitions";
import { doraMetrics } from "./dora";
import { flowMetrics } from "./flow";
import { deploymentShipped, incidentInvolves, linkHistory, type HistoryLinks } from "./links";
import { toMs, type Period } from "./stats";
import type { MetricSet, MetricsInput, MetricsReport, Origin } from "./types";

function groupMetrics(input: MetricsInput, origin: Origin | null, period: Period, links: HistoryLinks): MetricSet {
  const defs = metricDefinitions(input.reworkWindowDays);
  const originOf = new Map(input.changes.map((c) => [c.id, c.origin]));
  const changes = origin === null ? input.changes : input.changes.filter((c) => c.origin === origin);
  const deployments = origin === null ? input.deployments : input.deployments.filter((d) => deploymentShipped(links, d, origin));
  const incidents = origin === null ? input.incidents : input.incidents.filter((i) => incidentInvolves(links, i, origin, originOf));
  return {
    ...flowMetrics(changes, period, links, input.reworkWindowDays, defs),
    ...doraMetrics({ changes, deployments, incidents }, period, links, defs),
  };
}

export function computeMetrics(input: MetricsInput): MetricsReport {
  const period = { fromMs: toMs(input.from), toMs: toMs(input.to) };
  if (period.toMs <= period.fromMs) throw new RangeError("the period must end after it starts");
  if (!Number.isFinite(input.reworkWindowDays) || input.reworkWindowDays < 0) throw new RangeError(`not a rework window: ${input.reworkWindowDays}`);
  const links = linkHistory(input.changes, input.deployments, input.incidents);
  return {
    from: input.from,
    to: input.to,
    agent: groupMetrics(input, "agent", period, links),
    human: groupMetrics(input, "human", period, links),
    all: groupMetrics(input, null, period, links),
  };
}
