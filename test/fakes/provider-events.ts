// Webhook deliveries as GitHub, Jira, Linear, Zendesk, PagerDuty (v3) and a CRM (sysop's
// Stripe-like scheme) send them: the payloads follow the documented examples in
// test/unit/webhooks/fixtures/ field for field, parameterised by what the metrics read, and
// each is signed the provider's way with the given secret. Web Crypto only (no node:*), so the
// same module runs in Node (bench/signals.mjs bundles it) and inside workerd (integration tests).
//
// Every builder is async and returns { source, deliveryId, body, headers }. `deliveryId` is a
// fresh random id unless given (a retry passes the first one back); `deliveredAt` is when the
// provider signs and sends (Zendesk, Linear and the CRM put it in the signature), which is
// "now" for a live delivery even when the event inside it happened weeks ago.
import type { WebhookSource } from "../../workers/src/domain/webhooks/types";

export interface ProviderDelivery {
  source: WebhookSource;
  deliveryId: string;
  /** The raw body: send it byte for byte, the signature covers it. */
  body: string;
  headers: Record<string, string>;
}

export interface DeliveryOptions {
  secret: string;
  /** The provider's delivery id; the same on a retry. Default: a fresh one. */
  deliveryId?: string;
  /** When the provider signs and sends it. Default: now. */
  deliveredAt?: Date;
}

/** A time as a Date or anything `new Date()` reads. */
export type When = Date | string | number;

// ---- encodings, ids, signatures --------------------------------------------------------------

const encoder = new TextEncoder();

async function hmac(hash: "SHA-256" | "SHA-1", secret: string, message: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
}
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** A 40-hex commit SHA derived from `seed` (SHA-1 of it): stable across runs. */
export async function fakeSha(seed: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-1", encoder.encode(seed))));
}

/** A stable positive integer id from its parts (FNV-1a), in [min, min + span). */
function stableId(min: number, span: number, ...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join("\u0000")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return min + (h % span);
}
const ghId = (...parts: (string | number)[]) => stableId(100_000_000, 900_000_000, ...parts);
/** `length` hex digits derived from the parts (a stable stand-in for a SHA nobody checks). */
const stableHex = (length: number, ...parts: (string | number)[]) =>
  Array.from({ length: Math.ceil(length / 8) }, (_, i) => stableId(0x10000000, 0xefffffff, i, ...parts).toString(16)).join("").slice(0, length);
const nodeId = (prefix: string, id: number) => `${prefix}_${btoa(`0:${id}`).replace(/=+$/, "")}`;

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** A ULID-shaped random id (Zendesk event ids, CRM event ids). */
function ulid(at: Date): string {
  let time = "";
  for (let t = at.getTime(), i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  const random = crypto.getRandomValues(new Uint8Array(16));
  return time + Array.from(random, (b) => CROCKFORD[b % 32]).join("");
}
const randomDigits = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b, i) => (i === 0 ? 1 + (b % 9) : b % 10)).join("");
let invocations = 0;
/**
 * A Zendesk invocation id, a number like 8350205582: random digits, then a counter, so that ids
 * from one process never repeat (random digits alone would, now and then, over thousands).
 */
const zendeskInvocationId = () => `${randomDigits(9)}${String(invocations++ % 10_000).padStart(4, "0")}`;

// ---- times: each provider's own spelling -----------------------------------------------------

