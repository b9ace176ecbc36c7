// @ts-check
// The outcome claims the runner signs (PROTOCOL.md §4), built from what happened. Pure: no
// clock, no I/O; run-job.mjs gathers the facts and auth.mjs signs the result.
import { STEP_KINDS } from "./constraints.mjs";

/** Reasons stay short: the control plane refuses an outcome whose reason is too long. */
export const MAX_REASON_CHARS = 1000;
const MAX_PATHS_NAMED = 20;

/**
 * @typedef {{name: string, kind: string, exit_code: number | null, duration_ms: number, refused: boolean}} StepRecord
 * @typedef {"succeeded" | "failed" | "cancelled"} OutcomeStatus
 * @typedef {object} OutcomeFacts
 * @property {{jobId: string, taskId: string | null, attempt: number | null}} ids
 * @property {OutcomeStatus} status
 * @property {string | null} reason        required unless succeeded
 * @property {number} durationMs
 * @property {StepRecord[]} [steps]
 * @property {import("./results.mjs").TestsSummary | null} [tests]
 * @property {string[]} [filesChanged]
 * @property {import("./results.mjs").DiffStats} [diffStats]
 * @property {import("./results.mjs").TokensUsed | null} [tokensUsed]
 * @property {import("./artifacts.mjs").ArtifactRef[]} [artifacts]
 */

/**
 * The job's exit code: 0 when it succeeded, else the last step's (null when no step exited
 * by itself: refused, killed, never started).
 * @param {OutcomeStatus} status
 * @param {StepRecord[]} steps
 */
export function jobExitCode(status, steps) {
  if (status === "succeeded") return 0;
  return steps.at(-1)?.exit_code ?? null;
}

/** @param {string} reason */
export const clipReason = (reason) => (reason.length <= MAX_REASON_CHARS ? reason : `${reason.slice(0, MAX_REASON_CHARS - 1)}…`);

/**
 * "changes outside the allowed paths: a, b … and 12 more".
 * @param {readonly string[]} paths
 */
export function outsidePathsReason(paths) {
  const named = paths.slice(0, MAX_PATHS_NAMED).join(", ");
  const more = paths.length > MAX_PATHS_NAMED ? ` and ${paths.length - MAX_PATHS_NAMED} more` : "";
  return `changes outside the allowed paths: ${named}${more}`;
}

/**
 * @param {OutcomeFacts} f
 * @returns {Record<string, unknown>}
 */
export function outcomeClaims(f) {
  // A step of a kind the protocol does not know is named in the reason, not listed: the
  // control plane accepts only agent, tests and command records.
  const steps = (f.steps ?? []).filter((s) => /** @type {readonly string[]} */ (STEP_KINDS).includes(s.kind));
  return {
    job_id: f.ids.jobId,
    task_id: f.ids.taskId,
    attempt: f.ids.attempt,
    status: f.status,
    ...(f.status === "succeeded" ? {} : { reason: clipReason(f.reason ?? f.status) }),
    exit_code: jobExitCode(f.status, steps),
    duration_ms: f.durationMs,
    steps,
    tests: f.tests ?? null,
    files_changed: f.filesChanged ?? [],
    diff_stats: f.diffStats ?? { files: 0, additions: 0, deletions: 0 },
    tokens_used: f.tokensUsed ?? null,
    artifacts: f.artifacts ?? [],
  };
}
