// Runner pools and runners. Admins create pools and one-time enrolment tokens, list, drain
// and revoke runners. Runners enrol with a token and their own Ed25519 public key, then call
// /v1/runner/* with JWTs they sign (sandbox-bridge/PROTOCOL.md): lease (long-poll),
// heartbeat, events, artifacts (R2, by content hash) and the signed outcome.
import { z } from "@hono/zod-openapi";
import { sha256 as sha256Digest } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { and, eq, isNull } from "drizzle-orm";
import { decodeProtectedHeader, importJWK, jwtVerify, type JWK } from "jose";
import { newRouter } from "../http/router";
import type { AppEnv } from "../http/app-env";
import { authorize } from "../http/authorize";
import { database } from "../db/client";
import { findTeam } from "../db/lookups";
import { enrolmentTokens, runnerPools, runners, taskArtifacts, tasks, type RunnerRow } from "../db/schema";
import { conflict, fail, forbidden, notFound, unauthenticated } from "../domain/errors";
import { newId, randomBase32 } from "../domain/identity/ids";
import { sha256Hex } from "../domain/audit/chain";
import { constantTimeEqual } from "../domain/identity/constant-time";
import { recordAudit, requestEvidence } from "../audit/record";
import { authenticateRunner, isEd25519PublicJwk, RUNNER_AUDIENCE } from "../auth/runner-token";
import { runnerBridge } from "../governance/desk";
import { appendTaskEvents, recordTaskAudit } from "../governance/tasks";
import { ARTIFACT_KINDS, type JobOutcome } from "../domain/tasks/types";
import { pathsOutside } from "../domain/tasks/plan";
import { defineRoute, json, jsonBody, Name, TeamId, Timestamp } from "./common";

/** Artifacts above this are refused (the diff, a test report, a redacted log). */
export const MAX_ARTIFACT_BYTES = 10 * 1024 * 1024;
const MAX_LEASE_WAIT_SECONDS = 25;
const ENROLMENT_TOKEN = /^sysop_enr_([a-z2-7]{20})_[a-z2-7]{52}$/;
const LAST_SEEN_RESOLUTION_MS = 60_000;

const PoolIdParams = z.object({ pool_id: z.string().regex(/^pool_[a-z2-7]{20}$/, "must be a pool_… id").openapi({ param: { name: "pool_id", in: "path" } }) });
const RunnerIdParams = z.object({ runner_id: z.string().regex(/^run_[a-z2-7]{20}$/, "must be a run_… id").openapi({ param: { name: "runner_id", in: "path" } }) });
const JobIdParams = z.object({ job_id: z.string().regex(/^job_[a-z2-7]{20}$/, "must be a job_… id").openapi({ param: { name: "job_id", in: "path" } }) });
const LeaseId = z.string().regex(/^lease_[a-z2-7]{20}$/, "must be a lease_… id");

const PoolView = z.object({ id: z.string(), name: z.string(), team_id: z.string().nullable(), created_at: Timestamp }).openapi("RunnerPool");
const RunnerView = z
  .object({
    id: z.string(),
    pool_id: z.string(),
    name: z.string(),
    status: z.enum(["active", "draining", "revoked"]),
    labels: z.record(z.string(), z.string()),
    enrolled_at: Timestamp,
    last_seen_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable(),
  })
  .openapi("Runner");

const poolView = (p: typeof runnerPools.$inferSelect): z.infer<typeof PoolView> => ({ id: p.id, name: p.name, team_id: p.teamId, created_at: p.createdAt });
const runnerView = (r: RunnerRow): z.infer<typeof RunnerView> => ({
  id: r.id,
  pool_id: r.poolId,
  name: r.name,
  status: r.status,
  labels: r.labels,
  enrolled_at: r.enrolledAt,
  last_seen_at: r.lastSeenAt,
  revoked_at: r.revokedAt,
});

const Labels = z.record(z.string().regex(/^[a-z0-9_.-]{1,40}$/i), z.string().max(100)).refine((l) => Object.keys(l).length <= 20, "at most 20 labels");

// ---- admin routes ----

