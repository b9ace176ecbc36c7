// @ts-check
// Keeps a lease alive while its job runs (PROTOCOL.md §4): a heartbeat every
// heartbeat_seconds; `cancel: true` stops the job as cancelled, 409 (lease lost) stops it
// silently, 401 means the runner was revoked. Used by runner.mjs.
import { isConflict, isUnauthorized } from "./errors.mjs";
import { errorMessage } from "./log.mjs";

/**
 * @param {{client: import("./client.mjs").Client, log: import("./log.mjs").Logger, jobId: string, leaseId: string, everySeconds: number, job: AbortController, onRevoked: (err: unknown) => void}} p
 * @returns {{stop(): void}}
 */
export function startHeartbeat({ client, log, jobId, leaseId, everySeconds, job, onRevoked }) {
  // A lease lapses 30 s after its last beat: never beat less often than every 20 s.
  const everyMs = Math.min(Math.max(Number(everySeconds) || 10, 1), 20) * 1000;
  let stopped = false;
  /** @type {NodeJS.Timeout | undefined} */
  let timer;

  async function beat() {
    try {
      const answer = await client.heartbeat(jobId, leaseId);
      if (answer?.cancel === true && !job.signal.aborted) {
        log.info("job cancelled by the control plane", { job_id: jobId });
        job.abort("cancelled");
      }
    } catch (err) {
      if (isConflict(err)) {
        log.warn("lease lost: stopping the job without reporting", { job_id: jobId, lease_id: leaseId });
        job.abort("lease_lost");
        return;
      }
      if (isUnauthorized(err)) return onRevoked(err);
      log.warn("heartbeat failed", { job_id: jobId, error: errorMessage(err) });
    }
    if (!stopped) timer = setTimeout(beat, everyMs);
  }

  timer = setTimeout(beat, everyMs);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
