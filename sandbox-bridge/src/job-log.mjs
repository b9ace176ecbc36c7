// @ts-check
// Everything a job's steps say, in two forms: events for the control plane (PROTOCOL.md §4:
// step_started, log lines of ≤ 4 KiB, step_finished, step_refused) and the combined log kept
// for the `log` artifact. Every line is redacted once, here, before it goes anywhere.
import { createLineRedactor } from "./redact.mjs";
import { splitUtf8 } from "./output.mjs";

/** @typedef {import("./events.mjs").EventSink} EventSink */
/** @typedef {import("./output.mjs").Stream} Stream */

export const MAX_LOG_LINE_BYTES = 4096;
/** The log artifact stays under the control plane's 10 MiB cap with room to spare. */
export const MAX_COMBINED_LOG_BYTES = 9 * 1024 * 1024;

/**
 * @param {{events: EventSink, redact: (text: string) => string, now?: () => Date}} opts
 */
export function createJobLog({ events, redact, now = () => new Date() }) {
  /** @type {string[]} */
  const combined = [];
  let size = 0;
  let full = false;
  /** One PEM-aware redactor per step and stream: a key block never spans two streams. */
  const redactors = new Map();

  /** @param {string} text */
  function append(text) {
    if (full) return;
    const line = text + "\n";
    size += Buffer.byteLength(line);
    if (size > MAX_COMBINED_LOG_BYTES) {
      full = true;
      combined.push("[sysop-runner] the combined log was cut off here\n");
      return;
    }
    combined.push(line);
  }

  /** @param {string} step @param {Stream} stream */
  function redactorFor(step, stream) {
    const key = `${step}\0${stream}`;
    if (!redactors.has(key)) redactors.set(key, createLineRedactor(redact));
    return /** @type {(line: string) => string} */ (redactors.get(key));
  }

  return {
    /** @param {string} step */
    stepStarted(step) {
      const at = now().toISOString();
      events.push({ type: "step_started", step, at });
      append(`${at} [${step}] started`);
    },
    /** @param {string} step @param {number | null} exitCode @param {number} durationMs */
    stepFinished(step, exitCode, durationMs) {
      const at = now().toISOString();
      events.push({ type: "step_finished", step, exit_code: exitCode, duration_ms: durationMs, at });
      append(`${at} [${step}] finished: exit code ${exitCode ?? "none"}, ${durationMs} ms`);
    },
    /** @param {string} step @param {string} reason */
    stepRefused(step, reason) {
      const at = now().toISOString();
      events.push({ type: "step_refused", step, reason, at });
      append(`${at} [${step}] refused: ${reason}`);
    },
    /** A line a step printed: redacted, then sent as events of ≤ 4 KiB each and kept. @param {string} step @param {Stream} stream @param {string} raw */
    line(step, stream, raw) {
      const at = now().toISOString();
      const line = redactorFor(step, stream)(raw);
      for (const piece of splitUtf8(line, MAX_LOG_LINE_BYTES)) events.push({ type: "log", step, stream, line: piece, at });
      append(`${at} [${step}] ${stream}: ${line}`);
    },
    /** A note from the runner itself, for the log artifact only. @param {string} text */
    note(text) {
      append(`${now().toISOString()} [sysop-runner] ${redact(text)}`);
    },
    /** The combined log's bytes. */
    bytes() {
      return Buffer.from(combined.join(""), "utf8");
    },
  };
}

/** @typedef {ReturnType<typeof createJobLog>} JobLog */