const createPoolRoute = defineRoute({
  method: "post",
  path: "/runner-pools",
  tags: ["runners"],
  summary: "Create a runner pool (optionally a team's own)",
  access: "runners:manage",
  request: { body: jsonBody(z.strictObject({ name: Name, team_id: TeamId.optional() }).openapi("RunnerPoolCreate")) },
  responses: { 201: json(PoolView, "The pool") },
});
const listPoolsRoute = defineRoute({ method: "get", path: "/runner-pools", tags: ["runners"], summary: "List runner pools", access: "runners:read", responses: { 200: json(z.object({ data: z.array(PoolView) }), "Pools") } });
const tokenRoute = defineRoute({
  method: "post",
  path: "/runner-pools/{pool_id}/enrolment-tokens",
  tags: ["runners"],
  summary: "Issue a one-time enrolment token for the pool (shown once)",
  access: "runners:manage",
  request: { params: PoolIdParams, body: { required: false, content: { "application/json": { schema: z.strictObject({ ttl_seconds: z.number().int().min(60).max(86_400).default(3600) }) } } } },
  responses: { 201: json(z.object({ id: z.string(), token: z.string(), pool_id: z.string(), expires_at: Timestamp }).openapi("EnrolmentToken"), "The token") },
});
const listRunnersRoute = defineRoute({
  method: "get",
  path: "/runner-pools/{pool_id}/runners",
  tags: ["runners"],
  summary: "The pool's runners",
  access: "runners:read",
  request: { params: PoolIdParams },
  responses: { 200: json(z.object({ data: z.array(RunnerView) }), "Runners") },
});
const drainRoute = defineRoute({ method: "post", path: "/runners/{runner_id}/drain", tags: ["runners"], summary: "Stop giving the runner new jobs (it finishes its current one)", access: "runners:manage", request: { params: RunnerIdParams }, responses: { 200: json(RunnerView, "The runner") } });
const revokeRoute = defineRoute({ method: "post", path: "/runners/{runner_id}/revoke", tags: ["runners"], summary: "Revoke the runner: refused (401) on its next call; its jobs go back to the queue", access: "runners:manage", request: { params: RunnerIdParams }, responses: { 200: json(RunnerView, "The runner") } });

async function findPool(c: Context<AppEnv>, poolId: string) {
  return (await database(c.env).select().from(runnerPools).where(and(eq(runnerPools.id, poolId), eq(runnerPools.orgId, c.var.principal.orgId))))[0] ?? notFound("runner pool");
}
async function findRunner(c: Context<AppEnv>, runnerId: string) {
  return (await database(c.env).select().from(runners).where(and(eq(runners.id, runnerId), eq(runners.orgId, c.var.principal.orgId))))[0] ?? notFound("runner");
}

