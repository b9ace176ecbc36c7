// drizzle-orm view of the D1 tables created by d1-migrations/. The SQL files are the source
// of truth (append-only); this file must describe the same columns.
import { sqliteTable, text, integer, primaryKey } from "drizzle-orm/sqlite-core";
import type { PolicyDocument } from "../domain/policy/types";
import type { ActionSummary, ApprovalVote } from "../domain/approvals/approval";
import type { ApproverRole } from "../domain/approvals/settings";
import type { ModelPrice } from "../domain/prices/types";
import { SEVERITIES, SIGNAL_KINDS, SIGNAL_STATES, WEBHOOK_SOURCES } from "../domain/webhooks/types";
import type { OutcomeSettings, SignalMatch } from "../domain/signals/settings";
import { ARTIFACT_KINDS, TASK_KINDS, TASK_STATUSES, type JobConstraints, type JobOutcome, type TaskStep } from "../domain/tasks/types";

export const orgs = sqliteTable("orgs", {
  id: text("id").primaryKey(),
  slug: text("slug").notNull(),
  name: text("name").notNull(),
  createdAt: text("created_at").notNull(),
  slackTeamId: text("slack_team_id"),
  slackBotTokenSealed: text("slack_bot_token_sealed"),
});

export const principals = sqliteTable("principals", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  kind: text("kind", { enum: ["user", "agent", "service"] }).notNull(),
  email: text("email"),
  name: text("name").notNull(),
  orgRole: text("org_role", { enum: ["owner", "admin", "member", "auditor", "billing"] }).notNull(),
  status: text("status", { enum: ["active", "removed"] }).notNull(),
  createdAt: text("created_at").notNull(),
});

export const teams = sqliteTable("teams", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  slug: text("slug").notNull(),
  name: text("name").notNull(),
  archivedAt: text("archived_at"),
  createdAt: text("created_at").notNull(),
  slackWebhookUrl: text("slack_webhook_url"),
});

export const teamMembers = sqliteTable(
  "team_members",
  {
    teamId: text("team_id").notNull(),
    principalId: text("principal_id").notNull(),
    orgId: text("org_id").notNull(),
    role: text("role", { enum: ["lead", "member"] }).notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.principalId] })],
);

export const repos = sqliteTable("repos", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  teamId: text("team_id").notNull(),
  name: text("name").notNull(),
  url: text("url"),
  defaultBranch: text("default_branch").notNull(),
  pathScopes: text("path_scopes", { mode: "json" }).$type<PathScope[]>().notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export interface PathScope {
  path: string;
  read: string[];
  write: string[];
}

export const apiKeys = sqliteTable("api_keys", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  principalId: text("principal_id").notNull(),
  name: text("name").notNull(),
  prefix: text("prefix").notNull(),
  secretHash: text("secret_hash").notNull(),
  scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
  expiresAt: text("expires_at"),
  revokedAt: text("revoked_at"),
  lastUsedAt: text("last_used_at"),
  createdBy: text("created_by").notNull(),
  createdAt: text("created_at").notNull(),
});

export const oidcIssuers = sqliteTable("oidc_issuers", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  issuer: text("issuer").notNull(),
  audience: text("audience").notNull(),
  jwks: text("jwks", { mode: "json" }).$type<{ keys: JsonWebKey[] }>().notNull(),
  emailClaim: text("email_claim").notNull(),
  createdAt: text("created_at").notNull(),
});

export const auditEvents = sqliteTable(
  "audit_events",
  {
    orgId: text("org_id").notNull(),
    seq: integer("seq").notNull(),
    ts: text("ts").notNull(),
    actorId: text("actor_id").notNull(),
    actorKind: text("actor_kind").notNull(),
    actorKeyId: text("actor_key_id"),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id").notNull(),
    outcome: text("outcome", { enum: ["success", "failure"] }).notNull(),
    requestId: text("request_id").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    details: text("details"),
    detailsSha256: text("details_sha256").notNull(),
    detailsInR2: integer("details_in_r2", { mode: "boolean" }).notNull(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.seq] })],
);

