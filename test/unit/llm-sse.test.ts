// Unit tests for the SSE decoder (workers/src/integrations/llm/sse.ts): the WHATWG parsing
// rules (line endings, comments, fields, multi-line data, undispatched events) and chunking
// that cuts anywhere: at every character, mid-CRLF, and mid-UTF-8 character in raw bytes.
import { describe, expect, it } from "vitest";
import { SseDecoder, type SseEvent } from "../../workers/src/integrations/llm/sse";

const decodeAll = (chunks: (string | Uint8Array)[]): SseEvent[] => {
  const d = new SseDecoder();
  return chunks.flatMap((c) => d.push(c));
};

const STREAM = 'event: a\ndata: {"x":1}\n\n: keep-alive\n\nevent: b\r\ndata: first\r\ndata: second\r\n\r\ndata:no-space\r\rdata:  two spaces\r\rid: 7\nretry: 10\ndata: é ✓ 🚀\n\n';
const EXPECTED: SseEvent[] = [
  { event: "a", data: '{"x":1}' },
  { event: "b", data: "first\nsecond" },
  { event: "message", data: "no-space" },
  { event: "message", data: " two spaces" },
  { event: "message", data: "é ✓ 🚀" },
];

describe("SseDecoder", () => {
  it("parses events with LF, CRLF and CR line endings, comments, and ignored fields", () => {
    expect(decodeAll([STREAM])).toEqual(EXPECTED);
  });

  it("gives the same events however the text is cut: at every position, and one character at a time", () => {
    for (let i = 0; i <= STREAM.length; i++) expect(decodeAll([STREAM.slice(0, i), STREAM.slice(i)]), `cut at ${i}`).toEqual(EXPECTED);
    expect(decodeAll([...STREAM])).toEqual(EXPECTED); // code points
    expect(decodeAll(STREAM.split(""))).toEqual(EXPECTED); // UTF-16 units, surrogate pairs split
  });

  it("gives the same events from bytes cut at every byte, inside multi-byte characters too", () => {
    const bytes = new TextEncoder().encode(STREAM);
    for (let i = 0; i <= bytes.length; i++) expect(decodeAll([bytes.slice(0, i), bytes.slice(i)]), `cut at byte ${i}`).toEqual(EXPECTED);
    expect(decodeAll([...bytes].map((b) => new Uint8Array([b])))).toEqual(EXPECTED);
  });

  it("treats a CR ending one chunk and a LF opening the next as one line break", () => {
    expect(decodeAll(["data: x\r", "\n", "\r", "\n"])).toEqual([{ event: "message", data: "x" }]);
    // ...but a CR then a CR is two line breaks: the event ends there.
    expect(decodeAll(["data: x\r", "\rdata: y\n\n"])).toEqual([
      { event: "message", data: "x" },
      { event: "message", data: "y" },
    ]);
  });

  it("does not dispatch an event without data, and resets the event name after a blank line", () => {
    expect(decodeAll(["event: ping\n\n", "data: z\n\n"])).toEqual([{ event: "message", data: "z" }]);
  });

  it("dispatches an empty data line as an empty string", () => {
    expect(decodeAll(["data\n\n", "data:\n\n"])).toEqual([
      { event: "message", data: "" },
      { event: "message", data: "" },
    ]);
  });

  it("holds an unterminated event back (a stream cut mid-event yields nothing for it)", () => {
    const d = new SseDecoder();
    expect(d.push('event: message_delta\ndata: {"usage":')).toEqual([]);
    expect(d.push("\n")).toEqual([]);
  });

  it("drops a leading byte-order mark once, and only at the start", () => {
    expect(decodeAll(["\uFEFFdata: a\n\n"])).toEqual([{ event: "message", data: "a" }]);
    expect(decodeAll([new Uint8Array([0xef, 0xbb]), new Uint8Array([0xbf, 0x64, 0x61, 0x74, 0x61, 0x3a, 0x62, 0x0a, 0x0a])])).toEqual([{ event: "message", data: "b" }]);
    expect(decodeAll(["data: a\n\n", "\uFEFFdata: b\n\n"])).toEqual([{ event: "message", data: "a" }]); // "\uFEFFdata" is an unknown field
  });
});