export const runnerAdminRoutes = newRouter()
  .openapi(createPoolRoute, async (c) => {
    authorize(c, "runners:manage");
    const b = c.req.valid("json");
    const me = c.var.principal;
    if (b.team_id) await findTeam(database(c.env), me.orgId, b.team_id);
    const pool = { id: newId("pool"), orgId: me.orgId, teamId: b.team_id ?? null, name: b.name, createdAt: new Date().toISOString() };
    try {
      await database(c.env).insert(runnerPools).values(pool);
    } catch (err) {
      if (String(err).includes("UNIQUE")) return conflict(`A runner pool named "${b.name}" exists.`);
      throw err;
    }
    await recordAudit(c, me.orgId, [{ action: "runner_pool.created", target: { type: "runner_pool", id: pool.id }, details: { name: pool.name, team_id: pool.teamId } }]);
    return c.json(poolView(pool), 201);
  })
  .openapi(listPoolsRoute, async (c) => {
    authorize(c, "runners:read");
    const rows = await database(c.env).select().from(runnerPools).where(eq(runnerPools.orgId, c.var.principal.orgId)).orderBy(runnerPools.createdAt);
    return c.json({ data: rows.map(poolView) }, 200);
  })
  .openapi(tokenRoute, async (c) => {
    authorize(c, "runners:manage");
    const pool = await findPool(c, c.req.valid("param").pool_id);
    const ttl = ((c.req.valid("json") as { ttl_seconds?: number } | undefined)?.ttl_seconds ?? 3600) * 1000;
    const idPart = randomBase32(20);
    const token = `sysop_enr_${idPart}_${randomBase32(52)}`;
    const now = new Date();
    const row = { id: `enr_${idPart}`, orgId: pool.orgId, poolId: pool.id, secretHash: sha256Hex(token), createdBy: c.var.principal.id, createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + ttl).toISOString() };
    await database(c.env).insert(enrolmentTokens).values(row);
    await recordAudit(c, pool.orgId, [{ action: "runner_pool.enrolment_token_issued", target: { type: "runner_pool", id: pool.id }, details: { token_id: row.id, expires_at: row.expiresAt } }]);
    return c.json({ id: row.id, token, pool_id: pool.id, expires_at: row.expiresAt }, 201);
  })
  .openapi(listRunnersRoute, async (c) => {
    authorize(c, "runners:read");
    const pool = await findPool(c, c.req.valid("param").pool_id);
    const rows = await database(c.env).select().from(runners).where(eq(runners.poolId, pool.id)).orderBy(runners.enrolledAt);
    return c.json({ data: rows.map(runnerView) }, 200);
  })
  .openapi(drainRoute, async (c) => {
    authorize(c, "runners:manage");
    const runner = await findRunner(c, c.req.valid("param").runner_id);
    if (runner.status === "revoked") return conflict("The runner is revoked.");
    const [row] = await database(c.env).update(runners).set({ status: "draining" }).where(eq(runners.id, runner.id)).returning();
    await runnerBridge(c.env, runner.poolId).stopRunner(runner.id, "draining");
    await recordAudit(c, runner.orgId, [{ action: "runner.drained", target: { type: "runner", id: runner.id }, details: { pool_id: runner.poolId } }]);
    return c.json(runnerView(row!), 200);
  })
  .openapi(revokeRoute, async (c) => {
    authorize(c, "runners:manage");
    const runner = await findRunner(c, c.req.valid("param").runner_id);
    const [row] = await database(c.env).update(runners).set({ status: "revoked", revokedAt: runner.revokedAt ?? new Date().toISOString() }).where(eq(runners.id, runner.id)).returning();
    const requeued = await runnerBridge(c.env, runner.poolId).revokeRunner(runner.id);
    await recordAudit(c, runner.orgId, [{ action: "runner.revoked", target: { type: "runner", id: runner.id }, details: { pool_id: runner.poolId, jobs_requeued: requeued } }]);
    return c.json(runnerView(row!), 200);
  });

// ---- enrolment (the token is the credential) ----

const enrollRoute = defineRoute({
  method: "post",
  path: "/runners/enroll",
  tags: ["runner protocol"],
  summary: "Enrol a runner: a one-time token and the runner's own Ed25519 public key (JWK)",
  access: "enrolment_token",
  request: {
    body: jsonBody(
      z
        .strictObject({
          token: z.string().max(200),
          name: Name,
          public_key: z.record(z.string(), z.unknown()).refine(isEd25519PublicJwk, "must be an Ed25519 public key as a JWK (kty OKP, crv Ed25519, x; no d)"),
          labels: Labels.default({}),
        })
        .openapi("RunnerEnroll"),
    ),
  },
  responses: { 201: json(z.object({ runner_id: z.string(), pool_id: z.string(), org_id: z.string(), issuer: z.string(), audience: z.string() }).openapi("RunnerEnrolled"), "Enrolled") },
});

export const runnerEnrollRoutes = newRouter().openapi(enrollRoute, async (c) => {
  const b = c.req.valid("json");
  const m = ENROLMENT_TOKEN.exec(b.token);
  if (!m) return unauthenticated("The enrolment token is malformed.");
  const db = database(c.env);
  const row = (await db.select().from(enrolmentTokens).where(eq(enrolmentTokens.id, `enr_${m[1]}`)))[0];
  if (!row || !constantTimeEqual(row.secretHash, sha256Hex(b.token))) return unauthenticated("The enrolment token is not valid.");
  if (row.usedAt) return unauthenticated("The enrolment token was already used.");
  if (Date.parse(row.expiresAt) <= Date.now()) return unauthenticated("The enrolment token has expired.");
  const runnerId = newId("run");
  const now = new Date().toISOString();
  // INVARIANT: one runner per token. The conditional update is the claim; a racing second use loses.
  const [claimed] = await db.update(enrolmentTokens).set({ usedAt: now, runnerId }).where(and(eq(enrolmentTokens.id, row.id), isNull(enrolmentTokens.usedAt))).returning();
  if (!claimed) return unauthenticated("The enrolment token was already used.");
  await db.insert(runners).values({ id: runnerId, orgId: row.orgId, poolId: row.poolId, name: b.name, publicKey: b.public_key as Record<string, string>, labels: b.labels, status: "active", enrolledAt: now });
  await recordAudit(c, row.orgId, [{ action: "runner.enrolled", target: { type: "runner", id: runnerId }, details: { pool_id: row.poolId, name: b.name, token_id: row.id, public_key: b.public_key, labels: b.labels } }], {
    id: runnerId,
    kind: "runner",
    keyId: null,
  });
  return c.json({ runner_id: runnerId, pool_id: row.poolId, org_id: row.orgId, issuer: c.env.TOKEN_ISSUER, audience: RUNNER_AUDIENCE }, 201);
});