export const policies = sqliteTable("policies", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  layer: text("layer", { enum: ["org", "team", "repo"] }).notNull(),
  targetId: text("target_id").notNull(),
  activeVersion: integer("active_version"),
  latestVersion: integer("latest_version").notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export const policyVersions = sqliteTable(
  "policy_versions",
  {
    policyId: text("policy_id").notNull(),
    orgId: text("org_id").notNull(),
    version: integer("version").notNull(),
    document: text("document", { mode: "json" }).$type<PolicyDocument>().notNull(),
    sha256: text("sha256").notNull(),
    note: text("note"),
    createdBy: text("created_by").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.policyId, t.version] })],
);

export const approvals = sqliteTable("approvals", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  teamId: text("team_id"),
  status: text("status", { enum: ["pending", "approved", "denied", "cancelled", "expired"] }).notNull(),
  requestHash: text("request_hash").notNull(),
  requesterId: text("requester_id").notNull(),
  decisionId: text("decision_id"),
  summary: text("summary", { mode: "json" }).$type<ActionSummary>().notNull(),
  reason: text("reason").notNull(),
  ticketUrl: text("ticket_url"),
  quorum: integer("quorum").notNull(),
  approverRoles: text("approver_roles", { mode: "json" }).$type<ApproverRole[]>().notNull(),
  votes: text("votes", { mode: "json" }).$type<ApprovalVote[]>().notNull(),
  createdAt: text("created_at").notNull(),
  expiresAt: text("expires_at").notNull(),
  decidedAt: text("decided_at"),
  validUntil: text("valid_until"),
});

export const slackUsers = sqliteTable(
  "slack_users",
  {
    orgId: text("org_id").notNull(),
    slackUserId: text("slack_user_id").notNull(),
    principalId: text("principal_id").notNull(),
    email: text("email").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.slackUserId] })],
);

export const slackReplayGuard = sqliteTable("slack_replay_guard", {
  signature: text("signature").primaryKey(),
  seenAt: integer("seen_at").notNull(),
});

export const usageRecords = sqliteTable("usage_records", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  teamId: text("team_id").notNull(),
  userId: text("user_id"),
  agentId: text("agent_id"),
  repo: text("repo"),
  taskId: text("task_id"),
  model: text("model"),
  inputTokens: integer("input_tokens").notNull(),
  outputTokens: integer("output_tokens").notNull(),
  cacheReadTokens: integer("cache_read_tokens").notNull(),
  cacheWriteTokens: integer("cache_write_tokens").notNull(),
  tokens: integer("tokens").notNull(),
  costMicros: integer("cost_micros").notNull(),
  createdAt: text("created_at").notNull(),
});

export const providerKeys = sqliteTable(
  "provider_keys",
  {
    orgId: text("org_id").notNull(),
    provider: text("provider", { enum: ["anthropic", "openai"] }).notNull(),
    sealed: text("sealed").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.provider] })],
);

export const orgPrices = sqliteTable("org_prices", {
  orgId: text("org_id").primaryKey(),
  overrides: text("overrides", { mode: "json" }).$type<Record<string, ModelPrice>>().notNull(),
  defaultPrice: text("default_price", { mode: "json" }).$type<ModelPrice | null>(),
  updatedAt: text("updated_at").notNull(),
});

export const runnerPools = sqliteTable("runner_pools", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  teamId: text("team_id"),
  name: text("name").notNull(),
  createdAt: text("created_at").notNull(),
});

export const enrolmentTokens = sqliteTable("enrolment_tokens", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  poolId: text("pool_id").notNull(),
  secretHash: text("secret_hash").notNull(),
  createdBy: text("created_by").notNull(),
  createdAt: text("created_at").notNull(),
  expiresAt: text("expires_at").notNull(),
  usedAt: text("used_at"),
  runnerId: text("runner_id"),
});

