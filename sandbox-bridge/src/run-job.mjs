// @ts-check
// One job from lease to outcome claims (PROTOCOL.md §4): verify it, refuse it whole if any
// step is not allowed, run its steps in a fresh workspace, check the changes against its
// paths, gather tests, usage and artifacts. runner.mjs calls runJob with a signal that says
// why to stop ("cancelled", "lease_lost", "shutdown", "revoked") and signs what comes back.
import { createWorkspace } from "./workspace.mjs";
import { firstRefusedStep, checkStep, pathsOutside } from "./constraints.mjs";
import { runStep, stepEnv } from "./steps.mjs";
import { sandboxArgv } from "./sandbox.mjs";
import { createJobLog } from "./job-log.mjs";
import { createRedactor } from "./redact.mjs";
import { collectChanges, parseTestsLine, parseTestReport, parseUsage, readSideFile, TEST_REPORT_FILE, USAGE_FILE } from "./results.mjs";
import { uploadArtifacts } from "./artifacts.mjs";
import { outcomeClaims, outsidePathsReason } from "./outcome.mjs";
import { errorMessage } from "./log.mjs";

/** @typedef {import("./job.mjs").Job} Job */
/** @typedef {import("./outcome.mjs").StepRecord} StepRecord */
/** @typedef {import("./outcome.mjs").OutcomeFacts} OutcomeFacts */
/** @typedef {import("./workspace.mjs").Workspace} Workspace */
/** @typedef {import("./job-log.mjs").JobLog} JobLog */
/** @typedef {"cancelled" | "lease_lost" | "shutdown" | "revoked"} StopReason */
/**
 * @typedef {object} JobDeps
 * @property {import("./config.mjs").RunnerConfig} config
 * @property {import("./job.mjs").JobVerifier} verifier
 * @property {import("./client.mjs").Client} client
 * @property {import("./log.mjs").Logger} log
 * @property {import("./sandbox.mjs").Sandbox} sandbox
 * @property {NodeJS.ProcessEnv} env
 * @property {number} [killGraceMs]
 * @typedef {object} JobContext
 * @property {string} token
 * @property {{jobId: string, taskId: string | null, attempt: number | null}} ids  unverified, from peekJob
 * @property {string} leaseId
 * @property {AbortSignal} signal   its reason is a StopReason
 * @property {import("./events.mjs").EventSink} events
 * @typedef {{report: false, why: string} | {report: true, claims: Record<string, unknown>}} JobResult
 * @typedef {{records: StepRecord[], failure: string | null, tests: import("./results.mjs").TestsSummary | null}} StepsRun
 */

const CANCELLED_REASON = "cancelled by the control plane";

/** @param {AbortSignal} signal @returns {StopReason | null} */
const stopReason = (signal) => (signal.aborted ? /** @type {StopReason} */ (signal.reason) : null);

/**
 * @param {JobDeps} deps
 * @param {JobContext} ctx
 * @returns {Promise<JobResult>}
 */
export async function runJob(deps, ctx) {
  const started = Date.now();
  /** @param {Omit<OutcomeFacts, "durationMs" | "ids"> & {ids?: OutcomeFacts["ids"]}} facts @returns {JobResult} */
  const report = (facts) => ({ report: true, claims: outcomeClaims({ ids: ctx.ids, ...facts, durationMs: Date.now() - started }) });

  const verified = await deps.verifier.verify(ctx.token);
  if (!verified.ok) {
    deps.log.error("job not run", { job_id: ctx.ids.jobId, reason: verified.reason });
    // A JWKS we could not fetch says nothing about the job: let the lease lapse and the job be retried.
    return verified.retriable ? { report: false, why: verified.reason } : report({ status: "failed", reason: verified.reason });
  }
  const job = verified.job;
  const ids = { jobId: job.id, taskId: job.task_id, attempt: job.attempt };
  const jobLog = createJobLog({ events: ctx.events, redact: createRedactor(secretValues(deps)) });

  const refused = firstRefusedStep(job, deps.config.agent?.command ?? null);
  if (refused) {
    jobLog.stepRefused(refused.step.name, refused.reason);
    const steps = [{ name: refused.step.name, kind: refused.step.kind, exit_code: null, duration_ms: 0, refused: true }];
    return report({ ids, status: "failed", reason: `step '${refused.step.name}' refused: ${refused.reason}`, steps });
  }
  const source = deps.config.repos[job.repo];
  if (!source) return report({ ids, status: "failed", reason: `repo '${job.repo}' is not configured on this runner` });

  let ws;
  try {
    ws = await createWorkspace({ source, ref: job.ref, root: deps.config.workdir_root });
  } catch (err) {
    return report({ ids, status: "failed", reason: `could not prepare the workspace: ${errorMessage(err)}` });
  }
  try {
    const facts = await runInWorkspace(deps, ctx, job, ws, jobLog, started);
    return "why" in facts ? { report: false, why: facts.why } : report({ ids, ...facts });
  } finally {
    await ws.remove().catch((err) => deps.log.warn("workspace cleanup failed", { job_id: job.id, dir: ws.dir, error: errorMessage(err) }));
  }
}