// ---- the runner protocol (runner-signed JWTs) ----

export const requireRunner = () =>
  createMiddleware<AppEnv>(async function requireRunner(c, next) {
    const now = new Date();
    const runner = await authenticateRunner(database(c.env), c.req.header("authorization"), now);
    c.set("runner", runner);
    if (!runner.lastSeenAt || Date.parse(runner.lastSeenAt) < now.getTime() - LAST_SEEN_RESOLUTION_MS) {
      c.executionCtx.waitUntil(database(c.env).update(runners).set({ lastSeenAt: now.toISOString() }).where(eq(runners.id, runner.id)).run());
    }
    await next();
  });

const leaseRoute = defineRoute({
  method: "post",
  path: "/runner/lease",
  tags: ["runner protocol"],
  summary: "Long-poll for a job (200 with a signed job and its lease, or 204)",
  access: "runner_token",
  request: { body: { required: false, content: { "application/json": { schema: z.strictObject({ wait_seconds: z.number().int().min(0).max(MAX_LEASE_WAIT_SECONDS).default(20) }) } } } },
  responses: {
    200: json(z.object({ job: z.string(), lease: z.object({ id: z.string(), expires_at: Timestamp, heartbeat_seconds: z.number().int() }) }).openapi("RunnerLease"), "A job"),
    204: { description: "No job came within the wait (or the runner is draining)" },
  },
});
const heartbeatRoute = defineRoute({
  method: "post",
  path: "/runner/jobs/{job_id}/heartbeat",
  tags: ["runner protocol"],
  summary: "Keep the lease; learn whether the task was cancelled (409: the lease is lost)",
  access: "runner_token",
  request: { params: JobIdParams, body: jsonBody(z.strictObject({ lease_id: LeaseId })) },
  responses: { 200: json(z.object({ lease_expires_at: Timestamp, cancel: z.boolean() }), "The lease holds") },
});

const RunnerEvent = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("step_started"), step: z.string().max(100), at: Timestamp.optional() }),
  z.strictObject({ type: z.literal("log"), step: z.string().max(100), stream: z.enum(["stdout", "stderr"]), line: z.string().max(4096), at: Timestamp.optional() }),
  z.strictObject({ type: z.literal("step_finished"), step: z.string().max(100), exit_code: z.number().int().nullable(), duration_ms: z.number().int().min(0), at: Timestamp.optional() }),
  z.strictObject({ type: z.literal("step_refused"), step: z.string().max(100), reason: z.string().max(1000), at: Timestamp.optional() }),
]);
const eventsRoute = defineRoute({
  method: "post",
  path: "/runner/jobs/{job_id}/events",
  tags: ["runner protocol"],
  summary: "Step starts and ends, and (redacted) log lines, in batches",
  access: "runner_token",
  request: { params: JobIdParams, body: jsonBody(z.strictObject({ lease_id: LeaseId, events: z.array(RunnerEvent).min(1).max(100) })) },
  responses: { 202: json(z.object({ accepted: z.number().int() }), "Stored") },
});
const artifactRoute = defineRoute({
  method: "put",
  path: "/runner/jobs/{job_id}/artifacts/{kind}/{sha256}",
  tags: ["runner protocol"],
  summary: "Upload an artifact the job allows, by its SHA-256 (raw bytes; header x-sysop-lease)",
  access: "runner_token",
  request: {
    params: JobIdParams.extend({
      kind: z.enum(ARTIFACT_KINDS).openapi({ param: { name: "kind", in: "path" } }),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256").openapi({ param: { name: "sha256", in: "path" } }),
    }),
    headers: z.object({ "x-sysop-lease": LeaseId }),
  },
  responses: { 201: json(z.object({ kind: z.string(), sha256: z.string(), size: z.number().int() }).openapi("StoredArtifact"), "Stored") },
});
const outcomeRoute = defineRoute({
  method: "post",
  path: "/runner/jobs/{job_id}/outcome",
  tags: ["runner protocol"],
  summary: "The job's outcome, signed by the runner's key (accepted once per job)",
  access: "runner_token",
  request: { params: JobIdParams, body: jsonBody(z.strictObject({ lease_id: LeaseId, outcome: z.string().max(200_000) })) },
  responses: { 200: json(z.object({ accepted: z.boolean(), duplicate: z.boolean().optional() }).openapi("OutcomeAccepted"), "Recorded (or a duplicate of the first report)") },
});