export const runners = sqliteTable("runners", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  poolId: text("pool_id").notNull(),
  name: text("name").notNull(),
  publicKey: text("public_key", { mode: "json" }).$type<Record<string, string>>().notNull(),
  labels: text("labels", { mode: "json" }).$type<Record<string, string>>().notNull(),
  status: text("status", { enum: ["active", "draining", "revoked"] }).notNull(),
  enrolledAt: text("enrolled_at").notNull(),
  lastSeenAt: text("last_seen_at"),
  revokedAt: text("revoked_at"),
});

export const tasks = sqliteTable("tasks", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  teamId: text("team_id").notNull(),
  poolId: text("pool_id").notNull(),
  repo: text("repo").notNull(),
  ref: text("ref").notNull(),
  kind: text("kind", { enum: TASK_KINDS }).notNull(),
  goal: text("goal").notNull(),
  steps: text("steps", { mode: "json" }).$type<TaskStep[]>().notNull(),
  constraints: text("constraints", { mode: "json" }).$type<JobConstraints>().notNull(),
  estimatedTokens: integer("estimated_tokens").notNull(),
  model: text("model").notNull(),
  callbackUrl: text("callback_url"),
  requesterId: text("requester_id").notNull(),
  idempotencyKey: text("idempotency_key").notNull(),
  bodyHash: text("body_hash").notNull(),
  status: text("status", { enum: TASK_STATUSES }).notNull(),
  statusReason: text("status_reason"),
  decisionIds: text("decision_ids", { mode: "json" }).$type<string[]>().notNull(),
  approvalId: text("approval_id"),
  reservationId: text("reservation_id"),
  jobId: text("job_id"),
  attempts: integer("attempts").notNull(),
  runnerId: text("runner_id"),
  outcome: text("outcome", { mode: "json" }).$type<JobOutcome>(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
  finishedAt: text("finished_at"),
});

export const taskEvents = sqliteTable("task_events", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  taskId: text("task_id").notNull(),
  orgId: text("org_id").notNull(),
  type: text("type").notNull(),
  data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  at: text("at").notNull(),
});

export const taskArtifacts = sqliteTable(
  "task_artifacts",
  {
    taskId: text("task_id").notNull(),
    jobId: text("job_id").notNull(),
    kind: text("kind", { enum: ARTIFACT_KINDS }).notNull(),
    sha256: text("sha256").notNull(),
    size: integer("size").notNull(),
    r2Key: text("r2_key").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.kind, t.sha256] })],
);

export const orgSecrets = sqliteTable(
  "org_secrets",
  {
    orgId: text("org_id").notNull(),
    kind: text("kind", { enum: ["callback_signing"] }).notNull(),
    sealed: text("sealed").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.kind, t.createdAt] })],
);

export const webhookSecrets = sqliteTable(
  "webhook_secrets",
  {
    orgId: text("org_id").notNull(),
    source: text("source", { enum: WEBHOOK_SOURCES }).notNull(),
    sealed: text("sealed").notNull(),
    position: integer("position").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.source, t.position] })],
);

export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    orgId: text("org_id").notNull(),
    source: text("source").notNull(),
    deliveryId: text("delivery_id").notNull(),
    outcome: text("outcome", { enum: ["stored", "dead_letter"] }).notNull(),
    records: integer("records").notNull(),
    receivedAt: text("received_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.source, t.deliveryId] })],
);

export const webhookDeadLetters = sqliteTable("webhook_dead_letters", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  source: text("source").notNull(),
  deliveryId: text("delivery_id"),
  reason: text("reason").notNull(),
  headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull(),
  body: text("body").notNull(),
  receivedAt: text("received_at").notNull(),
});

export const signals = sqliteTable("signals", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  source: text("source", { enum: WEBHOOK_SOURCES }).notNull(),
  externalId: text("external_id").notNull(),
  url: text("url"),
  kind: text("kind", { enum: SIGNAL_KINDS }).notNull(),
  title: text("title").notNull(),
  severity: text("severity", { enum: SEVERITIES }),
  customer: text("customer"),
  arrMicros: integer("arr_micros"),
  component: text("component"),
  service: text("service"),
  labels: text("labels", { mode: "json" }).$type<string[]>().notNull(),
  repo: text("repo"),
  teamId: text("team_id"),
  state: text("state", { enum: SIGNAL_STATES }).notNull(),
  openedAt: text("opened_at").notNull(),
  resolvedAt: text("resolved_at"),
  updatedAt: text("updated_at").notNull(),
});

