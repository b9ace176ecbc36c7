// Unit tests for scripts/workerd-v8-flags.mjs: adding V8 flags to the binary workerd config
// Miniflare writes. The messages are Miniflare's own encoding (its exported serializeConfig),
// and one with a second segment; test/e2e/workerd-v8-flags.test.ts checks
// that workerd runs with the flags.
import { describe, expect, it } from "vitest";
import { serializeConfig } from "miniflare";
import { parseV8Flags, v8FlagsOf, withV8Flags } from "../../scripts/workerd-v8-flags.mjs";

const config = (script: string, v8Flags?: string[]) =>
  serializeConfig({
    services: [{ name: "main", worker: { modules: [{ name: "index.mjs", esModule: script }], compatibilityDate: "2026-04-20" } }],
    sockets: [{ name: "http", address: "127.0.0.1:0", http: {}, service: { name: "main" } }],
    ...(v8Flags ? { v8Flags } : {}),
  });

const SMALL = config("export default { fetch() { return new Response('ok'); } };");
/** SMALL with a second segment after it (Miniflare's encoder grows one segment; a message may have several). */
function withSecondSegment(message: Buffer, words: Buffer): Buffer {
  const table = Buffer.alloc(16);
  table.writeUInt32LE(1, 0);
  table.writeUInt32LE(message.readUInt32LE(4), 4);
  table.writeUInt32LE(words.length / 8, 8);
  return Buffer.concat([table, message.subarray(8), words]);
}
const SECOND = Buffer.from("a later segment, kept as it is....".padEnd(40, "."));
const LARGE = withSecondSegment(SMALL, SECOND);
const segments = (m: Buffer) => m.readUInt32LE(0) + 1;

describe("withV8Flags", () => {
  it("reads back what Miniflare itself encodes as v8Flags", () => {
    expect(v8FlagsOf(config("export default {};", ["--expose-gc", "--max-semi-space-size=4"]))).toEqual(["--expose-gc", "--max-semi-space-size=4"]);
    expect(v8FlagsOf(SMALL)).toEqual([]);
  });

  it("adds the flags, and writes them as Miniflare's encoder would read them", () => {
    const flags = ["--max-semi-space-size=4", "--expose-gc", "--trace-gc"];
    const patched = withV8Flags(SMALL, flags);
    expect(v8FlagsOf(patched)).toEqual(flags);
    // Only appended to segment 0, plus its new size and the one pointer: the rest is byte for byte.
    expect(patched.length).toBeGreaterThan(SMALL.length);
    const table = Math.ceil((4 + 4 * segments(SMALL)) / 8) * 8;
    const differing = [...SMALL.subarray(table).keys()].filter((i) => SMALL[table + i] !== patched[table + i]);
    expect(differing.length).toBeGreaterThan(0);
    expect(differing.length).toBeLessThanOrEqual(8);
  });

  it("keeps every later segment intact when the config spans several", () => {
    expect(segments(LARGE)).toBeGreaterThan(1);
    const patched = withV8Flags(LARGE, ["--max-semi-space-size=2"]);
    expect(v8FlagsOf(patched)).toEqual(["--max-semi-space-size=2"]);
    expect(segments(patched)).toBe(2);
    expect(patched.readUInt32LE(8)).toBe(SECOND.length / 8);
    expect(patched.subarray(patched.length - SECOND.length).equals(SECOND)).toBe(true);
    expect(patched.length).toBe(16 + patched.readUInt32LE(4) * 8 + SECOND.length);
  });

  it("leaves the message alone without flags, and refuses to replace flags already set", () => {
    expect(withV8Flags(SMALL, [])).toBe(SMALL);
    expect(() => withV8Flags(config("export default {};", ["--expose-gc"]), ["--trace-gc"])).toThrow(/already sets v8Flags/);
  });

  it("refuses what is not a whole config message", () => {
    expect(() => withV8Flags(Buffer.alloc(0), ["--expose-gc"])).toThrow(/empty/);
    expect(() => withV8Flags(SMALL.subarray(0, SMALL.length - 8), ["--expose-gc"])).toThrow(/segment table/);
  });
});

describe("parseV8Flags", () => {
  it("splits on whitespace and accepts V8's --flag and --flag=value forms", () => {
    expect(parseV8Flags("  --max-semi-space-size=4   --expose-gc ")).toEqual(["--max-semi-space-size=4", "--expose-gc"]);
    expect(parseV8Flags("")).toEqual([]);
    expect(parseV8Flags(undefined)).toEqual([]);
  });

  it("names what is not a flag", () => {
    expect(() => parseV8Flags("--expose-gc max-semi-space-size=4")).toThrow(/not a V8 flag: "max-semi-space-size=4"/);
    expect(() => parseV8Flags("--x=$(rm -rf /)")).toThrow(/not a V8 flag/);
  });
});