/** The lease this runner holds on this job, or a 409 (lost) / 404 (not this runner's pool). */
async function heldLease(c: Context<AppEnv>, jobId: string, leaseId: string) {
  const runner = c.var.runner;
  const held = await runnerBridge(c.env, runner.poolId).holdsLease(jobId, leaseId, runner.id);
  return held ?? conflict("This runner does not hold that job's lease (it expired, or the job went to another runner).");
}

const OutcomeClaims = z.object({
  job_id: z.string(),
  task_id: z.string(),
  attempt: z.number().int().min(1),
  status: z.enum(["succeeded", "failed", "cancelled"]),
  reason: z.string().max(2000).nullable().optional(),
  exit_code: z.number().int().nullable().optional(),
  duration_ms: z.number().int().min(0).optional(),
  steps: z
    .array(z.object({ name: z.string().max(100), kind: z.enum(["agent", "tests", "command"]), exit_code: z.number().int().nullable(), duration_ms: z.number().int().min(0), refused: z.boolean().optional() }))
    .max(50)
    .optional(),
  tests: z.object({ passed: z.number().int().min(0), failed: z.number().int().min(0), skipped: z.number().int().min(0) }).nullable().optional(),
  files_changed: z.array(z.string().max(1000)).max(10_000).optional(),
  diff_stats: z.object({ files: z.number().int().min(0), additions: z.number().int().min(0), deletions: z.number().int().min(0) }).nullable().optional(),
  tokens_used: z.object({ input: z.number().int().min(0), output: z.number().int().min(0), model: z.string().max(200).optional() }).nullable().optional(),
  artifacts: z.array(z.object({ kind: z.enum(ARTIFACT_KINDS), sha256: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int().min(0) })).max(10).optional(),
});