export const signalMappings = sqliteTable("signal_mappings", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  position: integer("position").notNull(),
  match: text("match", { mode: "json" }).$type<SignalMatch>().notNull(),
  repo: text("repo"),
  teamId: text("team_id"),
  createdAt: text("created_at").notNull(),
});

export const changes = sqliteTable("changes", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  repo: text("repo").notNull(),
  number: integer("number").notNull(),
  teamId: text("team_id"),
  author: text("author").notNull(),
  origin: text("origin", { enum: ["agent", "human"] }).notNull(),
  originEvidence: text("origin_evidence"),
  taskId: text("task_id"),
  title: text("title").notNull(),
  branch: text("branch").notNull(),
  labels: text("labels", { mode: "json" }).$type<string[]>().notNull(),
  openedAt: text("opened_at").notNull(),
  firstReviewAt: text("first_review_at"),
  approvedAt: text("approved_at"),
  mergedAt: text("merged_at"),
  closedAt: text("closed_at"),
  firstCommitAt: text("first_commit_at"),
  reviewRounds: integer("review_rounds").notNull(),
  headSha: text("head_sha"),
  mergeSha: text("merge_sha"),
  reworkedAt: text("reworked_at"),
  revertedAt: text("reverted_at"),
  updatedAt: text("updated_at").notNull(),
});

export const branchPushes = sqliteTable(
  "branch_pushes",
  {
    orgId: text("org_id").notNull(),
    repo: text("repo").notNull(),
    branch: text("branch").notNull(),
    firstCommitAt: text("first_commit_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.repo, t.branch] })],
);

export const prReviews = sqliteTable(
  "pr_reviews",
  {
    orgId: text("org_id").notNull(),
    deliveryId: text("delivery_id").notNull(),
    repo: text("repo").notNull(),
    number: integer("number").notNull(),
    reviewer: text("reviewer").notNull(),
    state: text("state").notNull(),
    submittedAt: text("submitted_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.deliveryId] })],
);

export const deployments = sqliteTable("deployments", {
  id: text("id").primaryKey(),
  orgId: text("org_id").notNull(),
  repo: text("repo").notNull(),
  teamId: text("team_id"),
  environment: text("environment").notNull(),
  state: text("state").notNull(),
  sha: text("sha").notNull(),
  deploymentId: integer("deployment_id").notNull(),
  at: text("at").notNull(),
});

export const priorityTasks = sqliteTable(
  "priority_tasks",
  {
    orgId: text("org_id").notNull(),
    priorityId: text("priority_id").notNull(),
    taskId: text("task_id").notNull(),
    signalIds: text("signal_ids", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.priorityId, t.taskId] })],
);

export const outcomeSettings = sqliteTable("outcome_settings", {
  orgId: text("org_id").primaryKey(),
  settings: text("settings", { mode: "json" }).$type<OutcomeSettings>().notNull(),
  updatedAt: text("updated_at").notNull(),
});

export type OrgRow = typeof orgs.$inferSelect;
export type PrincipalRow = typeof principals.$inferSelect;
export type TeamRow = typeof teams.$inferSelect;
export type RepoRow = typeof repos.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type OidcIssuerRow = typeof oidcIssuers.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;
export type PolicyRow = typeof policies.$inferSelect;
export type ApprovalRow = typeof approvals.$inferSelect;
export type UsageRecordRow = typeof usageRecords.$inferSelect;
export type PolicyVersionRow = typeof policyVersions.$inferSelect;
export type RunnerPoolRow = typeof runnerPools.$inferSelect;
export type RunnerRow = typeof runners.$inferSelect;
export type TaskRow = typeof tasks.$inferSelect;
export type SignalRow = typeof signals.$inferSelect;
export type ChangeRow = typeof changes.$inferSelect;
