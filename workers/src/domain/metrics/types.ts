// The vocabulary of outcome metrics: the pull requests, deployments and incidents the
// formulas read, and the shape every metric answers in. Plain data with ISO-8601 times and
// integer micro-dollars; the DB layer builds these rows, domain/metrics/* computes over them.

export type Origin = "agent" | "human";

/** One pull request (or merge request), agent-made or not. */
export interface Change {
  id: string;
  repo: string;
  teamId: string | null;
  author: string;
  /** From classifyOrigin (classify.ts) at ingest time. */
  origin: Origin;
  openedAt: string;
  /** The first review submitted by someone other than the author, of any state. */
  firstReviewAt: string | null;
  /** The first approving review. */
  approvedAt: string | null;
  mergedAt: string | null;
  /** When it was closed without being merged (a merged change may carry it too; it is ignored then). */
  closedAt: string | null;
  firstCommitAt: string | null;
  /** When the sysop task that produced it was created; null for human work. */
  taskCreatedAt: string | null;
  /**
   * Reviews that sent the change back to its author (GitHub state `CHANGES_REQUESTED`). The
   * final approving review is not counted: every merged change has one, so it would only add
   * 1 to every mean in iterations_per_accepted_change.
   */
  reviewRounds: number;
  /** Agent attempts the task took (runs started, retries included); 0 for human work. */
  taskAttempts: number;
  /** sysop approval requests raised while producing it (tool or spend approvals); 0 for human work. */
  approvalRounds: number;
  /** Integer micro-dollars attributed to it: gateway spend plus task spend. */
  costMicros: number;
  /** When the merged code was next changed, if it was (the caller's detection); see rework_rate. */
  reworkedAt: string | null;
  revertedAt: string | null;
  /** The commit the merge produced on the target branch; what deployments list. */
  mergeSha: string | null;
}

export interface Deployment {
  id: string;
  repo: string;
  teamId: string | null;
  at: string;
  success: boolean;
  /** The merge shas it shipped (for the first time or again). */
  shas: string[];
}

export interface Incident {
  id: string;
  teamId: string | null;
  service: string | null;
  severity: string;
  openedAt: string;
  resolvedAt: string | null;
  causedByDeploymentId: string | null;
  causedByChangeIds: string[];
}

export const METRIC_NAMES = [
  "acceptance_rate",
  "iterations_per_accepted_change",
  "time_to_first_review_median_hours",
  "time_to_first_review_p90_hours",
  "time_to_approval_median_hours",
  "time_to_approval_p90_hours",
  "cycle_time_median_hours",
  "cycle_time_p90_hours",
  "rework_rate",
  "change_incident_rate",
  "cost_per_accepted_change_micros",
  "deployment_frequency_per_day",
  "lead_time_for_changes_median_hours",
  "change_failure_rate",
  "time_to_restore_median_hours",
] as const;

/** Snake case because these names go out on the wire as they are. */
export type MetricName = (typeof METRIC_NAMES)[number];

/**
 * One metric for one group and period.
 * INVARIANT: value is a finite number or null; sampleSize 0 ⇔ value null. Nothing measured
 * reads "no data", never a 0 that looks like a result.
 */
export interface MetricValue {
  value: number | null;
  /** How many changes, deployments or incidents the value was computed from. */
  sampleSize: number;
  unit: string;
  /** A sentence a user can read: what is counted, over what, in which period. */
  definition: string;
}

export type MetricSet = Record<MetricName, MetricValue>;

export interface MetricsInput {
  /** Everything in the scope being reported (a team, a repo, the org): the caller filters. */
  changes: Change[];
  deployments: Deployment[];
  incidents: Incident[];
  /** The period [from, to): from inclusive, to exclusive. */
  from: string;
  to: string;
  /** A merged change counts as reworked when reworked or reverted within this many days of merging. */
  reworkWindowDays: number;
}

export interface MetricsReport {
  from: string;
  to: string;
  agent: MetricSet;
  human: MetricSet;
  all: MetricSet;
}