export const runnerProtocolRoutes = newRouter()
  .openapi(leaseRoute, async (c) => {
    const runner = c.var.runner;
    const wait = (c.req.valid("json") as { wait_seconds?: number } | undefined)?.wait_seconds ?? 20;
    if (runner.status !== "active") {
      // Nothing will come: hold the poll as long as asked, so a draining runner does not spin.
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      return c.body(null, 204);
    }
    const lease = await runnerBridge(c.env, runner.poolId).lease(runner.id, wait * 1000);
    if (!lease) return c.body(null, 204);
    return c.json({ job: lease.job, lease: { id: lease.leaseId, expires_at: new Date(lease.expiresAt).toISOString(), heartbeat_seconds: lease.heartbeatSeconds } }, 200);
  })
  .openapi(heartbeatRoute, async (c) => {
    const runner = c.var.runner;
    const beat = await runnerBridge(c.env, runner.poolId).heartbeat(c.req.valid("param").job_id, c.req.valid("json").lease_id, runner.id);
    if (!beat.ok) return conflict("The lease is lost: stop the job and report nothing.");
    return c.json({ lease_expires_at: new Date(beat.expiresAt).toISOString(), cancel: beat.cancel }, 200);
  })
  .openapi(eventsRoute, async (c) => {
    const { job_id } = c.req.valid("param");
    const b = c.req.valid("json");
    const held = await heldLease(c, job_id, b.lease_id);
    await appendTaskEvents(
      c.env,
      { id: held.taskId, orgId: held.orgId },
      b.events.map(({ type, at, ...data }) => ({ type, data: { job_id, ...data }, at })),
    );
    return c.json({ accepted: b.events.length }, 202);
  })
  .openapi(artifactRoute, async (c) => {
    const { job_id, kind, sha256 } = c.req.valid("param");
    const held = await heldLease(c, job_id, c.req.valid("header")["x-sysop-lease"]);
    const db = database(c.env);
    const task = (await db.select().from(tasks).where(eq(tasks.id, held.taskId)))[0] ?? notFound("task");
    if (!task.constraints.artifacts.includes(kind)) forbidden(`The job does not allow ${kind} artifacts.`);
    const declared = Number(c.req.header("content-length") ?? "0");
    if (declared > MAX_ARTIFACT_BYTES) fail({ kind: "payload_too_large", limitBytes: MAX_ARTIFACT_BYTES });
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.byteLength > MAX_ARTIFACT_BYTES) fail({ kind: "payload_too_large", limitBytes: MAX_ARTIFACT_BYTES });
    const actual = bytesToHex(sha256Digest(bytes));
    if (actual !== sha256) {
      fail({ kind: "validation", detail: "Invalid path.sha256.", issues: [{ path: "path.sha256", message: `the body's SHA-256 is ${actual}`, code: "hash_mismatch" }] });
    }
    const r2Key = `artifacts/${task.orgId}/${task.id}/${sha256}`;
    await c.env.ARTIFACTS.put(r2Key, bytes, { sha256, httpMetadata: { contentType: c.req.header("content-type") ?? "application/octet-stream" }, customMetadata: { kind, task_id: task.id, job_id } });
    await db.insert(taskArtifacts).values({ taskId: task.id, jobId: job_id, kind, sha256, size: bytes.byteLength, r2Key, createdAt: new Date().toISOString() }).onConflictDoNothing();
    await recordTaskAudit(c.env, task, "task.artifact_stored", { job_id, kind, sha256, size: bytes.byteLength, r2_key: r2Key }, { id: c.var.runner.id, kind: "runner", keyId: null }, requestEvidence(c));
    return c.json({ kind, sha256, size: bytes.byteLength }, 201);
  })
  .openapi(outcomeRoute, async (c) => {
    const runner = c.var.runner;
    const { job_id } = c.req.valid("param");
    const b = c.req.valid("json");
    const outcome = await verifyOutcome(runner, b.outcome, job_id);
    const db = database(c.env);
    const task = (await db.select().from(tasks).where(and(eq(tasks.id, outcome.task_id), eq(tasks.orgId, runner.orgId))))[0] ?? notFound("task");
    // Defence in depth: the runner checked the paths; so does the control plane.
    const outside = pathsOutside(outcome.files_changed ?? [], task.constraints.paths);
    const verdict =
      outcome.status === "succeeded" && outside.length > 0
        ? { status: "failed" as const, reason: `changed paths outside the job's constraints: ${outside.slice(0, 5).join(", ")}` }
        : { status: outcome.status, reason: outcome.reason ?? null };
    const result = await runnerBridge(c.env, runner.poolId).report(job_id, b.lease_id, runner.id, outcome, verdict);
    if (result.accepted) return c.json({ accepted: true }, 200);
    if ("duplicate" in result) return c.json({ accepted: false, duplicate: true }, 200);
    return result.reason === "unknown_job" ? notFound("job") : conflict("This runner does not hold that job's lease; the report is not counted.");
  });

async function verifyOutcome(runner: RunnerRow, jws: string, jobId: string): Promise<JobOutcome> {
  let payload: unknown;
  try {
    if (decodeProtectedHeader(jws).typ !== "sysop-outcome+jwt") throw new Error("typ");
    ({ payload } = await jwtVerify(jws, await importJWK(runner.publicKey as JWK, "EdDSA"), { algorithms: ["EdDSA"], issuer: runner.id, audience: "sysop" }));
  } catch {
    return fail({ kind: "validation", detail: "Invalid body.outcome.", issues: [{ path: "body.outcome", message: "must be a sysop-outcome+jwt signed by this runner's key", code: "bad_signature" }] });
  }
  const parsed = OutcomeClaims.safeParse(payload);
  if (!parsed.success) {
    return fail({ kind: "validation", detail: "Invalid body.outcome.", issues: parsed.error.issues.map((i) => ({ path: `body.outcome.${i.path.join(".")}`, message: i.message, code: i.code })) });
  }
  if (parsed.data.job_id !== jobId) fail({ kind: "validation", detail: "Invalid body.outcome.", issues: [{ path: "body.outcome.job_id", message: "must be the job in the path", code: "mismatch" }] });
  return parsed.data as JobOutcome;
}