const date = (w: When) => {
  const d = w instanceof Date ? w : new Date(w);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a time: ${String(w)}`);
  return d;
};
/** 2019-05-15T15:20:33Z (GitHub, Zendesk, PagerDuty created_at). */
const isoSeconds = (w: When) => date(w).toISOString().replace(/\.\d{3}Z$/, "Z");
/** 2024-02-01T12:00:00.000Z (Linear, PagerDuty occurred_at). */
const isoMillis = (w: When) => date(w).toISOString();
/** 2024-02-01T12:10:52.120+0000 (Jira: no colon in the zone). */
const jiraTime = (w: When) => date(w).toISOString().replace("Z", "+0000");
const optional = <T>(w: When | null | undefined, format: (w: When) => T): T | null => (w === null || w === undefined ? null : format(w));

/** A commit time in its author's zone, as git (and GitHub's push payload) writes it: 2019-05-15T15:20:30-07:00. */
function withOffset(w: When, offsetMinutes: number): string {
  if (offsetMinutes === 0) return isoSeconds(w);
  const local = new Date(date(w).getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const abs = Math.abs(offsetMinutes);
  return `${local}${offsetMinutes < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

// ---- GitHub ---------------------------------------------------------------------------------
// https://docs.github.com/en/webhooks/webhook-events-and-payloads: X-GitHub-Delivery (GUID),
// X-GitHub-Event, X-GitHub-Hook-ID, both X-Hub-Signature (sha1, legacy) and X-Hub-Signature-256.

const HOOK_ID = 109_948_940;

async function github(event: string, payload: unknown, repoId: number, o: DeliveryOptions): Promise<ProviderDelivery> {
  const body = JSON.stringify(payload);
  const deliveryId = o.deliveryId ?? crypto.randomUUID();
  const [sha1, sha256] = await Promise.all([hmac("SHA-1", o.secret, body), hmac("SHA-256", o.secret, body)]);
  return {
    source: "github",
    deliveryId,
    body,
    headers: {
      "Content-Type": "application/json",
      "User-Agent": "GitHub-Hookshot/a1b2c3d",
      "X-GitHub-Delivery": deliveryId,
      "X-GitHub-Event": event,
      "X-GitHub-Hook-ID": String(HOOK_ID),
      "X-GitHub-Hook-Installation-Target-ID": String(repoId),
      "X-GitHub-Hook-Installation-Target-Type": "repository",
      "X-Hub-Signature": `sha1=${hex(sha1)}`,
      "X-Hub-Signature-256": `sha256=${hex(sha256)}`,
    },
  };
}

const ghUser = (login: string) => ({ login, id: ghId("user", login), node_id: nodeId("U", ghId("user", login)), type: login.endsWith("[bot]") ? "Bot" : "User", site_admin: false });

function ghRepository(fullName: string) {
  const [owner = fullName, name = fullName] = fullName.split("/");
  const id = ghId("repo", fullName);
  return {
    id,
    node_id: nodeId("R", id),
    name,
    full_name: fullName,
    private: true,
    owner: { name: owner, login: owner, id: ghId("user", owner), type: "Organization" },
    html_url: `https://github.com/${fullName}`,
    url: `https://api.github.com/repos/${fullName}`,
    default_branch: "main",
  };
}

function ghLabels(repo: string, names: readonly string[]) {
  return names.map((name) => {
    const id = ghId("label", repo, name);
    return { id, node_id: nodeId("LA", id), url: `https://api.github.com/repos/${repo}/labels/${encodeURIComponent(name)}`, name, color: "d73a4a", default: name === "bug" || name === "enhancement", description: null };
  });
}

export interface GitHubPullRequestFields {
  /** owner/name */
  repo: string;
  number: number;
  title: string;
  body?: string;
  author: string;
  branch: string;
  baseBranch?: string;
  labels?: readonly string[];
  headSha: string;
  createdAt: When;
  additions?: number;
  deletions?: number;
  commits?: number;
  changedFiles?: number;
}

type PullRequestEnd = { kind: "open" } | { kind: "merged"; at: When; mergeCommitSha: string; mergedBy: string } | { kind: "closed"; at: When };

function pullRequestObject(f: GitHubPullRequestFields, end: PullRequestEnd) {
  const id = ghId("pr", f.repo, f.number);
  const api = `https://api.github.com/repos/${f.repo}`;
  const closedAt = end.kind === "open" ? null : isoSeconds(end.at);
  const repository = { id: ghId("repo", f.repo), name: f.repo.split("/")[1], full_name: f.repo };
  const owner = ghUser(f.repo.split("/")[0] ?? f.repo);
  return {
    url: `${api}/pulls/${f.number}`,
    id,
    node_id: nodeId("PR", id),
    html_url: `https://github.com/${f.repo}/pull/${f.number}`,
    number: f.number,
    state: end.kind === "open" ? "open" : "closed",
    locked: false,
    title: f.title,
    user: ghUser(f.author),
    body: f.body ?? null,
    created_at: isoSeconds(f.createdAt),
    updated_at: closedAt ?? isoSeconds(f.createdAt),
    closed_at: closedAt,
    merged_at: end.kind === "merged" ? closedAt : null,
    merge_commit_sha: end.kind === "merged" ? end.mergeCommitSha : null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    labels: ghLabels(f.repo, f.labels ?? []),
    milestone: null,
    head: { label: `${owner.login}:${f.branch}`, ref: f.branch, sha: f.headSha, user: owner, repo: repository },
    base: { label: `${owner.login}:${f.baseBranch ?? "main"}`, ref: f.baseBranch ?? "main", sha: stableHex(40, f.repo, f.baseBranch ?? "main", f.number), user: owner, repo: repository },
    author_association: "MEMBER",
    auto_merge: null,
    draft: false,
    merged: end.kind === "merged",
    mergeable: null,
    rebaseable: null,
    mergeable_state: "unknown",
    merged_by: end.kind === "merged" ? ghUser(end.mergedBy) : null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: f.commits ?? 1,
    additions: f.additions ?? 10,
    deletions: f.deletions ?? 2,
    changed_files: f.changedFiles ?? 1,
  };
}

function pullRequestEvent(action: string, f: GitHubPullRequestFields, end: PullRequestEnd, o: DeliveryOptions) {
  const repository = ghRepository(f.repo);
  return github("pull_request", { action, number: f.number, pull_request: pullRequestObject(f, end), repository, sender: ghUser(end.kind === "merged" ? end.mergedBy : f.author) }, repository.id, o);
}

/** `pull_request` action "opened". */
export const githubPullRequestOpened = (f: GitHubPullRequestFields & DeliveryOptions) => pullRequestEvent("opened", f, { kind: "open" }, f);

/** `pull_request` action "closed" with merged: true. */
export const githubPullRequestMerged = (f: GitHubPullRequestFields & DeliveryOptions & { mergedAt: When; mergeCommitSha: string; mergedBy?: string }) =>
  pullRequestEvent("closed", f, { kind: "merged", at: f.mergedAt, mergeCommitSha: f.mergeCommitSha, mergedBy: f.mergedBy ?? f.author }, f);

/** `pull_request` action "closed" with merged: false. */
export const githubPullRequestClosed = (f: GitHubPullRequestFields & DeliveryOptions & { closedAt: When }) => pullRequestEvent("closed", f, { kind: "closed", at: f.closedAt }, f);

const SIMPLE_PULL_REQUEST_OMITS = ["merged", "mergeable", "rebaseable", "mergeable_state", "merged_by", "comments", "review_comments", "maintainer_can_modify", "commits", "additions", "deletions", "changed_files"];

export interface GitHubReviewFields extends DeliveryOptions {
  repo: string;
  number: number;
  state: "approved" | "changes_requested" | "commented";
  reviewer: string;
  submittedAt: When;
  body?: string;
  /** The pull request the review is on. */
  pullRequest: Pick<GitHubPullRequestFields, "title" | "author" | "branch" | "headSha" | "createdAt"> & { baseBranch?: string };
}

/** `pull_request_review` action "submitted" (webhook states are lower case). */
export function githubReview(f: GitHubReviewFields): Promise<ProviderDelivery> {
  const id = ghId("review", f.repo, f.number, f.reviewer, isoSeconds(f.submittedAt));
  // A review's pull_request is GitHub's "simple" pull request: no merge state, no counts.
  const pr: Record<string, unknown> & { url: string } = pullRequestObject({ ...f.pullRequest, repo: f.repo, number: f.number }, { kind: "open" });
  for (const key of SIMPLE_PULL_REQUEST_OMITS) delete pr[key];
  const repository = ghRepository(f.repo);
  const html = `https://github.com/${f.repo}/pull/${f.number}`;
  const review = {
    id,
    node_id: nodeId("PRR", id),
    user: ghUser(f.reviewer),
    body: f.body ?? null,
    commit_id: f.pullRequest.headSha,
    submitted_at: isoSeconds(f.submittedAt),
    state: f.state,
    html_url: `${html}#pullrequestreview-${id}`,
    pull_request_url: pr.url,
    author_association: "MEMBER",
    _links: { html: { href: `${html}#pullrequestreview-${id}` }, pull_request: { href: pr.url } },
  };
  return github("pull_request_review", { action: "submitted", review, pull_request: { ...pr, updated_at: isoSeconds(f.submittedAt) }, repository, sender: ghUser(f.reviewer) }, repository.id, f);
}

export interface GitHubCommitFields {
  sha: string;
  message: string;
  timestamp: When;
  /** The GitHub login (sent as author.username) and the git author name. */
  author: string;
  /** The author's zone, minutes east of UTC (git keeps it in the timestamp). Default 0. */
  utcOffsetMinutes?: number;
  modified?: readonly string[];
}

export interface GitHubPushFields extends DeliveryOptions {
  repo: string;
  branch: string;
  /** The branch tip before the push; default: no commit before (a new branch). */
  before?: string;
  commits: readonly GitHubCommitFields[];
  pusher: string;
  forced?: boolean;
}

/** `push` to refs/heads/<branch>. */
export function githubPush(f: GitHubPushFields): Promise<ProviderDelivery> {
  const repository = ghRepository(f.repo);
  const before = f.before ?? "0".repeat(40);
  const after = f.commits.at(-1)?.sha ?? before;
  const commits = f.commits.map((c) => ({
    id: c.sha,
    tree_id: c.sha.split("").reverse().join(""),
    distinct: true,
    message: c.message,
    timestamp: withOffset(c.timestamp, c.utcOffsetMinutes ?? 0),
    url: `https://github.com/${f.repo}/commit/${c.sha}`,
    author: { name: c.author, email: `${ghId("user", c.author)}+${c.author}@users.noreply.github.com`, username: c.author },
    committer: { name: c.author, email: `${ghId("user", c.author)}+${c.author}@users.noreply.github.com`, username: c.author },
    added: [],
    removed: [],
    modified: [...(c.modified ?? ["README.md"])],
  }));
  const head = commits.at(-1) ?? null;
  const lastAt = f.commits.at(-1)?.timestamp;
  const payload = {
    ref: `refs/heads/${f.branch}`,
    before,
    after,
    created: f.before === undefined,
    deleted: false,
    forced: f.forced ?? false,
    base_ref: null,
    compare: `https://github.com/${f.repo}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits,
    head_commit: head && { id: head.id, message: head.message, timestamp: head.timestamp },
    repository: { ...repository, pushed_at: lastAt === undefined ? 0 : Math.floor(date(lastAt).getTime() / 1000) },
    pusher: { name: f.pusher, email: `${ghId("user", f.pusher)}+${f.pusher}@users.noreply.github.com` },
    sender: ghUser(f.pusher),
  };
  return github("push", payload, repository.id, f);
}

export interface GitHubDeploymentStatusFields extends DeliveryOptions {
  repo: string;
  deploymentId: number;
  sha: string;
  state: "success" | "failure" | "error" | "pending" | "in_progress" | "queued" | "inactive";
  environment?: string;
  /** When the deployment was created; the status time is `createdAt`. */
  deploymentCreatedAt?: When;
  createdAt: When;
  creator?: string;
  ref?: string;
}

/** `deployment_status` action "created". */
export function githubDeploymentStatus(f: GitHubDeploymentStatusFields): Promise<ProviderDelivery> {
  const repository = ghRepository(f.repo);
  const environment = f.environment ?? "production";
  const deploymentUrl = `https://api.github.com/repos/${f.repo}/deployments/${f.deploymentId}`;
  const statusId = ghId("deployment_status", f.repo, f.deploymentId, f.state);
  const creator = ghUser(f.creator ?? "github-actions[bot]");
  const deployment_status = {
    url: `${deploymentUrl}/statuses/${statusId}`,
    id: statusId,
    node_id: nodeId("DES", statusId),
    state: f.state,
    creator,
    description: "",
    environment,
    target_url: "",
    created_at: isoSeconds(f.createdAt),
    updated_at: isoSeconds(f.createdAt),
    deployment_url: deploymentUrl,
    repository_url: repository.url,
  };
  const deployment = {
    url: deploymentUrl,
    id: f.deploymentId,
    node_id: nodeId("DE", f.deploymentId),
    sha: f.sha,
    ref: f.ref ?? "main",
    task: "deploy",
    payload: {},
    original_environment: environment,
    environment,
    description: null,
    creator,
    created_at: isoSeconds(f.deploymentCreatedAt ?? f.createdAt),
    updated_at: isoSeconds(f.createdAt),
  };
  return github("deployment_status", { action: "created", deployment_status, deployment, repository, sender: creator }, repository.id, f);
}

export interface GitHubIssueFields extends DeliveryOptions {
  repo: string;
  number: number;
  title: string;
  body?: string;
  author: string;
  /** "bug", "enhancement", "tech-debt", "priority: high", ... */
  labels: readonly string[];
  createdAt: When;
  /** Default: createdAt, or closedAt when closed. */
  updatedAt?: When;
  /** Set for action "closed". */
  closedAt?: When;
  stateReason?: "completed" | "not_planned" | "duplicate";
}

/** `issues`: "opened", or "closed" when closedAt is given (state_reason "completed" unless said). */
export function githubIssue(f: GitHubIssueFields): Promise<ProviderDelivery> {
  const repository = ghRepository(f.repo);
  const id = ghId("issue", f.repo, f.number);
  const closed = f.closedAt !== undefined;
  const issue = {
    url: `https://api.github.com/repos/${f.repo}/issues/${f.number}`,
    repository_url: repository.url,
    html_url: `https://github.com/${f.repo}/issues/${f.number}`,
    id,
    node_id: nodeId("I", id),
    number: f.number,
    title: f.title,
    user: ghUser(f.author),
    labels: ghLabels(f.repo, f.labels),
    state: closed ? "closed" : "open",
    state_reason: closed ? (f.stateReason ?? "completed") : null,
    locked: false,
    assignee: null,
    assignees: [],
    milestone: null,
    comments: 0,
    created_at: isoSeconds(f.createdAt),
    updated_at: isoSeconds(f.updatedAt ?? f.closedAt ?? f.createdAt),
    closed_at: optional(f.closedAt, isoSeconds),
    author_association: "MEMBER",
    body: f.body ?? null,
  };
  return github("issues", { action: closed ? "closed" : "opened", issue, repository, sender: ghUser(f.author) }, repository.id, f);
}

// ---- Jira Cloud -----------------------------------------------------------------------------
// https://developer.atlassian.com/cloud/jira/platform/webhooks/: X-Hub-Signature (sha256, hex),
// X-Atlassian-Webhook-Identifier (the delivery id, unchanged on retries).

export interface JiraIssueFields extends DeliveryOptions {
  /** The site: https://<site>.atlassian.net */
  site: string;
  /** Jira's numeric issue id, as a string ("99291"). */
  id: string;
  /** PROJECT-123 */
  key: string;
  summary: string;
  issueType: "Bug" | "Story" | "Task" | "Epic";
  priority?: "Highest" | "High" | "Medium" | "Low" | "Lowest" | null;
  labels?: readonly string[];
  components?: readonly string[];
  status?: "new" | "indeterminate" | "done";
  /** With status "done": "Done", "Won't Do", "Duplicate", ... */
  resolution?: string | null;
  created: When;
  updated: When;
  resolutionDate?: When | null;
  actor?: string;
}

const JIRA_STATUS = {
  new: { name: "To Do", id: "10000", category: { id: 2, key: "new", colorName: "blue-gray", name: "To Do" } },
  indeterminate: { name: "In Progress", id: "3", category: { id: 4, key: "indeterminate", colorName: "yellow", name: "In Progress" } },
  done: { name: "Done", id: "10001", category: { id: 3, key: "done", colorName: "green", name: "Done" } },
} as const;
const JIRA_PRIORITY_IDS: Record<string, string> = { Highest: "1", High: "2", Medium: "3", Low: "4", Lowest: "5" };
const JIRA_TYPE_IDS: Record<string, string> = { Bug: "10004", Story: "10001", Task: "10002", Epic: "10000" };

async function jira(event: "created" | "updated", f: JiraIssueFields): Promise<ProviderDelivery> {
  const base = `https://${f.site}.atlassian.net`;
  const rest = `${base}/rest/api/2`;
  const status = JIRA_STATUS[f.status ?? "new"];
  const project = f.key.split("-")[0] ?? f.key;
  const actor = f.actor ?? "Bryan Rollins";
  const accountId = `5b10a2844c20165700${stableId(100000, 900000, actor)}`;
  const payload: Record<string, unknown> = {
    timestamp: date(f.updated).getTime(),
    webhookEvent: `jira:issue_${event}`,
    issue_event_type_name: event === "created" ? "issue_created" : "issue_generic",
    user: { self: `${rest}/user?accountId=${accountId}`, accountId, displayName: actor, active: true, timeZone: "UTC" },
    issue: {
      id: f.id,
      self: `${rest}/issue/${f.id}`,
      key: f.key,
      fields: {
        summary: f.summary,
        created: jiraTime(f.created),
        updated: jiraTime(f.updated),
        description: null,
        labels: [...(f.labels ?? [])],
        priority: f.priority ? { self: `${rest}/priority/${JIRA_PRIORITY_IDS[f.priority]}`, iconUrl: `${base}/images/icons/priorities/${f.priority.toLowerCase()}.svg`, name: f.priority, id: JIRA_PRIORITY_IDS[f.priority] } : null,
        issuetype: { self: `${rest}/issuetype/${JIRA_TYPE_IDS[f.issueType]}`, id: JIRA_TYPE_IDS[f.issueType], name: f.issueType, subtask: false },
        status: { self: `${rest}/status/${status.id}`, name: status.name, id: status.id, statusCategory: status.category },
        resolution: f.resolution ? { self: `${rest}/resolution/${stableId(10000, 100, f.resolution)}`, id: String(stableId(10000, 100, f.resolution)), name: f.resolution } : null,
        resolutiondate: optional(f.resolutionDate, jiraTime),
        components: (f.components ?? []).map((name) => {
          const id = String(stableId(10100, 900, project, name));
          return { self: `${rest}/component/${id}`, id, name };
        }),
        project: { id: String(stableId(10000, 900, project)), key: project, name: project },
      },
    },
  };
  if (event === "updated") {
    payload.changelog = { id: String(stableId(10000, 90000, f.id, jiraTime(f.updated))), items: [{ field: "status", fieldtype: "jira", from: "10000", fromString: "To Do", to: status.id, toString: status.name }] };
  }
  const body = JSON.stringify(payload);
  const deliveryId = f.deliveryId ?? crypto.randomUUID();
  return {
    source: "jira",
    deliveryId,
    body,
    headers: {
      "Content-Type": "application/json; charset=UTF-8",
      "User-Agent": "Atlassian Webhook HTTP Client",
      "X-Atlassian-Webhook-Identifier": deliveryId,
      "X-Hub-Signature": `sha256=${hex(await hmac("SHA-256", f.secret, body))}`,
    },
  };
}

/** `jira:issue_created`. */
export const jiraIssueCreated = (f: JiraIssueFields) => jira("created", f);
/** `jira:issue_updated` (a status change in the changelog). */
export const jiraIssueUpdated = (f: JiraIssueFields) => jira("updated", f);

// ---- Linear ---------------------------------------------------------------------------------
// https://linear.app/developers/webhooks: Linear-Signature (hex HMAC-SHA256 of the body),
// Linear-Delivery, Linear-Event; webhookTimestamp (Unix ms, when sent) inside the signed body.

export interface LinearIssueFields extends DeliveryOptions {
  /** The issue's UUID. */
  id: string;
  /** ENG-483 */
  identifier: string;
  title: string;
  /** 0 none, 1 urgent, 2 high, 3 medium, 4 low. */
  priority?: 0 | 1 | 2 | 3 | 4;
  /** Label names: "Bug", "Feature", "Tech debt", ... */
  labels: readonly string[];
  stateType?: "triage" | "backlog" | "unstarted" | "started" | "completed" | "canceled";
  createdAt: When;
  updatedAt: When;
  completedAt?: When | null;
  canceledAt?: When | null;
  teamKey?: string;
  workspace?: string;
}

const LINEAR_PRIORITY_LABELS = ["No priority", "Urgent", "High", "Medium", "Low"];
const LINEAR_STATE_NAMES = { triage: "Triage", backlog: "Backlog", unstarted: "Todo", started: "In Progress", completed: "Done", canceled: "Canceled" } as const;

async function linear(action: "create" | "update", f: LinearIssueFields): Promise<ProviderDelivery> {
  const sentAt = f.deliveredAt ?? new Date();
  const workspace = f.workspace ?? "acme";
  const teamKey = f.teamKey ?? f.identifier.split("-")[0] ?? "ENG";
  const uuid = (...parts: string[]) => {
    const h = (n: number) => stableId(0x10000000, 0xefffffff, n, ...parts).toString(16);
    return `${h(1)}-${h(2).slice(0, 4)}-4${h(3).slice(0, 3)}-8${h(4).slice(0, 3)}-${h(5)}${h(6).slice(0, 4)}`;
  };
  const stateType = f.stateType ?? "unstarted";
  const url = `https://linear.app/${workspace}/issue/${f.identifier}`;
  const priority = f.priority ?? 0;
  const labels = f.labels.map((name) => ({ id: uuid("label", workspace, name), color: "#eb5757", name }));
  const data = {
    id: f.id,
    createdAt: isoMillis(f.createdAt),
    updatedAt: isoMillis(f.updatedAt),
    archivedAt: null,
    number: Number(f.identifier.split("-")[1] ?? 0),
    identifier: f.identifier,
    title: f.title,
    description: null,
    priority,
    priorityLabel: LINEAR_PRIORITY_LABELS[priority],
    estimate: null,
    boardOrder: 0,
    sortOrder: -stableId(1, 100000, f.id),
    startedAt: null,
    completedAt: optional(f.completedAt, isoMillis),
    canceledAt: optional(f.canceledAt, isoMillis),
    dueDate: null,
    url,
    teamId: uuid("team", workspace, teamKey),
    stateId: uuid("state", workspace, teamKey, stateType),
    assigneeId: null,
    labelIds: labels.map((l) => l.id),
    subscriberIds: [],
    labels,
    state: { id: uuid("state", workspace, teamKey, stateType), color: "#e2e2e2", name: LINEAR_STATE_NAMES[stateType], type: stateType },
    team: { id: uuid("team", workspace, teamKey), key: teamKey, name: teamKey },
  };
  const actor = { id: uuid("user", workspace, "priya"), type: "user", name: "Priya Nair", email: `priya@${workspace}.dev` };
  const payload = {
    action,
    type: "Issue",
    createdAt: isoMillis(f.updatedAt),
    organizationId: uuid("org", workspace),
    webhookTimestamp: sentAt.getTime(),
    webhookId: uuid("webhook", workspace),
    url,
    actor,
    data,
    ...(action === "update" ? { updatedFrom: { updatedAt: isoMillis(f.createdAt), stateId: uuid("state", workspace, teamKey, "unstarted") } } : {}),
  };
  const body = JSON.stringify(payload);
  const deliveryId = f.deliveryId ?? crypto.randomUUID();
  return {
    source: "linear",
    deliveryId,
    body,
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "User-Agent": "Linear-Webhook",
      "Linear-Delivery": deliveryId,
      "Linear-Event": "Issue",
      "Linear-Signature": hex(await hmac("SHA-256", f.secret, body)),
    },
  };
}

/** An `Issue` "create" event. */
export const linearIssueCreated = (f: LinearIssueFields) => linear("create", f);
/** An `Issue` "update" event (with `updatedFrom`). */
export const linearIssueUpdated = (f: LinearIssueFields) => linear("update", f);

// ---- Zendesk --------------------------------------------------------------------------------
// https://developer.zendesk.com/documentation/webhooks/: base64 HMAC-SHA256 of timestamp + body
// in X-Zendesk-Webhook-Signature, the timestamp in X-Zendesk-Webhook-Signature-Timestamp, the
// delivery in X-Zendesk-Webhook-Invocation-Id. Ticket event payloads spell enums in upper case.

export type ZendeskStatus = "new" | "open" | "pending" | "hold" | "solved" | "closed";
export type ZendeskPriority = "urgent" | "high" | "normal" | "low";

export interface ZendeskTicketFields extends DeliveryOptions {
  /** The ticket id ("35436"). */
  id: string;
  subject: string;
  status: ZendeskStatus;
  priority?: ZendeskPriority | null;
  tags?: readonly string[];
  /** The requester's organization id, or null. */
  organizationId?: string | null;
  createdAt: When;
  updatedAt: When;
  accountId?: number;
  /** Which webhook subscription sends it (x-zendesk-webhook-id). */
  webhookId?: string;
}

async function zendesk(type: string, f: ZendeskTicketFields, event: Record<string, unknown>): Promise<ProviderDelivery> {
  const sentAt = f.deliveredAt ?? new Date();
  const actorId = String(stableId(1_000_000_000, 8_000_000_000, "agent", f.id));
  const payload = {
    type: `zen:event-type:ticket.${type}`,
    account_id: f.accountId ?? 12514403,
    id: ulid(date(f.updatedAt)),
    time: isoSeconds(f.updatedAt),
    zendesk_event_version: "2022-11-06",
    subject: `zen:ticket:${f.id}`,
    detail: {
      actor_id: actorId,
      assignee_id: actorId,
      brand_id: "8447346621310",
      created_at: isoSeconds(f.createdAt),
      custom_status: "8447388085950",
      description: f.subject,
      external_id: "",
      form_id: "8646151517822",
      group_id: "8447320466430",
      id: f.id,
      is_public: true,
      organization_id: f.organizationId ?? null,
      priority: f.priority ? f.priority.toUpperCase() : null,
      requester_id: String(stableId(1_000_000_000, 8_000_000_000, "requester", f.id)),
      status: f.status.toUpperCase(),
      subject: f.subject,
      submitter_id: actorId,
      tags: [...(f.tags ?? [])],
      type: "INCIDENT",
      updated_at: isoSeconds(f.updatedAt),
      via: { channel: "web_service" },
    },
    event: { ...event, meta: { sequence: { id: crypto.randomUUID(), position: 1, total: 1 } } },
  };
  const body = JSON.stringify(payload);
  const timestamp = isoSeconds(sentAt);
  const deliveryId = f.deliveryId ?? zendeskInvocationId();
  return {
    source: "zendesk",
    deliveryId,
    body,
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "User-Agent": "Zendesk Webhook",
      "X-Zendesk-Account-Id": String(f.accountId ?? 12514403),
      "X-Zendesk-Webhook-Id": f.webhookId ?? "01F1KRFQ6BG29CNWFR60NK5FNY",
      "X-Zendesk-Webhook-Invocation-Id": deliveryId,
      "X-Zendesk-Webhook-Signature": base64(await hmac("SHA-256", f.secret, timestamp + body)),
      "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
    },
  };
}

/** `zen:event-type:ticket.created`. */
export const zendeskTicketCreated = (f: ZendeskTicketFields) => zendesk("created", f, {});

/**
 * A ticket change: `ticket.status_changed` (default) or `ticket.priority_changed`, with the
 * previous value in `event` (Zendesk has no generic "ticket updated" event type).
 */
export function zendeskTicketUpdated(f: ZendeskTicketFields & { change?: "status" | "priority"; previous: string | null }): Promise<ProviderDelivery> {
  const change = f.change ?? "status";
  const current = change === "status" ? f.status : (f.priority ?? null);
  return zendesk(`${change}_changed`, f, { current: current?.toUpperCase() ?? null, previous: f.previous?.toUpperCase() ?? null });
}

// ---- PagerDuty v3 ---------------------------------------------------------------------------
// https://developer.pagerduty.com/docs/webhooks: X-PagerDuty-Signature "v1=<hex>" (one per
// active secret), X-Webhook-Id (the delivery), X-Webhook-Subscription, PagerDuty-Webhook/V3.0.

export interface PagerDutyIncidentFields extends DeliveryOptions {
  /** The incident id ("PGR0VU2"). */
  id: string;
  number: number;
  title: string;
  /** The service's name (what mapping rules match) and id. */
  service: { id: string; name: string };
  urgency?: "high" | "low";
  /** "P1".."P5", or null when the account uses no priorities. */
  priority?: string | null;
  createdAt: When;
  /** When this event happened; for "resolved", when it was resolved. Default: createdAt. */
  occurredAt?: When;
  team?: { id: string; name: string };
  subdomain?: string;
  subscriptionId?: string;
}

async function pagerDuty(eventType: "triggered" | "acknowledged" | "resolved", f: PagerDutyIncidentFields): Promise<ProviderDelivery> {
  const sub = f.subdomain ?? "acme";
  const ref = (kind: string, type: string, id: string, summary: string) => ({ html_url: `https://${sub}.pagerduty.com/${kind}/${id}`, id, self: `https://api.pagerduty.com/${kind}/${id}`, summary, type });
  const team = f.team ?? { id: "PFCVPS0", name: "Engineering" };
  const priorityId = (p: string) => `PSO${stableId(10000, 90000, p)}`;
  const payload = {
    event: {
      id: crypto.randomUUID(),
      event_type: `incident.${eventType}`,
      resource_type: "incident",
      occurred_at: isoMillis(f.occurredAt ?? f.createdAt),
      agent: ref("users", "user_reference", "PLH1HKV", "Tenex Engineer"),
      client: eventType === "triggered" ? { name: "PagerDuty" } : null,
      data: {
        id: f.id,
        type: "incident",
        self: `https://api.pagerduty.com/incidents/${f.id}`,
        html_url: `https://${sub}.pagerduty.com/incidents/${f.id}`,
        number: f.number,
        status: eventType,
        incident_key: hex(encoder.encode(f.id)).padEnd(32, "0").slice(0, 32),
        created_at: isoSeconds(f.createdAt),
        title: f.title,
        service: ref("services", "service_reference", f.service.id, f.service.name),
        assignees: eventType === "resolved" ? [] : [ref("users", "user_reference", "PTUXL6G", "User 123")],
        escalation_policy: ref("escalation_policies", "escalation_policy_reference", "PUS0KTE", "Default"),
        teams: [ref("teams", "team_reference", team.id, team.name)],
        priority: f.priority ? { html_url: `https://${sub}.pagerduty.com/account/incident_priorities`, id: priorityId(f.priority), self: `https://api.pagerduty.com/priorities/${priorityId(f.priority)}`, summary: f.priority, type: "priority_reference" } : null,
        urgency: f.urgency ?? "high",
        conference_bridge: null,
        resolve_reason: null,
      },
    },
  };
  const body = JSON.stringify(payload);
  const deliveryId = f.deliveryId ?? crypto.randomUUID();
  return {
    source: "pagerduty",
    deliveryId,
    body,
    headers: {
      "Content-Type": "application/json",
      "User-Agent": "PagerDuty-Webhook/V3.0",
      "X-Webhook-Id": deliveryId,
      "X-Webhook-Subscription": f.subscriptionId ?? "PY1OQHC",
      "X-PagerDuty-Signature": `v1=${hex(await hmac("SHA-256", f.secret, body))}`,
    },
  };
}

/** `incident.triggered`. */
export const pagerDutyIncidentTriggered = (f: PagerDutyIncidentFields) => pagerDuty("triggered", f);
/** `incident.acknowledged`. */
export const pagerDutyIncidentAcknowledged = (f: PagerDutyIncidentFields) => pagerDuty("acknowledged", f);
/** `incident.resolved`: `occurredAt` is when it was resolved. */
export const pagerDutyIncidentResolved = (f: PagerDutyIncidentFields & { occurredAt: When }) => pagerDuty("resolved", f);

// ---- CRM (sysop's generic signed webhook) ----------------------------------------------------
// Sysop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">; Sysop-Delivery-Id.

export interface CrmDealFields extends DeliveryOptions {
  /** The CRM's deal id ("D-1042"). */
  id: string;
  name: string;
  customer?: string | null;
  /** US dollars: "120000.50" or 120000.5. */
  arr?: string | number | null;
  stage: string;
  blockingFeature?: string | null;
  /** owner/name of the repository the blocking feature lives in. */
  repo?: string | null;
  labels?: readonly string[];
  owner?: string;
  createdAt: When;
  updatedAt: When;
  closedAt?: When | null;
}

async function crm(type: "deal.created" | "deal.updated", f: CrmDealFields): Promise<ProviderDelivery> {
  const sentAt = f.deliveredAt ?? new Date();
  const deliveryId = f.deliveryId ?? `dlv_${ulid(sentAt)}`;
  const payload = {
    id: `evt_${ulid(date(f.updatedAt))}`,
    type,
    occurred_at: isoSeconds(f.updatedAt),
    deal: {
      id: f.id,
      name: f.name,
      url: `https://crm.example.com/deals/${encodeURIComponent(f.id)}`,
      customer: f.customer ?? null,
      arr: f.arr ?? null,
      currency: "USD",
      stage: f.stage,
      blocking_feature: f.blockingFeature ?? null,
      repo: f.repo ?? null,
      labels: [...(f.labels ?? [])],
      owner: f.owner ?? "jordan@example.com",
      created_at: isoSeconds(f.createdAt),
      updated_at: isoSeconds(f.updatedAt),
      closed_at: optional(f.closedAt, isoSeconds),
    },
  };
  const body = JSON.stringify(payload);
  const t = Math.floor(sentAt.getTime() / 1000);
  return {
    source: "crm",
    deliveryId,
    body,
    headers: {
      "Content-Type": "application/json",
      "User-Agent": "acme-crm-hooks/1.0",
      "Sysop-Delivery-Id": deliveryId,
      "Sysop-Signature": `t=${t},v1=${hex(await hmac("SHA-256", f.secret, `${t}.${body}`))}`,
    },
  };
}

/** `deal.created`. */
export const crmDealCreated = (f: CrmDealFields) => crm("deal.created", f);
/** `deal.updated` (a stage or ARR change; won and lost stages close the deal). */
export const crmDealUpdated = (f: CrmDealFields) => crm("deal.updated", f);
