// Tasks: agent work an API consumer (or Slack) asks for. Creating one asks policy about what
// the job would do, opens an approval when policy says ask, holds the budget, and queues a
// signed job in the pool's RunnerBridge; runners do the work inside the customer's network.
// Read it, list them, cancel (reaches a running job), follow its events live (SSE), and get
// the evidence trail with its hashes.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { and, asc, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import { afterCursor, newestFirst, page } from "../db/pagination";
import { bytesToHex } from "@noble/hashes/utils.js";
import { newRouter } from "../http/router";
import type { AppEnv } from "../http/app-env";
import { authorize } from "../http/authorize";
import { database } from "../db/client";
import { findTeam } from "../db/lookups";
import { auditEvents, runnerPools, taskArtifacts, taskEvents, tasks, type TaskRow } from "../db/schema";
import { conflict, fail, forbidden, notFound, unauthenticated } from "../domain/errors";
import { canonicalJson, eventHash, sha256Hex } from "../domain/audit/chain";
import { newId } from "../domain/identity/ids";
import { isCanonicalRepoPath } from "../domain/policy/patterns";
import { isTerminal } from "../domain/tasks/lifecycle";
import { jobConstraints, planDecisions, planSteps, strictest } from "../domain/tasks/plan";
import { TASK_KINDS, TASK_STATUSES, type TaskStep } from "../domain/tasks/types";
import { credentialKeyId } from "../auth/principal";
import { flushAuditLog, requestActor, requestEvidence } from "../audit/record";
import { decide } from "../governance/decision-input";
import { approvalDesk, runnerBridge } from "../governance/desk";
import { dispatchTask, moveTask, recordTaskAudit, appendTaskEvents } from "../governance/tasks";
import { defineRoute, json, jsonBody, TeamId, Timestamp } from "./common";

const TaskIdParams = z.object({ task_id: z.string().regex(/^task_[a-z2-7]{20}$/, "must be a task_… id").openapi({ param: { name: "task_id", in: "path" } }) });

const Arg = z.string().min(1).max(1000).refine((a) => !/[\u0000\n\r]/.test(a), "no NUL or line breaks");
const Step = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/i, "letters, digits, _ . -"),
  kind: z.enum(["agent", "tests", "command"]),
  run: z.array(Arg).min(1).max(50).optional(),
});

const TaskCreate = z
  .strictObject({
    team_id: TeamId.optional(),
    repo: z.string().trim().min(1).max(200),
    ref: z.string().regex(/^(?!-)[A-Za-z0-9._\/-]{1,200}$/, "a branch, tag or commit (letters, digits, . _ / -)"),
    kind: z.enum(TASK_KINDS),
    goal: z.string().trim().min(1).max(4000),
    steps: z.array(Step).max(20).default([]),
    estimated_tokens: z.number().int().min(0).max(1e9),
    model: z.string().min(1).max(200).default("claude-sonnet-4-5").openapi({ description: "the model the agent uses: prices the budget hold" }),
    paths: z
      .array(z.string().min(1).max(500))
      .max(50)
      .default([])
      .openapi({ description: "globs of repo paths the work may change (default: the whole repo)" }),
    timeout_seconds: z.number().int().min(60).max(3600).optional(),
    callback_url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
    pool_id: z.string().regex(/^pool_[a-z2-7]{20}$/).optional(),
  })
  .superRefine((b, ctx) => {
    const stepIssue = (i: number, message: string) => ctx.addIssue({ code: "custom", path: ["steps", i], message });
    b.steps.forEach((s, i) => {
      if (s.kind === "agent" && s.run) stepIssue(i, "an agent step runs the runner owner's configured agent; it takes no run");
      if (s.kind !== "agent" && !s.run) stepIssue(i, "a tests or command step needs run (argv)");
      if (s.kind === "agent" && b.kind !== "agent_run") stepIssue(i, "only agent_run tasks have an agent step");
    });
    if (new Set(b.steps.map((s) => s.name)).size !== b.steps.length) ctx.addIssue({ code: "custom", path: ["steps"], message: "step names must differ" });
    if (b.kind !== "agent_run" && b.steps.length === 0) ctx.addIssue({ code: "custom", path: ["steps"], message: `a ${b.kind} task needs at least one step` });
    b.paths.forEach((p, i) => {
      if (p.startsWith("/") || p.split("/").some((seg) => seg === "." || seg === "..")) ctx.addIssue({ code: "custom", path: ["paths", i], message: "a glob relative to the repo root, without . or .." });
    });
  })
  .openapi("TaskCreate");

