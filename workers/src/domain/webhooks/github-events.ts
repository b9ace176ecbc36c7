// GitHub webhook payloads sysop reads, one schema and one mapping per event: `issues` become
// signals; pull requests, reviews, pushes, deployment statuses and check runs become code
// events. Shapes follow GitHub's "Webhook events and payloads" reference
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads), trimmed to what is used.
import { z } from "zod";
import { classifyIssue, severityFromLabels } from "./classify";
import { IsoDateTime, NamedList, NullableIsoDateTime, OptionalString, validate, type Parsed } from "./payload";
import { DEPLOYMENT_STATES, REVIEW_STATES, type NormalisedRecord, type ReviewState, type Signal } from "./types";

const Sha = z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, "expected a commit SHA");
const Repository = z.object({ full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, "expected owner/name") });
const Login = z.object({ login: z.string() });
const Count = z.number().int().nonnegative();

type EventParser = (payload: unknown, context: string) => Parsed<NormalisedRecord[]>;

// ---- issues -> Signal ------------------------------------------------------------------

const IssuesEvent = z.object({
  action: z.string(),
  issue: z.object({
    number: z.number().int().positive(),
    title: z.string(),
    html_url: z.string(),
    state: z.enum(["open", "closed"]),
    state_reason: OptionalString,
    labels: NamedList,
    created_at: IsoDateTime,
    updated_at: IsoDateTime,
    closed_at: NullableIsoDateTime,
  }),
  repository: Repository,
});

/** Closed as completed is resolved; closed as not planned or duplicate (or deleted) is closed. */
function issueState(action: string, state: "open" | "closed", reason: string | null): Signal["state"] {
  if (action === "deleted") return "closed";
  if (state === "open") return "open";
  return reason === "not_planned" || reason === "duplicate" ? "closed" : "resolved";
}

const issues: EventParser = (payload, context) => {
  const parsed = validate(IssuesEvent, payload, context);
  if (!parsed.ok) return parsed;
  const { action, issue, repository } = parsed.value;
  const signalKind = classifyIssue(issue.labels, null);
  if (signalKind === null) return { ok: true, value: [] };
  const state = issueState(action, issue.state, issue.state_reason);
  const signal: Signal = {
    kind: "signal",
    source: "github",
    externalId: `${repository.full_name}#${issue.number}`,
    url: issue.html_url,
    signalKind,
    title: issue.title,
    severity: severityFromLabels(issue.labels),
    customer: null,
    arrMicros: null,
    component: null,
    service: null,
    labels: issue.labels,
    repo: repository.full_name,
    state,
    openedAt: issue.created_at,
    resolvedAt: state === "open" ? null : (issue.closed_at ?? issue.updated_at),
    updatedAt: issue.updated_at,
  };
  return { ok: true, value: [signal] };
};

// ---- pull_request ----------------------------------------------------------------------

const PullRequestEvent = z.object({
  action: z.string(),
  pull_request: z.object({
    number: z.number().int().positive(),
    title: z.string(),
    body: OptionalString,
    user: Login,
    labels: NamedList,
    created_at: IsoDateTime,
    merged_at: NullableIsoDateTime,
    closed_at: NullableIsoDateTime,
    merged: z.boolean().nullish(),
    head: z.object({ ref: z.string(), sha: Sha }),
    base: z.object({ ref: z.string() }),
    merge_commit_sha: OptionalString,
    additions: Count.optional(),
    deletions: Count.optional(),
    commits: Count.optional(),
  }),
  repository: Repository,
});

const pullRequest: EventParser = (payload, context) => {
  const parsed = validate(PullRequestEvent, payload, context);
  if (!parsed.ok) return parsed;
  const { action, pull_request: pr, repository } = parsed.value;
  return {
    ok: true,
    value: [
      {
        kind: "pull_request",
        repo: repository.full_name,
        number: pr.number,
        action,
        // `merged` is in webhook payloads; merged_at is the fallback should it ever be absent.
        merged: pr.merged ?? pr.merged_at !== null,
        title: pr.title,
        branch: pr.head.ref,
        baseBranch: pr.base.ref,
        author: pr.user.login,
        labels: pr.labels,
        body: pr.body ?? "",
        createdAt: pr.created_at,
        mergedAt: pr.merged_at,
        closedAt: pr.closed_at,
        headSha: pr.head.sha,
        mergeCommitSha: pr.merge_commit_sha,
        ...(pr.additions !== undefined && { additions: pr.additions }),
        ...(pr.deletions !== undefined && { deletions: pr.deletions }),
        ...(pr.commits !== undefined && { commits: pr.commits }),
      },
    ],
  };
};

