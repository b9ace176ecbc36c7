// What each outcome metric means, in words a user can read: the unit and definition the API
// returns beside every value (and can list on its own). One rule runs through them: an
// interval (review wait, cycle time, lead time, restore time) is counted in the period its
// END falls in, so a period's numbers are about what finished in it.

import type { MetricMeta } from "./stats";
import type { MetricName } from "./types";

const PERIOD = "in the period [from, to) (from inclusive, to exclusive)";
const PER_ORIGIN_DEPLOY =
  "For agent or human: the deployments that shipped at least one merged change of that origin (a deployment shipping both counts for both); deployments shipping no known change count only under all.";
const P90 = "90th percentile (linear interpolation between closest ranks)";

/** Units and definitions for every metric; `reworkWindowDays` is written into rework_rate's. */
export function metricDefinitions(reworkWindowDays: number): Record<MetricName, MetricMeta> {
  return {
    acceptance_rate: {
      unit: "ratio",
      definition: `Of the changes opened ${PERIOD}, the share merged so far (merged / opened). Changes still open count as not merged, so the latest periods read low until their changes settle.`,
    },
    iterations_per_accepted_change: {
      unit: "iterations",
      definition: `Mean, over the changes merged ${PERIOD}, of agent task attempts + sysop approval rounds + review rounds that requested changes. A human change merged without change requests scores 0; an agent change done in one attempt, with no approvals and no change requests, scores 1.`,
    },
    time_to_first_review_median_hours: {
      unit: "hours",
      definition: `Median hours from a change being opened to its first review, over the changes first reviewed ${PERIOD}.`,
    },
    time_to_first_review_p90_hours: {
      unit: "hours",
      definition: `${P90} of hours from a change being opened to its first review, over the changes first reviewed ${PERIOD}.`,
    },
    time_to_approval_median_hours: {
      unit: "hours",
      definition: `Median hours from a change being opened to its first approval, over the changes approved ${PERIOD}.`,
    },
    time_to_approval_p90_hours: {
      unit: "hours",
      definition: `${P90} of hours from a change being opened to its first approval, over the changes approved ${PERIOD}.`,
    },
    cycle_time_median_hours: {
      unit: "hours",
      definition: `Median hours from the start of work to merge, over the changes merged ${PERIOD}. Work starts at the earliest known of: the sysop task's creation, the first commit, the change being opened.`,
    },
    cycle_time_p90_hours: {
      unit: "hours",
      definition: `${P90} of hours from the start of work to merge, over the changes merged ${PERIOD}. Work starts at the earliest known of: the sysop task's creation, the first commit, the change being opened.`,
    },
    rework_rate: {
      unit: "ratio",
      definition: `Of the changes merged ${PERIOD}, the share reworked or reverted within ${reworkWindowDays} days of merging. Changes merged less than ${reworkWindowDays} days before the data ends have not had their full window yet.`,
    },
    change_incident_rate: {
      unit: "ratio",
      definition: `Of the changes merged ${PERIOD}, the share linked to an incident: named by the incident as a cause or, when the incident names no change, shipped by the deployment it names as its cause.`,
    },
    cost_per_accepted_change_micros: {
      unit: "micro-dollars",
      definition: `Spend (gateway + task) of the changes that ended ${PERIOD}, merged or closed unmerged, divided by the changes merged in it; rounded up to a whole micro-dollar. Abandoned work's cost is carried by the work that was accepted.`,
    },
    deployment_frequency_per_day: {
      unit: "deployments/day",
      definition: `Successful deployments ${PERIOD} per day of the period. No deployment reads as no data rather than 0, since a scope without a connected pipeline looks the same. ${PER_ORIGIN_DEPLOY}`,
    },
    lead_time_for_changes_median_hours: {
      unit: "hours",
      definition: `Median hours from merge to the first successful deployment, at or after the merge and in the same repo, that ships the change's merge commit; over the changes whose first such deployment was ${PERIOD}. Changes not yet deployed are not counted.`,
    },
    change_failure_rate: {
      unit: "ratio",
      definition: `Of the deployments ${PERIOD}, successful or not, the share that failed or are linked to an incident: named by it as the cause or, when it names none, the first successful deployment of a change it names. ${PER_ORIGIN_DEPLOY}`,
    },
    time_to_restore_median_hours: {
      unit: "hours",
      definition: `Median hours from an incident opening to its resolution, over the incidents resolved ${PERIOD}. For agent or human: the incidents linked to at least one change of that origin; incidents linked to no change count only under all.`,
    },
  };
}