const TaskView = z
  .object({
    id: z.string(),
    status: z.enum(TASK_STATUSES),
    status_reason: z.string().nullable(),
    team_id: z.string(),
    pool_id: z.string(),
    repo: z.string(),
    ref: z.string(),
    kind: z.enum(TASK_KINDS),
    goal: z.string(),
    steps: z.array(Step),
    constraints: z.record(z.string(), z.unknown()),
    estimated_tokens: z.number().int(),
    model: z.string(),
    callback_url: z.string().nullable(),
    requester_id: z.string(),
    decision_ids: z.array(z.string()),
    approval_id: z.string().nullable(),
    reservation_id: z.string().nullable(),
    job_id: z.string().nullable(),
    attempts: z.number().int(),
    runner_id: z.string().nullable(),
    outcome: z.record(z.string(), z.unknown()).nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
    finished_at: Timestamp.nullable(),
  })
  .openapi("Task");

const taskView = (t: TaskRow): z.infer<typeof TaskView> => ({
  id: t.id,
  status: t.status,
  status_reason: t.statusReason,
  team_id: t.teamId,
  pool_id: t.poolId,
  repo: t.repo,
  ref: t.ref,
  kind: t.kind,
  goal: t.goal,
  steps: t.steps,
  constraints: t.constraints as unknown as Record<string, unknown>,
  estimated_tokens: t.estimatedTokens,
  model: t.model,
  callback_url: t.callbackUrl,
  requester_id: t.requesterId,
  decision_ids: t.decisionIds,
  approval_id: t.approvalId,
  reservation_id: t.reservationId,
  job_id: t.jobId,
  attempts: t.attempts,
  runner_id: t.runnerId,
  outcome: (t.outcome as unknown as Record<string, unknown>) ?? null,
  created_at: t.createdAt,
  updated_at: t.updatedAt,
  finished_at: t.finishedAt,
});

const createRoute = defineRoute({
  method: "post",
  path: "/tasks",
  tags: ["tasks"],
  summary: "Create a task (Idempotency-Key header: same key and body → the same task; another body → 409)",
  access: "tasks:write",
  request: { body: jsonBody(TaskCreate), headers: z.object({ "idempotency-key": z.string().min(1).max(200).openapi({ description: "required" }) }) },
  responses: { 201: json(TaskView, "Created"), 200: json(TaskView, "The task this key already created") },
});
const getRoute = defineRoute({ method: "get", path: "/tasks/{task_id}", tags: ["tasks"], summary: "A task, its status and outcome", access: "tasks:read", request: { params: TaskIdParams }, responses: { 200: json(TaskView, "The task") } });
const listRoute = defineRoute({
  method: "get",
  path: "/tasks",
  tags: ["tasks"],
  summary: "Tasks, newest first, by team, status and repo",
  access: "tasks:read",
  request: {
    query: z.object({
      team_id: TeamId.optional().openapi({ param: { name: "team_id", in: "query" } }),
      status: z.enum(TASK_STATUSES).optional().openapi({ param: { name: "status", in: "query" } }),
      repo: z.string().max(200).optional().openapi({ param: { name: "repo", in: "query" } }),
      limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ param: { name: "limit", in: "query" } }),
      cursor: z.string().max(200).optional().openapi({ param: { name: "cursor", in: "query" } }),
    }),
  },
  responses: { 200: json(z.object({ data: z.array(TaskView), next_cursor: z.string().nullable() }).openapi("TaskList"), "Tasks") },
});
const cancelRoute = defineRoute({
  method: "post",
  path: "/tasks/{task_id}/cancel",
  tags: ["tasks"],
  summary: "Cancel: at once if it has not started; a running job is told to stop (its runner reports cancelled)",
  access: "tasks:write",
  request: { params: TaskIdParams },
  responses: { 200: json(TaskView.extend({ cancel_requested: z.boolean() }), "The task") },
});
const eventsRoute = defineRoute({
  method: "get",
  path: "/tasks/{task_id}/events",
  tags: ["tasks"],
  summary: "The task's state changes and log lines as a live stream (text/event-stream; resumes from Last-Event-ID)",
  access: "tasks:read",
  request: { params: TaskIdParams, query: z.object({ after: z.coerce.number().int().min(0).optional().openapi({ param: { name: "after", in: "query" } }) }) },
  responses: { 200: { description: "Server-sent events: `id` is the event's cursor, `event` its type, `data` JSON", content: { "text/event-stream": { schema: z.string() } } } },
});
const evidenceRoute = defineRoute({
  method: "get",
  path: "/tasks/{task_id}/evidence",
  tags: ["tasks"],
  summary: "The evidence trail: decisions → approval → job → outcome → artifact hashes, each event's hash checked",
  access: "tasks:read",
  request: { params: TaskIdParams },
  responses: { 200: json(z.record(z.string(), z.unknown()).openapi("TaskEvidence"), "The trail") },
});
const artifactRoute = defineRoute({
  method: "get",
  path: "/tasks/{task_id}/artifacts/{sha256}",
  tags: ["tasks"],
  summary: "Download an artifact of the task by its SHA-256",
  access: "tasks:read",
  request: { params: TaskIdParams.extend({ sha256: z.string().regex(/^[0-9a-f]{64}$/).openapi({ param: { name: "sha256", in: "path" } }) }) },
  responses: { 200: { description: "The bytes", content: { "application/octet-stream": { schema: z.string() } } } },
});