// ---- pull_request_review ---------------------------------------------------------------

const ReviewEvent = z.object({
  review: z.object({ state: z.string(), user: Login, submitted_at: NullableIsoDateTime }),
  pull_request: z.object({ number: z.number().int().positive(), updated_at: IsoDateTime }),
  repository: Repository,
});

const isReviewState = (s: string): s is ReviewState => (REVIEW_STATES as readonly string[]).includes(s);

const pullRequestReview: EventParser = (payload, context) => {
  const parsed = validate(ReviewEvent, payload, context);
  if (!parsed.ok) return parsed;
  const { review, pull_request: pr, repository } = parsed.value;
  // Webhooks send lower case, the REST API upper case; "pending" reviews are not decisions.
  const state = review.state.toLowerCase();
  if (!isReviewState(state)) return { ok: true, value: [] };
  return {
    ok: true,
    value: [
      {
        kind: "pull_request_review",
        repo: repository.full_name,
        number: pr.number,
        state,
        reviewer: review.user.login,
        submittedAt: review.submitted_at ?? pr.updated_at,
      },
    ],
  };
};

// ---- push ------------------------------------------------------------------------------

const PushEvent = z.object({
  ref: z.string(),
  deleted: z.boolean().optional(),
  forced: z.boolean(),
  commits: z.array(
    z.object({
      id: Sha,
      message: z.string(),
      timestamp: IsoDateTime,
      author: z.object({ name: z.string(), username: z.string().nullish() }),
    }),
  ),
  repository: Repository,
});

const BRANCH_REF = "refs/heads/";

const push: EventParser = (payload, context) => {
  const parsed = validate(PushEvent, payload, context);
  if (!parsed.ok) return parsed;
  const { ref, deleted, forced, commits, repository } = parsed.value;
  // Tag pushes and branch deletions land no commits on a branch: nothing to record.
  if (!ref.startsWith(BRANCH_REF) || deleted === true) return { ok: true, value: [] };
  return {
    ok: true,
    value: [
      {
        kind: "push",
        repo: repository.full_name,
        branch: ref.slice(BRANCH_REF.length),
        forced,
        commits: commits.map((c) => ({
          sha: c.id,
          message: c.message,
          timestamp: c.timestamp,
          author: c.author.username ?? c.author.name,
        })),
      },
    ],
  };
};

// ---- deployment_status -----------------------------------------------------------------

const DeploymentStatusEvent = z.object({
  deployment_status: z.object({
    state: z.enum(DEPLOYMENT_STATES),
    environment: z.string().optional(),
    created_at: IsoDateTime,
  }),
  deployment: z.object({ id: z.number().int(), sha: Sha, environment: z.string() }),
  repository: Repository,
});

const deploymentStatus: EventParser = (payload, context) => {
  const parsed = validate(DeploymentStatusEvent, payload, context);
  if (!parsed.ok) return parsed;
  const { deployment_status: status, deployment, repository } = parsed.value;
  return {
    ok: true,
    value: [
      {
        kind: "deployment_status",
        repo: repository.full_name,
        environment: status.environment ?? deployment.environment,
        state: status.state,
        sha: deployment.sha,
        deploymentId: deployment.id,
        createdAt: status.created_at,
      },
    ],
  };
};

// ---- check_run -------------------------------------------------------------------------

const CheckRunEvent = z.object({
  check_run: z.object({
    name: z.string(),
    status: z.string(),
    conclusion: OptionalString,
    head_sha: Sha,
    completed_at: NullableIsoDateTime,
  }),
  repository: Repository,
});

const checkRun: EventParser = (payload, context) => {
  const parsed = validate(CheckRunEvent, payload, context);
  if (!parsed.ok) return parsed;
  const { check_run: run, repository } = parsed.value;
  return {
    ok: true,
    value: [
      {
        kind: "check_run",
        repo: repository.full_name,
        name: run.name,
        status: run.status,
        conclusion: run.conclusion,
        headSha: run.head_sha,
        completedAt: run.completed_at,
      },
    ],
  };
};

/**
 * By X-GitHub-Event. `ping` (sent when a hook is created) and unlisted events record nothing.
 * A Map, not an object literal, so an event named "constructor" finds nothing.
 */
export const GITHUB_EVENT_PARSERS: ReadonlyMap<string, EventParser> = new Map<string, EventParser>([
  ["issues", issues],
  ["pull_request", pullRequest],
  ["pull_request_review", pullRequestReview],
  ["push", push],
  ["deployment_status", deploymentStatus],
  ["check_run", checkRun],
  ["ping", () => ({ ok: true, value: [] })],
]);
