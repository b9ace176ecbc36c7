// @ts-check
// A step's output as lines: stdout and stderr decoded as UTF-8 and split on newlines, with one
// byte budget for both (constraints.max_output_bytes); past it the rest is dropped and a note
// says so once. Pure apart from the callbacks; steps.mjs feeds it, run-job.mjs consumes lines.
import { StringDecoder } from "node:string_decoder";

/** @typedef {"stdout" | "stderr"} Stream */

/**
 * @param {number} maxBytes
 * @param {(stream: Stream, line: string) => void} onLine
 */
export function createOutputCapture(maxBytes, onLine) {
  let used = 0;
  let truncated = false;
  /** @type {Record<Stream, {decoder: StringDecoder, partial: string}>} */
  const streams = {
    stdout: { decoder: new StringDecoder("utf8"), partial: "" },
    stderr: { decoder: new StringDecoder("utf8"), partial: "" },
  };

  /** @param {Stream} stream @param {string} text */
  function take(stream, text) {
    const s = streams[stream];
    const lines = (s.partial + text).split("\n");
    s.partial = lines.pop() ?? "";
    for (const line of lines) onLine(stream, line.endsWith("\r") ? line.slice(0, -1) : line);
  }

  /** @param {Stream} stream */
  function flush(stream) {
    const s = streams[stream];
    const rest = s.partial + s.decoder.end();
    s.partial = "";
    if (rest !== "") onLine(stream, rest);
  }

  return {
    /** @param {Stream} stream @param {Buffer} chunk */
    push(stream, chunk) {
      if (truncated) return;
      const room = maxBytes - used;
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      used += kept.length;
      take(stream, streams[stream].decoder.write(kept));
      if (kept.length < chunk.length) {
        truncated = true;
        flush("stdout");
        flush("stderr");
        onLine("stderr", `[sysop-runner] output cut off after ${maxBytes} bytes (constraints.max_output_bytes)`);
      }
    },
    /** At the end of the step: the unterminated last lines. */
    end() {
      if (truncated) return;
      flush("stdout");
      flush("stderr");
    },
    get truncated() {
      return truncated;
    },
    get bytes() {
      return used;
    },
  };
}

/**
 * Splits a line into pieces of at most maxBytes UTF-8 bytes, never inside a character
 * (events carry one line of ≤ 4 KiB, PROTOCOL.md §4).
 * @param {string} line
 * @param {number} maxBytes
 */
export function splitUtf8(line, maxBytes) {
  if (Buffer.byteLength(line) <= maxBytes) return [line];
  /** @type {string[]} */
  const pieces = [];
  let piece = "";
  let size = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    if (size + n > maxBytes) {
      pieces.push(piece);
      piece = "";
      size = 0;
    }
    piece += ch;
    size += n;
  }
  if (piece !== "") pieces.push(piece);
  return pieces;
}
