// @ts-check
// Runs one step as a process: argv without a shell, in the workdir, with only the allowed
// environment, under a timeout and an abort signal (cancel, lost lease, shutdown). The step
// gets its own process group so everything it started can be stopped: SIGTERM, then SIGKILL
// after a grace period (PROTOCOL.md §4). Used by run-job.mjs.
import { spawn } from "node:child_process";
import { createOutputCapture } from "./output.mjs";

/** @typedef {import("./output.mjs").Stream} Stream */
/**
 * @typedef {object} StepRun
 * @property {string[]} argv
 * @property {string} cwd
 * @property {Record<string, string>} env
 * @property {number} timeoutMs
 * @property {number} maxOutputBytes
 * @property {AbortSignal} signal
 * @property {(stream: Stream, line: string) => void} onLine
 * @property {number} [killGraceMs]  SIGTERM → SIGKILL; 5 s by default
 * @typedef {object} StepResult
 * @property {number | null} exitCode  null when the process did not exit by itself
 * @property {string | null} signal    the signal that ended it, if any
 * @property {number} durationMs
 * @property {boolean} timedOut
 * @property {boolean} aborted
 * @property {boolean} truncated
 * @property {string} [spawnError]    it could not start (e.g. ENOENT)
 */

export const KILL_GRACE_MS = 5_000;
/** After the main process exits, how long its pipes may stay open (held by escaped children). */
const CLOSE_WAIT_MS = 2_000;

/**
 * The step's environment: the allowed variables and secrets from the runner's own, plus the
 * job's SYSOP_* variables. Nothing else leaks through.
 * @param {NodeJS.ProcessEnv} from
 * @param {{envAllow: readonly string[], secretsEnv: readonly string[], jobId: string, taskId: string, goal: string, workdir: string}} p
 * @returns {Record<string, string>}
 */
export function stepEnv(from, { envAllow, secretsEnv, jobId, taskId, goal, workdir }) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const name of [...envAllow, ...secretsEnv]) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, SYSOP_JOB_ID: jobId, SYSOP_TASK_ID: taskId, SYSOP_GOAL: goal, SYSOP_WORKDIR: workdir };
}

/**
 * Signals a whole process group, ignoring one that is already gone.
 * @param {number} pgid
 * @param {NodeJS.Signals} sig
 */
function killGroup(pgid, sig) {
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: nothing left in the group
  }
}

/**
 * @param {StepRun} run
 * @returns {Promise<StepResult>}
 */
export function runStep(run) {
  const started = Date.now();
  const output = createOutputCapture(run.maxOutputBytes, run.onLine);
  return new Promise((resolve) => {
    const child = spawn(/** @type {string} */ (run.argv[0]), run.argv.slice(1), {
      cwd: run.cwd,
      env: run.env,
      detached: true, // its own process group, so the group can be killed
      stdio: ["ignore", "pipe", "pipe"],
    });
    let timedOut = false;
    let aborted = false;
    /** @type {NodeJS.Timeout | undefined} */
    let graceTimer;
    /** @type {{code: number | null, signal: string | null} | null} */
    let exit = null;
    let settled = false;

    const stop = () => {
      if (child.pid === undefined || exit !== null || graceTimer) return;
      killGroup(child.pid, "SIGTERM");
      graceTimer = setTimeout(() => child.pid !== undefined && killGroup(child.pid, "SIGKILL"), run.killGraceMs ?? KILL_GRACE_MS);
    };
    const onAbort = () => {
      aborted = true;
      stop();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, Math.max(0, run.timeoutMs));

    /** @param {string} [spawnError] */
    const finish = (spawnError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      run.signal.removeEventListener("abort", onAbort);
      output.end();
      resolve({
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        durationMs: Date.now() - started,
        timedOut,
        aborted,
        truncated: output.truncated,
        ...(spawnError ? { spawnError } : {}),
      });
    };

    child.stdout.on("data", (/** @type {Buffer} */ chunk) => output.push("stdout", chunk));
    child.stderr.on("data", (/** @type {Buffer} */ chunk) => output.push("stderr", chunk));
    child.on("error", (err) => finish(err.message));
    child.on("exit", (code, sig) => {
      exit = { code, signal: sig };
      // Whatever the step left running in its group goes with it.
      if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, CLOSE_WAIT_MS).unref();
    });
    child.on("close", () => finish());

    run.signal.addEventListener("abort", onAbort, { once: true });
    if (run.signal.aborted) onAbort();
  });
}