/** @param {JobDeps} deps */
function secretValues(deps) {
  return deps.config.secrets_env.map((name) => deps.env[name]).filter((v) => typeof v === "string");
}

/**
 * @param {JobDeps} deps
 * @param {JobContext} ctx
 * @param {Job} job
 * @param {Workspace} ws
 * @param {JobLog} jobLog
 * @param {number} started
 * @returns {Promise<{why: string} | Omit<OutcomeFacts, "durationMs" | "ids">>}
 */
async function runInWorkspace(deps, ctx, job, ws, jobLog, started) {
  if (deps.sandbox.mode === "none" && job.constraints.network === "none") {
    deps.log.warn("the job asks for no network, which is not enforced without a sandbox", { job_id: job.id });
  }
  const run = await runSteps(deps, ctx, job, ws, jobLog, started);
  const stopped = stopReason(ctx.signal);
  if (stopped !== null && stopped !== "cancelled") return { why: stopped };

  let changes;
  try {
    changes = await collectChanges(ws);
  } catch (err) {
    return { status: "failed", reason: `could not read the changes: ${errorMessage(err)}`, steps: run.records };
  }
  const outside = pathsOutside(changes.files, job.constraints.paths);
  const { tests, reportBytes } = await testsResult(ws, run.tests);
  const usageBytes = await readSideFile(ws.dir, USAGE_FILE);
  const tokensUsed = usageBytes ? parseUsage(usageBytes.toString("utf8")) : null;

  /** @type {{status: import("./outcome.mjs").OutcomeStatus, reason: string | null}} */
  const verdict =
    stopped === "cancelled" ? { status: "cancelled", reason: CANCELLED_REASON }
    : run.failure ? { status: "failed", reason: run.failure }
    : outside.length > 0 ? { status: "failed", reason: outsidePathsReason(outside) }
    : { status: "succeeded", reason: null };
  if (verdict.reason) jobLog.note(`job ${verdict.status}: ${verdict.reason}`);

  const redactDiff = createRedactor(secretValues(deps), { shapes: false });
  const artifacts = await uploadArtifacts(
    { client: deps.client, log: deps.log, jobId: job.id, leaseId: ctx.leaseId, allowed: job.constraints.artifacts },
    [
      ...(changes.files.length > 0 ? [{ kind: /** @type {const} */ ("diff"), bytes: scrubDiff(changes.diff, redactDiff, deps, job.id), contentType: "text/x-diff" }] : []),
      ...(reportBytes ? [{ kind: /** @type {const} */ ("test_report"), bytes: reportBytes, contentType: "application/json" }] : []),
      { kind: "log", bytes: jobLog.bytes(), contentType: "text/plain; charset=utf-8" },
    ],
  );
  return { ...verdict, steps: run.records, tests, filesChanged: changes.files, diffStats: changes.stats, tokensUsed, artifacts };
}

/**
 * The diff is the work itself, so only declared secret values are cut from it (a token-shaped
 * test fixture stays), and only when one is there: rewriting would spoil non-UTF-8 bytes.
 * @param {Buffer} diff
 * @param {(text: string) => string} redact
 * @param {JobDeps} deps
 * @param {string} jobId
 */
