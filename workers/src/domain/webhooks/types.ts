// The records webhook receivers turn provider deliveries into, and the shapes every
// provider's verify/parse pair shares. Pure data: the routes (issue #6, part 2) store these,
// the scoring and metrics code reads them. One file per provider lives beside this one.

export const WEBHOOK_SOURCES = ["github", "jira", "linear", "zendesk", "pagerduty", "crm"] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

// ---- Verification ----------------------------------------------------------------------

/** Case-insensitive header lookup: a `Headers` object satisfies it. */
export interface HeaderReader {
  get(name: string): string | null;
}

export interface WebhookVerifyInput {
  /** The body exactly as received: signatures cover bytes, never a re-serialised form. */
  rawBody: string;
  headers: HeaderReader;
  /** Every secret currently accepted: more than one while a secret is rotated. */
  secrets: readonly string[];
  /** The clock, for schemes with a timestamp; ignored by those without (GitHub, Jira, PagerDuty). */
  now: Date;
}

export type WebhookVerifyFailure = "missing_headers" | "bad_signature" | "stale_timestamp" | "malformed";
export type WebhookVerifyResult = { ok: true } | { ok: false; reason: WebhookVerifyFailure };

// ---- Parsing ---------------------------------------------------------------------------

/** `ok: false` means verified but unusable: the route answers 422 and dead-letters it. */
export type WebhookParseResult =
  | { ok: true; deliveryId: string; records: NormalisedRecord[] }
  | { ok: false; reason: string };

export type WebhookVerifier = (input: WebhookVerifyInput) => Promise<WebhookVerifyResult>;
export type WebhookParser = (rawBody: string, headers: HeaderReader) => WebhookParseResult;

// ---- Signals: demand for work, from trackers, support, paging and sales ----------------

export const SIGNAL_KINDS = ["support_ticket", "incident", "deal", "bug", "feature_request", "tech_debt"] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SIGNAL_STATES = ["open", "resolved", "closed"] as const;
export type SignalState = (typeof SIGNAL_STATES)[number];

export interface Signal {
  kind: "signal";
  source: WebhookSource;
  /** The provider's stable id for the thing (not the delivery): upsert on (source, externalId). */
  externalId: string;
  url: string | null;
  signalKind: SignalKind;
  title: string;
  severity: Severity | null;
  customer: string | null;
  /** Annual recurring revenue in integer micro-dollars (deals only). */
  arrMicros: number | null;
  component: string | null;
  service: string | null;
  labels: string[];
  /** "owner/name" when the signal names a repository. */
  repo: string | null;
  state: SignalState;
  /** ISO 8601 (UTC, `Date#toISOString`). */
  openedAt: string;
  resolvedAt: string | null;
  updatedAt: string;
}

// ---- Code events (GitHub) --------------------------------------------------------------

export interface PullRequest {
  kind: "pull_request";
  repo: string;
  number: number;
  /** GitHub's action verbatim (opened, closed, reopened, synchronize, edited, labeled, ...). */
  action: string;
  merged: boolean;
  title: string;
  branch: string;
  baseBranch: string;
  author: string;
  labels: string[];
  /** The description, kept whole so trailers (e.g. `Sysop-Task:`) can be read from it. */
  body: string;
  createdAt: string;
  mergedAt: string | null;
  closedAt: string | null;
  headSha: string;
  mergeCommitSha: string | null;
  additions?: number;
  deletions?: number;
  commits?: number;
}

export const REVIEW_STATES = ["approved", "changes_requested", "commented", "dismissed"] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

export interface PullRequestReview {
  kind: "pull_request_review";
  repo: string;
  number: number;
  state: ReviewState;
  reviewer: string;
  submittedAt: string;
}

export interface PushCommit {
  sha: string;
  message: string;
  timestamp: string;
  /** The GitHub login when GitHub knows it, else the git author name. */
  author: string;
}

export interface Push {
  kind: "push";
  repo: string;
  branch: string;
  commits: PushCommit[];
  forced: boolean;
}

export const DEPLOYMENT_STATES = ["success", "failure", "error", "pending", "in_progress", "queued", "inactive"] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

export interface DeploymentStatus {
  kind: "deployment_status";
  repo: string;
  environment: string;
  state: DeploymentState;
  sha: string;
  deploymentId: number;
  createdAt: string;
}

export interface CheckRun {
  kind: "check_run";
  repo: string;
  name: string;
  /** queued, in_progress, completed, waiting, requested, pending: GitHub's, verbatim. */
  status: string;
  /** success, failure, neutral, cancelled, skipped, timed_out, action_required, stale, ... */
  conclusion: string | null;
  headSha: string;
  completedAt: string | null;
}

export type NormalisedRecord = Signal | PullRequest | PullRequestReview | Push | DeploymentStatus | CheckRun;
