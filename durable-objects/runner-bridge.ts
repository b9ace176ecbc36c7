// RunnerBridge: one Durable Object per runner pool, the only writer of that pool's queue and
// leases. Runners long-poll lease(); a job goes to one runner at a time, signed by the
// control plane at lease time (JWS, keys from /.well-known/jwks.json). Heartbeats keep a
// lease; a lease not heard from in LEASE_SECONDS expires by alarm and the job goes back to
// the queue (at most MAX_JOB_ATTEMPTS times). An outcome is accepted once per job. Terminal
// tasks' signed callbacks are delivered from here too, retried with backoff by the alarm.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../workers/src/env";
import { callbackFor, MAX_JOB_ATTEMPTS, moveTask, recordTaskAudit, SYSTEM_ACTOR, type QueuedJob, type TaskCallback } from "../workers/src/governance/tasks";
import type { JobOutcome, JobSpec } from "../workers/src/domain/tasks/types";
import { newId } from "../workers/src/domain/identity/ids";
import { callbackSecrets } from "../workers/src/governance/callback-secrets";
import { SIGNATURE_HEADER, signCallback } from "../workers/src/domain/tasks/callback-signature";
import type { TaskRow } from "../workers/src/db/schema";

/** A lease not heard from this long expires (RUNNER_LEASE_SECONDS overrides; heartbeats come every third of it). */
export const LEASE_SECONDS = 30;
/** Callback attempts after the first: 10 s, 1 min, 5 min, 30 min, 2 h. */
const CALLBACK_BACKOFF_MS = [10_000, 60_000, 300_000, 1_800_000, 7_200_000];
const CALLBACK_TIMEOUT_MS = 10_000;

type JobStatus = "queued" | "leased" | "done";

interface JobRow {
  job_id: string;
  task_id: string;
  org_id: string;
  status: JobStatus;
  attempt: number;
  spec: string;
  lease_id: string | null;
  runner_id: string | null;
  lease_expires_at: number | null;
  deadline: number;
  cancel_requested: number;
  enqueued_at: number;
}

export interface Lease {
  job: string;
  jobId: string;
  taskId: string;
  leaseId: string;
  expiresAt: number;
  heartbeatSeconds: number;
}

export type ReportResult = { accepted: true; task: TaskRow | null } | { accepted: false; duplicate: true } | { accepted: false; reason: "lease_lost" | "unknown_job" };

