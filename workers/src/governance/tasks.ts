// Moving a task through its lifecycle, from wherever the move happens (the tasks routes, the
// ApprovalDesk when a vote decides, a pool's RunnerBridge when a runner leases or reports).
// Each move is one conditional UPDATE from the statuses lifecycle.ts allows before it, so of
// two racing writers exactly one wins; only the winner records the event and the evidence,
// and, on a terminal status, settles or releases the task's budget hold.
import { and, eq, inArray } from "drizzle-orm";
import type { Env } from "../env";
import { database } from "../db/client";
import { taskEvents, tasks, type TaskRow } from "../db/schema";
import { auditDraft, type AuditActor, type Evidence } from "../audit/record";
import { isTerminal, predecessors } from "../domain/tasks/lifecycle";
import type { JobOutcome, TaskStatus } from "../domain/tasks/types";
import { resolvePrice } from "../domain/prices/resolve";
import { costMicros, estimateMicros } from "../domain/prices/cost";
import { gatewaySettings } from "../gateway/settings";
import { ledgersOf, releaseWithCeiling, reserveWithCeiling, settleWithCeiling } from "./budget";
import { runnerBridge } from "./desk";
import { newId } from "../domain/identity/ids";
import type { Approval } from "../domain/approvals/approval";

export const SYSTEM_ACTOR: AuditActor = { id: "system", kind: "system", keyId: null };
export const SYSTEM_EVIDENCE: Evidence = { requestId: "system", ip: null, userAgent: null };

/** Jobs a lost runner hands back at most this many times before the task fails. */
export const MAX_JOB_ATTEMPTS = 3;
const RESERVATION_TTL_SECONDS = 24 * 3600;

export interface Move {
  to: TaskStatus;
  reason?: string | null;
  patch?: Partial<Pick<TaskRow, "approvalId" | "reservationId" | "jobId" | "attempts" | "runnerId" | "outcome">>;
  actor?: AuditActor;
  evidence?: Evidence;
  details?: Record<string, unknown>;
  /** How a terminal task's callback is queued; the bridge passes its own method (no self-call). */
  queueCallback?: (task: TaskRow) => Promise<void>;
}

/** Appends a line to the task's event stream (GET /v1/tasks/{id}/events). */
export async function appendTaskEvents(env: Env, task: Pick<TaskRow, "id" | "orgId">, events: { type: string; data: Record<string, unknown>; at?: string }[]): Promise<void> {
  if (events.length === 0) return;
  const db = database(env);
  const now = new Date().toISOString();
  const rows = events.map((e) => db.insert(taskEvents).values({ taskId: task.id, orgId: task.orgId, type: e.type, data: e.data, at: e.at ?? now }));
  await db.batch(rows as [(typeof rows)[number], ...typeof rows]);
}

export async function recordTaskAudit(env: Env, task: Pick<TaskRow, "id" | "orgId">, action: string, details: Record<string, unknown>, actor = SYSTEM_ACTOR, evidence = SYSTEM_EVIDENCE) {
  const draft = await auditDraft(env.ARTIFACTS, actor, { action, target: { type: "task", id: task.id }, details: { task_id: task.id, ...details } }, evidence);
  const [event] = await env.AUDIT_CHAIN.getByName(task.orgId).append(task.orgId, [draft]);
  return event!;
}

/**
 * Moves the task to `move.to` if it is in a status that may precede it; null when another
 * writer got there first (or the move is not allowed from where the task is).
 */
export async function moveTask(env: Env, task: Pick<TaskRow, "id" | "orgId">, move: Move): Promise<TaskRow | null> {
  const db = database(env);
  const now = new Date().toISOString();
  const [row] = await db
    .update(tasks)
    .set({ status: move.to, statusReason: move.reason ?? null, updatedAt: now, ...(isTerminal(move.to) ? { finishedAt: now } : {}), ...move.patch })
    .where(and(eq(tasks.id, task.id), eq(tasks.orgId, task.orgId), inArray(tasks.status, predecessors(move.to))))
    .returning();
  if (!row) return null;
  await appendTaskEvents(env, row, [{ type: "status", data: { status: move.to, reason: move.reason ?? null }, at: now }]);
  await recordTaskAudit(env, row, `task.${move.to}`, { status: move.to, reason: move.reason ?? null, ...move.details }, move.actor, move.evidence);
  if (isTerminal(move.to)) {
    await settleTaskBudget(env, row);
    if (row.callbackUrl) await (move.queueCallback ?? ((t: TaskRow) => runnerBridge(env, t.poolId).queueCallback(callbackFor(t))))(row);
  }
  return row;
}

/** A terminal task's hold: settled with the usage its runner reported, else released. */
async function settleTaskBudget(env: Env, task: TaskRow): Promise<void> {
  if (!task.reservationId) return;
  const used = task.outcome?.tokens_used;
  if (!used || used.input + used.output === 0) {
    await releaseWithCeiling(ledgersOf(env, task.orgId, task.teamId), task.reservationId);
    return;
  }
  const model = used.model ?? task.model;
  const settings = await gatewaySettings(env, task.orgId, "anthropic");
  const price = resolvePrice(model, settings.overrides, settings.defaultPrice);
  const usage = { input: used.input, output: used.output, cache_read: 0, cache_write: 0 };
  // A model without a price is charged at the task's own model's price: never a silent zero.
  const fallback = resolvePrice(task.model, settings.overrides, settings.defaultPrice);
  const micros = price.ok ? costMicros(usage, price.price) : fallback.ok ? costMicros(usage, fallback.price) : 0;
  await settleWithCeiling(ledgersOf(env, task.orgId, task.teamId), task.reservationId, { micros, tokens: used.input + used.output }, {
    orgId: task.orgId,
    teamId: task.teamId,
    taskId: task.id,
    model,
    inputTokens: used.input,
    outputTokens: used.output,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  });
}