async function findTask(c: Context<AppEnv>, taskId: string): Promise<TaskRow> {
  return (await database(c.env).select().from(tasks).where(and(eq(tasks.id, taskId), eq(tasks.orgId, c.var.principal.orgId))))[0] ?? notFound("task");
}

/** The pool that runs the team's work: the one named, else the team's own, else the org's. */
async function choosePool(c: Context<AppEnv>, teamId: string, poolId: string | undefined) {
  const db = database(c.env);
  const orgId = c.var.principal.orgId;
  if (poolId) {
    const pool = (await db.select().from(runnerPools).where(and(eq(runnerPools.id, poolId), eq(runnerPools.orgId, orgId))))[0] ?? notFound("runner pool");
    if (pool.teamId !== null && pool.teamId !== teamId) forbidden("That runner pool belongs to another team.");
    return pool;
  }
  const pools = await db.select().from(runnerPools).where(and(eq(runnerPools.orgId, orgId), or(eq(runnerPools.teamId, teamId), isNull(runnerPools.teamId)))).orderBy(asc(runnerPools.createdAt));
  return (
    pools.find((p) => p.teamId === teamId) ??
    pools[0] ??
    fail({ kind: "validation", detail: "No runner pool can run this task.", issues: [{ path: "body.pool_id", message: "the org has no runner pool for this team; an admin creates one with POST /v1/runner-pools", code: "no_pool" }] })
  );
}

/** Owners and admins act for every team; everyone else for the teams they are in. */
const isOrgAdmin = (p: { orgRole: string }) => p.orgRole === "owner" || p.orgRole === "admin";

function payingTeam(c: Context<AppEnv>, named: string | undefined): string {
  const mine = Object.keys(c.var.principal.teamRoles);
  if (named) return named;
  if (mine.length === 1) return mine[0]!;
  return fail({ kind: "validation", detail: "Invalid body.team_id.", issues: [{ path: "body.team_id", message: "name the team (you are in several, or none)", code: "required" }] });
}

/** Asks policy about everything the job would do; the strictest answer decides. */
async function decideTask(c: Context<AppEnv>, task: TaskRow) {
  const planned = planDecisions(task.kind, task.steps, task.constraints.paths.filter(isCanonicalRepoPath));
  const asked = await Promise.all(
    planned.map((p) => decide(c, { repo: task.repo, team: task.teamId, action: p.action, paths: p.paths, ...(p.command ? { command: p.command } : {}), client: { task_id: task.id } }, { noApproval: true })),
  );
  const answers = asked.map((a) => ("refused" in a ? (a.refused === "stale_credential" ? unauthenticated("The credential changed while asking; try again.") : notFound("team")) : a));
  const verdict = strictest(answers.map((a) => a.decision));
  const deciding = answers.find((a) => a.decision === verdict)!;
  return { verdict, deciding, decisionIds: answers.map((a) => a.decisionId) };
}

export type TaskRequest = z.infer<typeof TaskCreate>;
export const parseTaskRequest = (input: unknown) => TaskCreate.safeParse(input);

/**
 * Creates the task for the caller (c.var.principal) under its idempotency key, or returns the
 * one this key already made (409 when the body differs). Used by POST /v1/tasks and Slack.
 */
