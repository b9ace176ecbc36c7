// @ts-check
// The runner's loop (PROTOCOL.md §4): long-poll for a lease, run the job while heartbeating,
// report its signed outcome; `concurrency` slots do this side by side. A 401 anywhere means
// the runner was revoked: everything stops and the process exits 3. stop() once stops
// leasing and lets running jobs finish; twice abandons them (no outcome: the lease lapses
// and the control plane retries the job). Used by cli.mjs.
import { peekJob } from "./job.mjs";
import { runJob } from "./run-job.mjs";
import { createEventBatcher } from "./events.mjs";
import { startHeartbeat } from "./heartbeat.mjs";
import { outcomeClaims } from "./outcome.mjs";
import { sleep } from "./client.mjs";
import { isConflict, isUnauthorized } from "./errors.mjs";
import { errorMessage } from "./log.mjs";

export const LEASE_WAIT_SECONDS = 25;
/** An empty answer sooner than this waits out the rest before the next poll. */
const MIN_EMPTY_POLL_MS = 1_000;
const LEASE_ERROR_BACKOFF_MS = 10_000;
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_REVOKED = 3;

/**
 * @typedef {import("./run-job.mjs").JobDeps & {
 *   signOutcome: (claims: Record<string, unknown>) => Promise<string>,
 *   concurrency: number,
 *   once: boolean,
 * }} RunnerDeps
 */

/** @param {RunnerDeps} deps */
export function createRunner(deps) {
  const { client, log } = deps;
  const leasing = new AbortController();
  /** @type {Set<AbortController>} */
  const jobs = new Set();
  let exitCode = EXIT_OK;

  /** @param {unknown} err */
  function revoked(err) {
    if (exitCode !== EXIT_REVOKED) {
      exitCode = EXIT_REVOKED;
      log.error("the control plane refused this runner (401): it was revoked, or is unknown; enrol again with a new token", { error: errorMessage(err) });
    }
    leasing.abort();
    for (const job of jobs) job.abort("revoked");
  }

  /** @param {string} jobId @param {string} leaseId @param {Record<string, unknown>} claims */
  async function reportOutcome(jobId, leaseId, claims) {
    try {
      const answer = await client.outcome(jobId, leaseId, await deps.signOutcome(claims));
      log.info(answer?.duplicate ? "outcome was a duplicate; the first report counts" : "outcome reported", { job_id: jobId, status: String(claims.status) });
    } catch (err) {
      if (isUnauthorized(err)) return revoked(err);
      log.error(isConflict(err) ? "lease lost before the outcome was reported" : "could not report the outcome", { job_id: jobId, error: errorMessage(err) });
    }
  }

  /** @param {import("./client.mjs").Lease} lease */
  async function handleLease(lease) {
    const leaseId = lease.lease.id;
    const ids = peekJob(lease.job);
    if (!ids) return log.error("dropped a lease whose job is not a readable JWT", { lease_id: leaseId });
    log.info("job leased", { job_id: ids.jobId, lease_id: leaseId });
    const job = new AbortController();
    jobs.add(job);
    const events = createEventBatcher({
      send: (batch) => client.events(ids.jobId, leaseId, batch),
      onError: (err) => log.warn("events not delivered", { job_id: ids.jobId, error: errorMessage(err) }),
    });
    const heartbeat = startHeartbeat({ client, log, jobId: ids.jobId, leaseId, everySeconds: lease.lease.heartbeat_seconds, job, onRevoked: revoked });
    try {
      let result;
      try {
        result = await runJob(deps, { token: lease.job, ids, leaseId, signal: job.signal, events });
      } catch (err) {
        log.error("the job failed inside the runner", { job_id: ids.jobId, error: errorMessage(err) });
        result = { report: true, claims: outcomeClaims({ ids, status: "failed", reason: `runner error: ${errorMessage(err)}`, durationMs: 0 }) };
      }
      await events.flush();
      const stopped = job.signal.aborted && job.signal.reason !== "cancelled";
      if (!result.report || stopped) return log.warn("job stopped without an outcome", { job_id: ids.jobId, why: result.report ? String(job.signal.reason) : result.why });
      await reportOutcome(ids.jobId, leaseId, result.claims);
    } finally {
      heartbeat.stop();
      jobs.delete(job);
    }
  }

  async function slot() {
    while (!leasing.signal.aborted) {
      let lease = null;
      const askedAt = Date.now();
      try {
        lease = await client.lease(LEASE_WAIT_SECONDS, leasing.signal);
      } catch (err) {
        if (leasing.signal.aborted) break;
        if (isUnauthorized(err)) return revoked(err);
        log.error("lease failed", { error: errorMessage(err) });
        if (deps.once) return void (exitCode = EXIT_ERROR);
        await sleep(LEASE_ERROR_BACKOFF_MS, leasing.signal);
        continue;
      }
      if (lease) await handleLease(lease);
      else if (deps.once) log.info("no job was waiting");
      if (deps.once) break;
      // "No job" answered at once (a draining runner, a control plane that does not hold the
      // poll): do not ask again in a tight loop.
      if (!lease && Date.now() - askedAt < MIN_EMPTY_POLL_MS) await sleep(MIN_EMPTY_POLL_MS, leasing.signal);
    }
  }

  return {
    /** @returns {Promise<number>} the process exit code */
    async run() {
      const slots = deps.once ? 1 : Math.max(1, deps.concurrency);
      log.info("runner started", { runner_id: deps.config.runner_id, pool_id: deps.config.pool_id, sandbox: deps.sandbox.mode, slots });
      await Promise.all(Array.from({ length: slots }, slot));
      return exitCode;
    },
    stop() {
      if (!leasing.signal.aborted) {
        log.info("stopping: no new leases; running jobs finish (signal again to abandon them)");
        leasing.abort();
        return;
      }
      log.warn("abandoning running jobs: no outcome, the control plane will retry them");
      for (const job of jobs) job.abort("shutdown");
    },
  };
}