function scrubDiff(diff, redact, deps, jobId) {
  const leaks = secretValues(deps).some((v) => v.length > 0 && diff.includes(v));
  if (!leaks) return diff;
  deps.log.warn("the diff contained a secret value; it was redacted", { job_id: jobId });
  return Buffer.from(redact(diff.toString("utf8")), "utf8");
}

/**
 * The tests summary: sysop-test-report.json when a step wrote a valid one, else the last
 * SYSOP_TESTS line; the report's bytes for the test_report artifact.
 * @param {Workspace} ws
 * @param {import("./results.mjs").TestsSummary | null} fromLines
 */
async function testsResult(ws, fromLines) {
  const file = await readSideFile(ws.dir, TEST_REPORT_FILE);
  const fromFile = file ? parseTestReport(file.toString("utf8")) : null;
  if (file && fromFile) return { tests: fromFile, reportBytes: file };
  return { tests: fromLines, reportBytes: fromLines ? Buffer.from(JSON.stringify(fromLines) + "\n") : null };
}

/**
 * Runs the steps in order until one fails or the job is stopped.
 * @param {JobDeps} deps
 * @param {JobContext} ctx
 * @param {Job} job
 * @param {Workspace} ws
 * @param {JobLog} jobLog
 * @param {number} started
 * @returns {Promise<StepsRun>}
 */
async function runSteps(deps, ctx, job, ws, jobLog, started) {
  /** @type {StepsRun} */
  const run = { records: [], failure: null, tests: null };
  const { constraints } = job;
  const deadline = Math.min(job.deadlineMs, started + constraints.max_duration_seconds * 1000);
  const env = stepEnv(deps.env, { envAllow: deps.config.env_allow, secretsEnv: deps.config.secrets_env, jobId: job.id, taskId: job.task_id, goal: job.goal, workdir: ws.dir });

  for (const step of job.steps) {
    if (ctx.signal.aborted) break;
    const check = checkStep(step, job, deps.config.agent?.command ?? null);
    if (!check.ok) throw new Error(`step '${step.name}' was checked before the run and is refused now`); // INVARIANT: firstRefusedStep ran first
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      run.failure = `the job ran out of time before step '${step.name}'`;
      break;
    }
    const stepLimit = constraints.step_timeout_seconds * 1000;
    jobLog.stepStarted(step.name);
    const result = await runStep({
      argv: sandboxArgv(deps.sandbox, check.argv, { workdir: ws.dir, network: constraints.network, hide: [deps.config.private_key_file] }),
      cwd: ws.dir,
      env,
      timeoutMs: Math.min(stepLimit, remaining),
      maxOutputBytes: constraints.max_output_bytes,
      signal: ctx.signal,
      killGraceMs: deps.killGraceMs,
      onLine: (stream, line) => {
        if (step.kind === "tests") run.tests = parseTestsLine(line) ?? run.tests;
        jobLog.line(step.name, stream, line);
      },
    });
    jobLog.stepFinished(step.name, result.exitCode, result.durationMs);
    run.records.push({ name: step.name, kind: step.kind, exit_code: result.exitCode, duration_ms: result.durationMs, refused: false });
    if (result.aborted) break;
    run.failure = stepFailure(step.name, result, { byDeadline: stepLimit >= remaining, stepTimeoutSeconds: constraints.step_timeout_seconds });
    if (run.failure) break;
  }
  return run;
}

/**
 * Why a finished step fails the job, or null when it did not.
 * @param {string} name
 * @param {import("./steps.mjs").StepResult} r
 * @param {{byDeadline: boolean, stepTimeoutSeconds: number}} limit  byDeadline: the job's deadline, not the step's timeout, was the limit
 */
export function stepFailure(name, r, { byDeadline, stepTimeoutSeconds }) {
  if (r.spawnError) return `step '${name}' could not start: ${r.spawnError}`;
  if (r.timedOut && byDeadline) return `step '${name}' ran past the job's deadline (exp or max_duration_seconds)`;
  if (r.timedOut) return `step '${name}' timed out after ${stepTimeoutSeconds} s`;
  if (r.exitCode === 0) return null;
  if (r.exitCode === null) return `step '${name}' was killed by ${r.signal ?? "a signal"}`;
  return `step '${name}' exited with code ${r.exitCode}`;
}