export async function submitTask(c: Context<AppEnv>, b: TaskRequest, key: string): Promise<{ task: TaskRow; created: boolean }> {
  const me = c.var.principal;
  const db = database(c.env);
  const bodyHash = sha256Hex(canonicalJson(b));
  const replay = async () => {
    const existing = (await db.select().from(tasks).where(and(eq(tasks.orgId, me.orgId), eq(tasks.requesterId, me.id), eq(tasks.idempotencyKey, key))))[0];
    if (!existing) return null;
    if (existing.bodyHash !== bodyHash) return conflict("This Idempotency-Key was used for a different task body.");
    return { task: existing, created: false };
  };
  const earlier = await replay();
  if (earlier) return earlier;
  const team = await findTeam(db, me.orgId, payingTeam(c, b.team_id));
  if (!(team.id in me.teamRoles) && !isOrgAdmin(me)) forbidden("Only the team's members (or org admins) create tasks it pays for.");
  const pool = await choosePool(c, team.id, b.pool_id);
  const steps: TaskStep[] = planSteps(b.kind, b.steps);
  const now = new Date().toISOString();
  const row: TaskRow = {
    id: newId("task"),
    orgId: me.orgId,
    teamId: team.id,
    poolId: pool.id,
    repo: b.repo,
    ref: b.ref,
    kind: b.kind,
    goal: b.goal,
    steps,
    constraints: jobConstraints(steps, { paths: b.paths, network: false, timeoutSeconds: b.timeout_seconds }),
    estimatedTokens: b.estimated_tokens,
    model: b.model,
    callbackUrl: b.callback_url ?? null,
    requesterId: me.id,
    idempotencyKey: key,
    bodyHash,
    status: "received",
    statusReason: null,
    decisionIds: [],
    approvalId: null,
    reservationId: null,
    jobId: null,
    attempts: 0,
    runnerId: null,
    outcome: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
  };
  try {
    await db.insert(tasks).values(row);
  } catch (err) {
    // The same key raced in twice: the first insert is the task.
    if (String(err).includes("UNIQUE")) return (await replay()) ?? conflict("A task with this Idempotency-Key is being created.");
    throw err;
  }
  const actor = requestActor(c);
  const evidence = requestEvidence(c);
  await appendTaskEvents(c.env, row, [{ type: "status", data: { status: "received", reason: null }, at: now }]);
  await recordTaskAudit(c.env, row, "task.received", { team_id: row.teamId, pool_id: row.poolId, repo: row.repo, ref: row.ref, kind: row.kind, goal: row.goal, steps: row.steps, estimated_tokens: row.estimatedTokens, idempotency_key: key }, actor, evidence);

  // Network is a separate question: egress only where policy allows it outright.
  const [network, decided] = await Promise.all([decide(c, { repo: row.repo, team: row.teamId, action: "network", paths: [], client: { task_id: row.id } }, { noApproval: true }), decideTask(c, row)]);
  const constraints = jobConstraints(steps, { paths: b.paths, network: !("refused" in network) && network.decision === "allow", timeoutSeconds: b.timeout_seconds });
  const decisionIds = [...decided.decisionIds, ...("refused" in network ? [] : [network.decisionId])];
  await db.update(tasks).set({ decisionIds, constraints }).where(eq(tasks.id, row.id));
  const task = { ...row, decisionIds, constraints };

  if (decided.verdict === "deny") {
    await moveTask(c.env, task, { to: "failed", reason: `policy denies it: ${decided.deciding.reason}`, actor, evidence, details: { decision_ids: decisionIds } });
  } else if (decided.verdict === "ask") {
    const opened = await approvalDesk(c.env, me.orgId, task.teamId).open(
      {
        orgId: me.orgId,
        teamId: task.teamId,
        requestHash: sha256Hex(canonicalJson(["task", task.id])),
        requesterId: me.id,
        requesterKind: me.kind,
        requesterKeyId: credentialKeyId(me.credential),
        decisionId: decided.deciding.decisionId,
        summary: {
          actorId: me.id,
          repo: task.repo,
          action: `task:${task.kind}`,
          paths: b.paths,
          command: `${task.goal}${task.steps.some((s) => s.run) ? ` — runs: ${constraints.commands.join("; ")}` : ""}`.slice(0, 2000),
          tool: null,
          taskId: task.id,
        },
        reason: decided.deciding.reason,
        ticketUrl: null,
        settings: decided.deciding.approvalSettings!,
      },
      evidence,
    );
    await moveTask(c.env, task, { to: "awaiting_approval", reason: decided.deciding.reason, patch: { approvalId: opened.approval.id }, actor, evidence, details: { approval_id: opened.approval.id, decision_ids: decisionIds } });
  } else {
    await dispatchTask(c.env, task, actor, evidence);
  }
  return { task: await findTask(c, task.id), created: true };
}