/**
 * After the decision (and the approval, if one was needed): hold the budget for the task's
 * estimate, then hand the job to its pool's bridge. A budget refusal fails the task.
 */
export async function dispatchTask(env: Env, task: TaskRow, actor = SYSTEM_ACTOR, evidence = SYSTEM_EVIDENCE): Promise<TaskRow | null> {
  const settings = await gatewaySettings(env, task.orgId, "anthropic");
  const price = resolvePrice(task.model, settings.overrides, settings.defaultPrice);
  // Sized as if every estimated token were output, the dearer kind: the hold covers the task.
  const micros = price.ok ? estimateMicros(0, task.estimatedTokens, price.price) : 0;
  const ledgers = ledgersOf(env, task.orgId, task.teamId);
  const reserved = await reserveWithCeiling(ledgers, {
    idempotencyKey: `task:${task.id}`,
    micros,
    tokens: task.estimatedTokens,
    user: task.requesterId.startsWith("usr_") ? task.requesterId : null,
    repo: task.repo,
    agent: task.requesterId.startsWith("usr_") ? null : task.requesterId,
    ttlSeconds: RESERVATION_TTL_SECONDS,
  });
  if (!reserved.ok) {
    return moveTask(env, task, {
      to: "failed",
      reason: `budget refused: ${reserved.reason.replace("_", " ")} (${reserved.remaining} of ${reserved.limit} ${reserved.unit} left this period)`,
      actor,
      evidence,
    });
  }
  const jobId = task.jobId ?? newId("job");
  const queued = await moveTask(env, task, {
    to: "queued",
    patch: { reservationId: reserved.reservation.id, jobId },
    actor,
    evidence,
    details: { job_id: jobId, reservation_id: reserved.reservation.id, reserved_micros: micros, reserved_tokens: task.estimatedTokens },
  });
  if (!queued) {
    // Someone else moved it (a cancel, say): the hold is not needed.
    await releaseWithCeiling(ledgers, reserved.reservation.id);
    return null;
  }
  await runnerBridge(env, task.poolId).enqueue(jobFor(queued));
  return queued;
}

export interface QueuedJob {
  jobId: string;
  taskId: string;
  orgId: string;
  teamId: string;
  poolId: string;
  repo: string;
  ref: string;
  kind: TaskRow["kind"];
  goal: string;
  steps: TaskRow["steps"];
  constraints: TaskRow["constraints"];
  deadline: number;
  callbackUrl: string | null;
}

export function jobFor(task: TaskRow): QueuedJob {
  return {
    jobId: task.jobId!,
    taskId: task.id,
    orgId: task.orgId,
    teamId: task.teamId,
    poolId: task.poolId,
    repo: task.repo,
    ref: task.ref,
    kind: task.kind,
    goal: task.goal,
    steps: task.steps,
    constraints: task.constraints,
    // The job's whole life, queueing included, is bounded by its own time limit plus an hour.
    deadline: Date.now() + (task.constraints.max_duration_seconds + 3600) * 1000,
    callbackUrl: task.callbackUrl,
  };
}

/** A task that waited for an approval goes on (approved) or ends (denied, expired, withdrawn). */
export async function followApproval(env: Env, approval: Approval, actor: AuditActor = SYSTEM_ACTOR, evidence: Evidence = SYSTEM_EVIDENCE): Promise<void> {
  const taskId = approval.summary.taskId;
  if (!taskId || approval.status === "pending") return;
  const task = (await database(env).select().from(tasks).where(and(eq(tasks.id, taskId), eq(tasks.orgId, approval.orgId))))[0];
  if (!task || task.status !== "awaiting_approval") return;
  const details = { approval_id: approval.id };
  if (approval.status === "approved") await dispatchTask(env, task, actor, evidence);
  else if (approval.status === "denied") {
    const why = approval.votes.find((v) => v.vote === "deny")?.reason;
    await moveTask(env, task, { to: "failed", reason: `approval denied${why ? `: ${why}` : ""}`, actor, evidence, details });
  } else if (approval.status === "expired") await moveTask(env, task, { to: "expired", reason: "the approval request expired", actor, evidence, details });
  else await moveTask(env, task, { to: "cancelled", reason: "the approval request was withdrawn", actor, evidence, details });
}

export interface TaskCallback {
  taskId: string;
  orgId: string;
  url: string;
  body: string;
}

/** What a callback says: the task's final state, as GET /v1/tasks/{id} would. */
export function callbackFor(task: TaskRow): TaskCallback {
  const body = JSON.stringify({
    type: `task.${task.status}`,
    task: { id: task.id, status: task.status, status_reason: task.statusReason, team_id: task.teamId, repo: task.repo, ref: task.ref, kind: task.kind, outcome: task.outcome ?? null, finished_at: task.finishedAt },
  });
  return { taskId: task.id, orgId: task.orgId, url: task.callbackUrl!, body };
}

export type { JobOutcome };
