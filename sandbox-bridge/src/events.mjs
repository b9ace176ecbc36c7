// @ts-check
// A job's events on their way to the control plane (PROTOCOL.md §4): batched, at most 100 per
// call, sent at least every second while there are some, one call in flight at a time so they
// arrive in order. A failed send is logged and dropped: events are progress, not evidence
// (the outcome and the log artifact are). Used by runner.mjs and run-job.mjs.

export const MAX_EVENTS_PER_CALL = 100;
export const FLUSH_INTERVAL_MS = 1_000;

/**
 * @typedef {Record<string, unknown> & {type: string}} JobEvent
 * @typedef {{push(event: JobEvent): void, flush(): Promise<void>}} EventSink
 */

/**
 * @param {{send: (events: JobEvent[]) => Promise<void>, onError?: (err: unknown) => void, intervalMs?: number}} opts
 * @returns {EventSink}
 */
export function createEventBatcher({ send, onError = () => {}, intervalMs = FLUSH_INTERVAL_MS }) {
  /** @type {JobEvent[]} */
  let queue = [];
  /** @type {NodeJS.Timeout | null} */
  let timer = null;
  /** @type {Promise<void>} */
  let sending = Promise.resolve();

  function sendQueued() {
    if (timer) clearTimeout(timer);
    timer = null;
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_EVENTS_PER_CALL);
      queue = queue.slice(MAX_EVENTS_PER_CALL);
      sending = sending.then(() => send(batch)).catch(onError);
    }
    return sending;
  }

  return {
    push(event) {
      queue.push(event);
      if (queue.length >= MAX_EVENTS_PER_CALL) void sendQueued();
      else if (!timer) timer = setTimeout(sendQueued, intervalMs);
    },
    flush: sendQueued,
  };
}