export const taskRoutes = newRouter()
  .openapi(createRoute, async (c) => {
    authorize(c, "tasks:write");
    const { task, created } = await submitTask(c, c.req.valid("json"), c.req.valid("header")["idempotency-key"]);
    return c.json(taskView(task), created ? 201 : 200);
  })
  .openapi(getRoute, async (c) => {
    authorize(c, "tasks:read");
    return c.json(taskView(await findTask(c, c.req.valid("param").task_id)), 200);
  })
  .openapi(listRoute, async (c) => {
    authorize(c, "tasks:read");
    const q = c.req.valid("query");
    const rows = await database(c.env)
      .select()
      .from(tasks)
      .where(
        and(
          eq(tasks.orgId, c.var.principal.orgId),
          q.team_id ? eq(tasks.teamId, q.team_id) : undefined,
          q.status ? eq(tasks.status, q.status) : undefined,
          q.repo ? eq(tasks.repo, q.repo) : undefined,
          afterCursor(tasks, q.cursor),
        ),
      )
      .orderBy(...newestFirst(tasks))
      .limit(q.limit + 1);
    const { rows: pageRows, nextCursor } = page(rows, q.limit);
    return c.json({ data: pageRows.map(taskView), next_cursor: nextCursor }, 200);
  })
  .openapi(cancelRoute, async (c) => {
    authorize(c, "tasks:write");
    const task = await findTask(c, c.req.valid("param").task_id);
    const me = c.var.principal;
    if (task.requesterId !== me.id && me.teamRoles[task.teamId] !== "lead" && !isOrgAdmin(me)) {
      forbidden("Only the task's requester, its team's lead or an org admin may cancel it.");
    }
    if (isTerminal(task.status)) return conflict(`The task is already ${task.status}.`);
    const actor = requestActor(c);
    const evidence = requestEvidence(c);
    let cancelRequested = false;
    if (task.status === "queued" || task.status === "running") {
      const how = task.jobId ? await runnerBridge(c.env, task.poolId).cancel(task.jobId) : "unknown";
      if (how === "signalled") {
        cancelRequested = true;
        await recordTaskAudit(c.env, task, "task.cancel_requested", { job_id: task.jobId }, actor, evidence);
        await appendTaskEvents(c.env, task, [{ type: "cancel_requested", data: { by: me.id } }]);
      }
    }
    if (!cancelRequested) {
      const moved = await moveTask(c.env, task, { to: "cancelled", reason: `cancelled by ${me.id}`, actor, evidence });
      if (moved && task.approvalId && task.status === "awaiting_approval") {
        await approvalDesk(c.env, task.orgId, task.teamId).cancel(task.approvalId, { id: me.id, kind: me.kind, keyId: credentialKeyId(me.credential) }, evidence);
      }
    }
    return c.json({ ...taskView(await findTask(c, task.id)), cancel_requested: cancelRequested }, 200);
  })
  .openapi(eventsRoute, async (c) => {
    authorize(c, "tasks:read");
    const task = await findTask(c, c.req.valid("param").task_id);
    const resume = Number(c.req.header("last-event-id") ?? c.req.valid("query").after ?? 0);
    let cursor = Number.isInteger(resume) && resume > 0 ? resume : 0;
    const db = database(c.env);
    return streamSSE(c, async (stream) => {
      // A connection lives a few minutes at most; EventSource clients reconnect with Last-Event-ID.
      const until = Date.now() + 5 * 60_000;
      while (!stream.aborted && Date.now() < until) {
        const rows = await db.select().from(taskEvents).where(and(eq(taskEvents.taskId, task.id), gt(taskEvents.id, cursor))).orderBy(asc(taskEvents.id)).limit(500);
        for (const r of rows) {
          await stream.writeSSE({ id: String(r.id), event: r.type, data: JSON.stringify({ ...r.data, at: r.at }) });
          cursor = r.id;
        }
        if (rows.length === 500) continue;
        const now = (await db.select({ status: tasks.status }).from(tasks).where(eq(tasks.id, task.id)))[0];
        if (!now || isTerminal(now.status)) {
          // One last read: events written just before the final status change.
          const tail = await db.select().from(taskEvents).where(and(eq(taskEvents.taskId, task.id), gt(taskEvents.id, cursor))).orderBy(asc(taskEvents.id));
          for (const r of tail) await stream.writeSSE({ id: String(r.id), event: r.type, data: JSON.stringify({ ...r.data, at: r.at }) });
          await stream.writeSSE({ event: "end", data: JSON.stringify({ status: now?.status ?? null }) });
          return;
        }
        await stream.sleep(250);
      }
    }) as never;
  })
  .openapi(evidenceRoute, async (c) => {
    authorize(c, "tasks:read");
    const task = await findTask(c, c.req.valid("param").task_id);
    const db = database(c.env);
    await flushAuditLog(c.env, task.orgId);
    const targets = [task.id, ...(task.approvalId ? [task.approvalId] : [])];
    const [trail, decisions, artifacts] = await Promise.all([
      db.select().from(auditEvents).where(and(eq(auditEvents.orgId, task.orgId), inArray(auditEvents.targetId, targets))).orderBy(asc(auditEvents.seq)),
      task.decisionIds.length
        ? db
            .select()
            .from(auditEvents)
            .where(and(eq(auditEvents.orgId, task.orgId), eq(auditEvents.action, "decision.made"), inArray(sql`json_extract(${auditEvents.details}, '$.decision_id')`, task.decisionIds)))
            .orderBy(asc(auditEvents.seq))
        : Promise.resolve([]),
      db.select().from(taskArtifacts).where(eq(taskArtifacts.taskId, task.id)),
    ]);
    const events = [...decisions, ...trail].sort((a, b) => a.seq - b.seq);
    const checked = events.map((e) => ({ seq: e.seq, action: e.action, target: { type: e.targetType, id: e.targetId }, actor: { id: e.actorId, kind: e.actorKind }, ts: e.ts, hash: e.hash, prev_hash: e.prevHash, details_sha256: e.detailsSha256, details: e.details ? JSON.parse(e.details) : null, hash_ok: eventHash(e) === e.hash && (e.details === null || sha256Hex(e.details) === e.detailsSha256) }));
    const stored = await Promise.all(
      artifacts.map(async (a) => {
        const head = await c.env.ARTIFACTS.head(a.r2Key);
        const sum = head?.checksums.sha256 ? bytesToHex(new Uint8Array(head.checksums.sha256)) : null;
        return { kind: a.kind, sha256: a.sha256, size: a.size, job_id: a.jobId, stored: head !== null, hash_ok: sum === a.sha256 };
      }),
    );
    const links = {
      decisions: task.decisionIds.every((id) => decisions.some((d) => JSON.parse(d.details ?? "{}").decision_id === id)),
      approval: task.approvalId === null || trail.some((e) => e.targetId === task.approvalId && e.action === "approval.requested"),
      outcome: !isTerminal(task.status) || trail.some((e) => e.action === `task.${task.status}`),
      artifacts: stored.every((a) => a.stored && a.hash_ok && trail.some((e) => e.action === "task.artifact_stored" && JSON.parse(e.details ?? "{}").sha256 === a.sha256)),
    };
    const verified = checked.every((e) => e.hash_ok) && Object.values(links).every(Boolean);
    return c.json({ task_id: task.id, status: task.status, verified, links, events: checked, artifacts: stored, chain: "every event is in the org's hash chain; GET /v1/audit/verify proves the whole chain" }, 200);
  })
  .openapi(artifactRoute, async (c) => {
    authorize(c, "tasks:read");
    const { task_id, sha256 } = c.req.valid("param");
    const task = await findTask(c, task_id);
    const row = (await database(c.env).select().from(taskArtifacts).where(and(eq(taskArtifacts.taskId, task.id), eq(taskArtifacts.sha256, sha256))))[0] ?? notFound("artifact");
    const obj = (await c.env.ARTIFACTS.get(row.r2Key)) ?? notFound("artifact");
    return new Response(obj.body, { headers: { "content-type": obj.httpMetadata?.contentType ?? "application/octet-stream", "x-sysop-artifact-kind": row.kind, etag: `"${sha256}"` } }) as never;
  });