export class RunnerBridge extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Runners waiting in lease(): woken when a job is queued. */
  private waiters = new Set<() => void>();

  private get leaseMs(): number {
    const configured = Number(this.env.RUNNER_LEASE_SECONDS);
    return (Number.isFinite(configured) && configured >= 3 ? configured : LEASE_SECONDS) * 1000;
  }

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS jobs (
      job_id TEXT PRIMARY KEY, task_id TEXT NOT NULL, org_id TEXT NOT NULL, status TEXT NOT NULL, attempt INTEGER NOT NULL,
      spec TEXT NOT NULL, lease_id TEXT, runner_id TEXT, lease_expires_at INTEGER, deadline INTEGER NOT NULL,
      cancel_requested INTEGER NOT NULL DEFAULT 0, enqueued_at INTEGER NOT NULL)`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, enqueued_at)");
    // Runners that must get no new job: drained or revoked (checked again after every wait).
    this.sql.exec("CREATE TABLE IF NOT EXISTS stopped_runners (runner_id TEXT PRIMARY KEY, why TEXT NOT NULL, at INTEGER NOT NULL)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS callbacks (
      task_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, url TEXT NOT NULL, body TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER, last_error TEXT, delivered_at INTEGER)`);
  }

  // ---- the queue ----

  /** Queues a job (idempotent by job id) and wakes a waiting runner. */
  async enqueue(job: QueuedJob): Promise<void> {
    this.sql.exec(
      `INSERT INTO jobs (job_id, task_id, org_id, status, attempt, spec, deadline, enqueued_at) VALUES (?, ?, ?, 'queued', 0, ?, ?, ?)
       ON CONFLICT (job_id) DO NOTHING`,
      job.jobId, job.taskId, job.orgId, JSON.stringify(job), job.deadline, Date.now(),
    );
    await this.schedule();
    for (const wake of this.waiters) wake();
  }

  /** The next job for this runner, waiting up to waitMs for one; null when none came. */
  async lease(runnerId: string, waitMs: number): Promise<Lease | null> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      // A runner drained or revoked while it waited gets nothing: asked again after every wake.
      if (this.isStopped(runnerId)) return null;
      const leased = await this.take(runnerId);
      if (leased) return leased;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  private async take(runnerId: string): Promise<Lease | null> {
    const now = Date.now();
    const row = this.sql.exec<JobRow & Record<string, SqlStorageValue>>("SELECT * FROM jobs WHERE status = 'queued' AND deadline > ? ORDER BY enqueued_at LIMIT 1", now).toArray()[0];
    if (!row) return null;
    const leaseId = newId("lease");
    const attempt = row.attempt + 1;
    const expiresAt = now + this.leaseMs;
    // Taken before the signing round trip, so a concurrent lease() cannot take it too.
    this.sql.exec("UPDATE jobs SET status = 'leased', attempt = ?, lease_id = ?, runner_id = ?, lease_expires_at = ? WHERE job_id = ?", attempt, leaseId, runnerId, expiresAt, row.job_id);
    const job: QueuedJob = JSON.parse(row.spec);
    const spec: JobSpec = {
      id: job.jobId,
      task_id: job.taskId,
      org_id: job.orgId,
      team_id: job.teamId,
      attempt,
      repo: job.repo,
      ref: job.ref,
      kind: job.kind,
      goal: job.goal,
      steps: job.steps,
      constraints: job.constraints,
      deadline: new Date(job.deadline).toISOString(),
    };
    try {
      const signed = await this.env.SIGNING_KEYS.getByName("global").sign(
        { iss: this.env.TOKEN_ISSUER, aud: `sysop-runner:${job.poolId}`, iat: Math.floor(now / 1000), exp: Math.floor(job.deadline / 1000), jti: job.jobId, job: spec },
        { typ: "sysop-job+jwt" },
      );
      const running = await moveTask(this.env, { id: job.taskId, orgId: job.orgId }, {
        to: "running",
        patch: { attempts: attempt, runnerId },
        details: { job_id: job.jobId, runner_id: runnerId, attempt, lease_id: leaseId },
        queueCallback: (t) => this.queueCallback(callbackFor(t)),
      });
      if (!running) {
        // The task ended meanwhile (cancelled, say): nothing to run; try the next job.
        this.sql.exec("UPDATE jobs SET status = 'done', lease_expires_at = NULL WHERE job_id = ?", row.job_id);
        return this.take(runnerId);
      }
      await this.schedule();
      return { job: signed, jobId: job.jobId, taskId: job.taskId, leaseId, expiresAt, heartbeatSeconds: Math.max(1, Math.floor(this.leaseMs / 3000)) };
    } catch (err) {
      // Not handed out: back to the queue as it was.
      this.sql.exec("UPDATE jobs SET status = 'queued', attempt = ?, lease_id = NULL, runner_id = NULL, lease_expires_at = NULL WHERE job_id = ?", row.attempt, row.job_id);
      throw err;
    }
  }

  // ---- while a runner works ----

  /** Keeps the lease; says whether the task was cancelled. False when the lease is not this runner's any more. */
  async heartbeat(jobId: string, leaseId: string, runnerId: string): Promise<{ ok: true; cancel: boolean; expiresAt: number } | { ok: false }> {
    const row = this.current(jobId, leaseId, runnerId);
    if (!row) return { ok: false };
    const expiresAt = Date.now() + this.leaseMs;
    this.sql.exec("UPDATE jobs SET lease_expires_at = ? WHERE job_id = ?", expiresAt, jobId);
    await this.schedule();
    return { ok: true, cancel: row.cancel_requested === 1, expiresAt };
  }

  /** Whether this runner holds this job's lease now (events and artifacts check it). */
  holdsLease(jobId: string, leaseId: string, runnerId: string): { taskId: string; orgId: string } | null {
    const row = this.current(jobId, leaseId, runnerId);
    return row ? { taskId: row.task_id, orgId: row.org_id } : null;
  }

  /** The runner's outcome, accepted once per job; the task moves to its terminal status. */
  async report(jobId: string, leaseId: string, runnerId: string, outcome: JobOutcome, verdict: { status: "succeeded" | "failed" | "cancelled"; reason: string | null }): Promise<ReportResult> {
    const row = this.sql.exec<JobRow & Record<string, SqlStorageValue>>("SELECT * FROM jobs WHERE job_id = ?", jobId).toArray()[0];
    if (!row) return { accepted: false, reason: "unknown_job" };
    if (row.status === "done") return { accepted: false, duplicate: true };
    if (row.status !== "leased" || row.lease_id !== leaseId || row.runner_id !== runnerId) return { accepted: false, reason: "lease_lost" };
    // INVARIANT: one outcome per job; marked done before anything else can interleave.
    this.sql.exec("UPDATE jobs SET status = 'done', lease_expires_at = NULL WHERE job_id = ?", jobId);
    const status = row.cancel_requested === 1 && verdict.status !== "succeeded" ? "cancelled" : verdict.status;
    const task = await moveTask(this.env, { id: row.task_id, orgId: row.org_id }, {
      to: status,
      reason: verdict.reason,
      patch: { outcome },
      actor: { id: runnerId, kind: "runner", keyId: null },
      details: { job_id: jobId, runner_id: runnerId, attempt: row.attempt, outcome },
      queueCallback: (t) => this.queueCallback(callbackFor(t)),
    });
    await this.schedule();
    return { accepted: true, task };
  }

  /** Cancels the job: dropped if still queued, else the runner is told on its next heartbeat. */
  cancel(jobId: string): "dropped" | "signalled" | "unknown" {
    const row = this.sql.exec<JobRow & Record<string, SqlStorageValue>>("SELECT * FROM jobs WHERE job_id = ?", jobId).toArray()[0];
    if (!row || row.status === "done") return "unknown";
    if (row.status === "queued") {
      this.sql.exec("UPDATE jobs SET status = 'done' WHERE job_id = ?", jobId);
      return "dropped";
    }
    this.sql.exec("UPDATE jobs SET cancel_requested = 1 WHERE job_id = ?", jobId);
    return "signalled";
  }

  /** No new job for this runner (drained or revoked); a runner waiting in lease() is answered now. */
  stopRunner(runnerId: string, why: "draining" | "revoked"): void {
    this.sql.exec("INSERT INTO stopped_runners (runner_id, why, at) VALUES (?, ?, ?) ON CONFLICT (runner_id) DO UPDATE SET why = excluded.why", runnerId, why, Date.now());
    for (const wake of this.waiters) wake();
  }

  private isStopped(runnerId: string): boolean {
    return this.sql.exec("SELECT 1 FROM stopped_runners WHERE runner_id = ?", runnerId).toArray().length > 0;
  }

  /** A revoked runner's leases end now: its jobs go back to the queue. */
  async revokeRunner(runnerId: string): Promise<number> {
    this.stopRunner(runnerId, "revoked");
    const held = this.sql.exec<JobRow & Record<string, SqlStorageValue>>("SELECT * FROM jobs WHERE status = 'leased' AND runner_id = ?", runnerId).toArray();
    for (const row of held) await this.loseLease(row, "the runner was revoked");
    return held.length;
  }

  /** Queue depth and leases, for operators and tests. */
  stats(): { queued: number; leased: number; done: number; callbacksPending: number } {
    const count = (status: string) => this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM jobs WHERE status = ?", status).one().n;
    const pending = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM callbacks WHERE delivered_at IS NULL AND next_at IS NOT NULL").one().n;
    return { queued: count("queued"), leased: count("leased"), done: count("done"), callbacksPending: pending };
  }

  private current(jobId: string, leaseId: string, runnerId: string) {
    const row = this.sql.exec<JobRow & Record<string, SqlStorageValue>>("SELECT * FROM jobs WHERE job_id = ?", jobId).toArray()[0];
    if (!row || row.status !== "leased" || row.lease_id !== leaseId || row.runner_id !== runnerId) return null;
    if ((row.lease_expires_at ?? 0) <= Date.now()) return null;
    return row;
  }

  /** The lease ends without an outcome: back to the queue, or the task fails after the last attempt. */
  private async loseLease(row: JobRow, why: string): Promise<void> {
    const cancelled = row.cancel_requested === 1;
    if (cancelled || row.attempt >= MAX_JOB_ATTEMPTS || row.deadline <= Date.now()) {
      this.sql.exec("UPDATE jobs SET status = 'done', lease_expires_at = NULL WHERE job_id = ?", row.job_id);
      await moveTask(this.env, { id: row.task_id, orgId: row.org_id }, {
        to: cancelled ? "cancelled" : row.deadline <= Date.now() ? "expired" : "failed",
        reason: cancelled ? "cancelled; the runner stopped answering" : `${why} on attempt ${row.attempt} of ${MAX_JOB_ATTEMPTS}`,
        details: { job_id: row.job_id, runner_id: row.runner_id, attempt: row.attempt },
        queueCallback: (t) => this.queueCallback(callbackFor(t)),
      });
      return;
    }
    this.sql.exec("UPDATE jobs SET status = 'queued', lease_id = NULL, runner_id = NULL, lease_expires_at = NULL WHERE job_id = ?", row.job_id);
    await moveTask(this.env, { id: row.task_id, orgId: row.org_id }, {
      to: "queued",
      reason: `${why}; queued again`,
      details: { job_id: row.job_id, lost_runner_id: row.runner_id, attempt: row.attempt },
    });
    for (const wake of this.waiters) wake();
  }

  // ---- callbacks ----

  async queueCallback(cb: TaskCallback): Promise<void> {
    this.sql.exec(
      "INSERT INTO callbacks (task_id, org_id, url, body, next_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (task_id) DO NOTHING",
      cb.taskId, cb.orgId, cb.url, cb.body, Date.now(),
    );
    await this.schedule();
  }

  /** Delivery state of a task's callback (tests and operators). */
  callbackState(taskId: string): { attempts: number; deliveredAt: number | null; lastError: string | null } | null {
    const row = this.sql.exec<{ attempts: number; delivered_at: number | null; last_error: string | null }>("SELECT attempts, delivered_at, last_error FROM callbacks WHERE task_id = ?", taskId).toArray()[0];
    return row ? { attempts: row.attempts, deliveredAt: row.delivered_at, lastError: row.last_error } : null;
  }

  private async deliver(cb: { task_id: string; org_id: string; url: string; body: string; attempts: number }): Promise<void> {
    // Claimed before the request goes out, so an overlapping alarm does not send it twice.
    this.sql.exec("UPDATE callbacks SET next_at = ? WHERE task_id = ?", Date.now() + CALLBACK_TIMEOUT_MS * 2, cb.task_id);
    let error: string | null = null;
    try {
      const secrets = await callbackSecrets(this.env, cb.org_id);
      const res = await fetch(cb.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "sysop-callbacks/1", [SIGNATURE_HEADER]: signCallback(secrets, cb.body, Math.floor(Date.now() / 1000)) },
        body: cb.body,
        signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
      });
      await res.body?.cancel();
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (err) {
      error = String(err).slice(0, 300);
    }
    const attempts = cb.attempts + 1;
    if (error === null) {
      this.sql.exec("UPDATE callbacks SET attempts = ?, delivered_at = ?, last_error = NULL, next_at = NULL WHERE task_id = ?", attempts, Date.now(), cb.task_id);
      return;
    }
    const backoff = CALLBACK_BACKOFF_MS[attempts - 1];
    this.sql.exec("UPDATE callbacks SET attempts = ?, last_error = ?, next_at = ? WHERE task_id = ?", attempts, error, backoff === undefined ? null : Date.now() + backoff, cb.task_id);
    if (backoff === undefined) {
      await recordTaskAudit(this.env, { id: cb.task_id, orgId: cb.org_id }, "task.callback_failed", { url: cb.url, attempts, last_error: error }, SYSTEM_ACTOR);
    }
  }

  // ---- the clock ----

  override async alarm(): Promise<void> {
    const now = Date.now();
    const expired = this.sql.exec<JobRow & Record<string, SqlStorageValue>>("SELECT * FROM jobs WHERE status = 'leased' AND lease_expires_at <= ?", now).toArray();
    for (const row of expired) await this.loseLease(row, "the runner stopped heartbeating");
    const stale = this.sql.exec<JobRow & Record<string, SqlStorageValue>>("SELECT * FROM jobs WHERE status = 'queued' AND deadline <= ?", now).toArray();
    for (const row of stale) {
      this.sql.exec("UPDATE jobs SET status = 'done' WHERE job_id = ?", row.job_id);
      await moveTask(this.env, { id: row.task_id, orgId: row.org_id }, {
        to: "expired",
        reason: "no runner took the job before its deadline",
        details: { job_id: row.job_id },
        queueCallback: (t) => this.queueCallback(callbackFor(t)),
      });
    }
    const due = this.sql.exec<{ task_id: string; org_id: string; url: string; body: string; attempts: number }>("SELECT task_id, org_id, url, body, attempts FROM callbacks WHERE next_at IS NOT NULL AND next_at <= ?", now).toArray();
    await Promise.all(due.map((cb) => this.deliver(cb)));
    await this.schedule();
  }

  private async schedule(): Promise<void> {
    const next = this.sql
      .exec<{ at: number | null }>(
        `SELECT min(at) AS at FROM (
           SELECT min(lease_expires_at) AS at FROM jobs WHERE status = 'leased'
           UNION ALL SELECT min(deadline) FROM jobs WHERE status = 'queued'
           UNION ALL SELECT min(next_at) FROM callbacks WHERE next_at IS NOT NULL)`,
      )
      .one().at;
    if (next === null) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }
}
