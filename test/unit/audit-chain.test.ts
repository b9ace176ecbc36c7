// Unit tests for the audit hash chain (workers/src/domain/audit/chain.ts): canonical JSON,
// sealing, and the verifier's answer to every kind of tampering: a changed field, a
// removed or reordered event, and verification split across pages.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ChainVerifier,
  GENESIS_HASH,
  canonicalJson,
  eventHash,
  sealEvent,
  sha256Hex,
  utf8ByteLength,
  type AuditDraft,
  type AuditEvent,
  type ChainCheck,
  type ChainHead,
} from "../../workers/src/domain/audit/chain";

const ORG = "org_abcdefghijklmnopqrst";
const T0 = Date.UTC(2026, 0, 15, 9, 30, 0);

function draft(i: number): AuditDraft {
  const details = canonicalJson({ index: i, name: `team-${i}`, nested: { b: [1, 2, { y: true, x: null }], a: "z" } });
  return {
    actorId: `usr_actor${String(i).padStart(15, "0")}`,
    actorKind: "user",
    actorKeyId: `key_k${String(i).padStart(11, "0")}`,
    action: "teams.create",
    targetType: "team",
    targetId: `team_t${String(i).padStart(19, "0")}`,
    outcome: "success",
    requestId: `req_r${String(i).padStart(19, "0")}`,
    ip: "203.0.113.7",
    userAgent: "sysop-cli/1.2.3 (linux)",
    details,
    detailsSha256: sha256Hex(details),
    detailsInR2: false,
  };
}

/** A fresh chain of `n` events sealed from genesis, one second apart. */
function sealedRun(n: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  let head: ChainHead = { seq: 0, hash: GENESIS_HASH };
  for (let i = 1; i <= n; i++) {
    const e = sealEvent(ORG, head, draft(i), new Date(T0 + i * 1000));
    events.push(e);
    head = { seq: e.seq, hash: e.hash };
  }
  return events;
}

/** Feeds events to one verifier; the first failure, or ok with the head reached. */
function verifyAll(events: readonly AuditEvent[], start?: ChainHead): { check: ChainCheck; head: ChainHead } {
  const v = new ChainVerifier(start);
  for (const e of events) {
    const check = v.check(e);
    if (!check.ok) return { check, head: v.current };
  }
  return { check: { ok: true }, head: v.current };
}

/** Verifies in pages, each page with a new verifier started from the previous page's head. */
function verifyPaged(events: readonly AuditEvent[], pageSize: number): { check: ChainCheck; head: ChainHead } {
  let head: ChainHead = { seq: 0, hash: GENESIS_HASH };
  for (let from = 0; from < events.length; from += pageSize) {
    const page = verifyAll(events.slice(from, from + pageSize), head);
    if (!page.check.ok) return page;
    head = page.head;
  }
  return { check: { ok: true }, head };
}

/** Changes exactly one character of `s` (the middle one by default). */
function flipChar(s: string, at = Math.floor(s.length / 2)): string {
  const c = s[at] === "a" ? "b" : "a";
  return s.slice(0, at) + c + s.slice(at + 1);
}

describe("sha256Hex", () => {
  it("is the SHA-256 of the text's UTF-8 bytes, for ASCII, empty, multi-byte and astral text, call after call", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // One encoder serves every call: a long text, then a short one, must not see the other's bytes.
    for (const text of ["é ü ß", "a".repeat(10_000), "日本語", "🙂 emoji", "x", '{"k":"\u0000"}']) {
      expect(sha256Hex(text)).toBe(createHash("sha256").update(text, "utf8").digest("hex"));
    }
  });
});

describe("canonicalJson", () => {
  const cases: Array<{ name: string; value: unknown; expected: string }> = [
    { name: "null", value: null, expected: "null" },
    { name: "undefined at the top becomes null", value: undefined, expected: "null" },
    { name: "number", value: 42, expected: "42" },
    { name: "boolean", value: false, expected: "false" },
    { name: "string with quotes and unicode", value: 'a"b\nç', expected: '"a\\"b\\nç"' },
    { name: "flat object, keys sorted", value: { b: 1, a: 2, c: 3 }, expected: '{"a":2,"b":1,"c":3}' },
    {
      name: "nested objects sorted at every depth",
      value: { z: { y: { x: 1, w: 2 }, a: 0 }, m: 1 },
      expected: '{"m":1,"z":{"a":0,"y":{"w":2,"x":1}}}',
    },
    {
      name: "objects inside arrays sorted, array order kept",
      value: [{ b: 1, a: 2 }, 3, [{ d: 4, c: 5 }]],
      expected: '[{"a":2,"b":1},3,[{"c":5,"d":4}]]',
    },
    { name: "undefined properties dropped", value: { b: undefined, a: 1 }, expected: '{"a":1}' },
    { name: "undefined inside an array becomes null", value: [undefined, 1], expected: "[null,1]" },
    { name: "keys sorted by code unit (uppercase before lowercase)", value: { a: 1, B: 2, _: 3 }, expected: '{"B":2,"_":3,"a":1}' },
    { name: "empty object and array", value: { a: {}, b: [] }, expected: '{"a":{},"b":[]}' },
  ];

  it.each(cases)("$name", ({ value, expected }) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it("writes byte for byte what the first form wrote, so stored chains still verify", () => {
    // The first implementation, kept here as the reference for every hash already stored.
    const reference = (value: unknown): string => {
      if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
      if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(",")}}`;
    };
    let seed = 17;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const keyChars = ["a", "B", "_", "z", "é", "\u{1F600}", "\uFF21", " ", '"', "\\", "0", "-"];
    const key = () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(keyChars)).join("");
    const scalar = () => pick<unknown>([null, undefined, true, false, 0, -0, 1.5, -3e21, Number.NaN, "", "text\n\t\"é\u{1F600}", "\u2028"]);
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth === 0 || r < 0.4) return scalar();
      if (r < 0.7) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth - 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, () => [key(), value(depth - 1)]));
    };
    for (let i = 0; i < 2_000; i++) {
      const v = value(4);
      expect(canonicalJson(v)).toBe(reference(v));
    }
  });

  it("gives the same text whatever order the keys were inserted in", () => {
    const one = { team: { name: "ops", id: "team_1", tags: [{ k: "a", v: "b" }] }, action: "x", n: 1 };
    const two = { n: 1, action: "x", team: { tags: [{ v: "b", k: "a" }], id: "team_1", name: "ops" } };
    expect(canonicalJson(two)).toBe(canonicalJson(one));
    expect(sha256Hex(canonicalJson(two))).toBe(sha256Hex(canonicalJson(one)));
  });

  it("round-trips through JSON.parse and is a fixed point", () => {
    const value = { z: [1, "two", { c: null, b: false, a: 1.5 }], a: { nested: { deeper: "ok" } } };
    const text = canonicalJson(value);
    expect(JSON.parse(text)).toEqual(value);
    expect(canonicalJson(JSON.parse(text))).toBe(text);
  });
});

describe("sealEvent", () => {
  it("assigns seq = head.seq + 1, links prev_hash, stamps the time and hashes the content", () => {
    const head = { seq: 41, hash: "ab".repeat(32) };
    const d = draft(1);
    const now = new Date(T0);
    const e = sealEvent(ORG, head, d, now);

    expect(e.seq).toBe(42);
    expect(e.prevHash).toBe(head.hash);
    expect(e.orgId).toBe(ORG);
    expect(e.ts).toBe("2026-01-15T09:30:00.000Z");
    expect(e).toMatchObject(d);
    expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
    const { hash, ...unsealed } = e;
    expect(hash).toBe(eventHash(unsealed));
  });

  it("starts a new chain at seq 1 linked to the genesis hash", () => {
    const e = sealEvent(ORG, { seq: 0, hash: GENESIS_HASH }, draft(1), new Date(T0));
    expect(GENESIS_HASH).toBe("0".repeat(64));
    expect(e.seq).toBe(1);
    expect(e.prevHash).toBe(GENESIS_HASH);
  });

  it("does not mutate the draft or the head", () => {
    const head = { seq: 3, hash: "cd".repeat(32) };
    const d = draft(1);
    const before = { head: structuredClone(head), draft: structuredClone(d) };
    sealEvent(ORG, head, d, new Date(T0));
    expect({ head, draft: d }).toEqual(before);
  });

  it("is deterministic, and the hash depends on org, head and time", () => {
    const head = { seq: 7, hash: "ef".repeat(32) };
    const base = sealEvent(ORG, head, draft(1), new Date(T0)).hash;
    expect(sealEvent(ORG, head, draft(1), new Date(T0)).hash).toBe(base);
    expect(sealEvent("org_other", head, draft(1), new Date(T0)).hash).not.toBe(base);
    expect(sealEvent(ORG, { ...head, hash: "ee".repeat(32) }, draft(1), new Date(T0)).hash).not.toBe(base);
    expect(sealEvent(ORG, { ...head, seq: 8 }, draft(1), new Date(T0)).hash).not.toBe(base);
    expect(sealEvent(ORG, head, draft(1), new Date(T0 + 1)).hash).not.toBe(base);
  });

  it("increments seq and links each event to the one before across a run", () => {
    const events = sealedRun(50);
    events.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      expect(e.prevHash).toBe(i === 0 ? GENESIS_HASH : events[i - 1]!.hash);
    });
    expect(new Set(events.map((e) => e.hash)).size).toBe(50);
  });
});

describe("ChainVerifier: an untouched chain", () => {
  it("accepts a sealed run of 50 events and ends at its head", () => {
    const events = sealedRun(50);
    const result = verifyAll(events);
    expect(result.check).toEqual({ ok: true });
    expect(result.head).toEqual({ seq: 50, hash: events[49]!.hash });
  });

  it("accepts events whose details live in R2 (details null, only the digest in the row)", () => {
    const d = { ...draft(1), details: null, detailsInR2: true };
    const e = sealEvent(ORG, { seq: 0, hash: GENESIS_HASH }, d, new Date(T0));
    expect(new ChainVerifier().check(e)).toEqual({ ok: true });
  });

  it("accepts events with null key id, ip and user agent", () => {
    const d = { ...draft(1), actorKeyId: null, ip: null, userAgent: null };
    const e = sealEvent(ORG, { seq: 0, hash: GENESIS_HASH }, d, new Date(T0));
    expect(new ChainVerifier().check(e)).toEqual({ ok: true });
  });

  it("starts at genesis by default, and current returns a copy", () => {
    const v = new ChainVerifier();
    expect(v.current).toEqual({ seq: 0, hash: GENESIS_HASH });
    const copy = v.current;
    copy.seq = 99;
    expect(v.current.seq).toBe(0);
  });

  it("copies the start head it is given", () => {
    const events = sealedRun(3);
    const start = { seq: 2, hash: events[1]!.hash };
    const v = new ChainVerifier(start);
    start.seq = 0;
    expect(v.check(events[2]!)).toEqual({ ok: true });
  });
});

describe("ChainVerifier: one character changed in one field", () => {
  type Tamper = (e: AuditEvent) => AuditEvent;
  const str = (field: keyof AuditEvent): Tamper => (e) => ({ ...e, [field]: flipChar(e[field] as string) });

  // One row per property of AuditEvent; the completeness test below fails when a field is added.
  const fields: Record<keyof AuditEvent, { tamper: Tamper; reason: string }> = {
    orgId: { tamper: str("orgId"), reason: "hash_mismatch" },
    seq: { tamper: (e) => ({ ...e, seq: e.seq + 10 }), reason: "gap" },
    ts: { tamper: (e) => ({ ...e, ts: e.ts.replace(/\d(?=\.\d{3}Z$)/, (d) => String((Number(d) + 1) % 10)) }), reason: "hash_mismatch" },
    prevHash: { tamper: str("prevHash"), reason: "prev_hash_mismatch" },
    hash: { tamper: str("hash"), reason: "hash_mismatch" },
    actorId: { tamper: str("actorId"), reason: "hash_mismatch" },
    actorKind: { tamper: (e) => ({ ...e, actorKind: "usea" }), reason: "hash_mismatch" },
    actorKeyId: { tamper: str("actorKeyId"), reason: "hash_mismatch" },
    action: { tamper: str("action"), reason: "hash_mismatch" },
    targetType: { tamper: str("targetType"), reason: "hash_mismatch" },
    targetId: { tamper: str("targetId"), reason: "hash_mismatch" },
    outcome: { tamper: (e) => ({ ...e, outcome: "failure" }), reason: "hash_mismatch" },
    requestId: { tamper: str("requestId"), reason: "hash_mismatch" },
    ip: { tamper: (e) => ({ ...e, ip: "203.0.113.8" }), reason: "hash_mismatch" },
    userAgent: { tamper: str("userAgent"), reason: "hash_mismatch" },
    details: { tamper: (e) => ({ ...e, details: e.details!.replace('"team-', '"teaa-') }), reason: "details_mismatch" },
    detailsSha256: { tamper: str("detailsSha256"), reason: "details_mismatch" },
    detailsInR2: { tamper: (e) => ({ ...e, detailsInR2: !e.detailsInR2 }), reason: "details_mismatch" },
  };

  it("the table covers every property of a sealed event", () => {
    expect(Object.keys(fields).sort()).toEqual(Object.keys(sealedRun(1)[0]!).sort());
  });

  const cases = Object.entries(fields).flatMap(([field, { tamper, reason }]) =>
    [1, 25, 50].map((seq) => ({ field, seq, tamper, reason })),
  );

  it.each(cases)("$field changed at seq $seq is reported at seq $seq ($reason)", ({ seq, tamper, reason }) => {
    const events = sealedRun(50);
    const original = events[seq - 1]!;
    const changed = tamper(original);
    expect(changed).not.toEqual(original);
    events[seq - 1] = changed;

    const result = verifyAll(events);
    expect(result.check).toEqual({ ok: false, seq, reason });
    expect(result.head).toEqual(seq === 1 ? { seq: 0, hash: GENESIS_HASH } : { seq: seq - 1, hash: events[seq - 2]!.hash });
  });

  it("a key id, ip or user agent set where there was none is detected", () => {
    for (const field of ["actorKeyId", "ip", "userAgent"] as const) {
      const d = { ...draft(1), [field]: null };
      const e = sealEvent(ORG, { seq: 0, hash: GENESIS_HASH }, d, new Date(T0));
      expect(new ChainVerifier().check({ ...e, [field]: "x" })).toEqual({ ok: false, seq: 1, reason: "hash_mismatch" });
    }
  });

  it("a tampered event re-hashed by the tamperer breaks the link to the next event", () => {
    const events = sealedRun(50);
    const { hash: _old, ...unsealed } = { ...events[19]!, actorId: "usr_someoneelse000000" };
    events[19] = { ...unsealed, hash: eventHash(unsealed) };
    expect(verifyAll(events).check).toEqual({ ok: false, seq: 21, reason: "prev_hash_mismatch" });
  });

  it("inline details erased (set to null while details_in_r2 stays false) are detected", () => {
    // An event with details_in_r2 = false must carry details whose digest is details_sha256;
    // otherwise anyone with write access to the row can delete what the event recorded.
    const events = sealedRun(50);
    events[24] = { ...events[24]!, details: null };
    expect(verifyAll(events).check).toMatchObject({ ok: false, seq: 25 });
  });

  it("a rejected event does not move the head, so the genuine event is accepted after it", () => {
    const events = sealedRun(3);
    const v = new ChainVerifier();
    expect(v.check(events[0]!)).toEqual({ ok: true });
    expect(v.check({ ...events[1]!, action: "teams.delete" })).toEqual({ ok: false, seq: 2, reason: "hash_mismatch" });
    expect(v.current).toEqual({ seq: 1, hash: events[0]!.hash });
    expect(v.check(events[1]!)).toEqual({ ok: true });
  });
});

describe("ChainVerifier: removed, reordered and repeated events", () => {
  const cases: Array<{ name: string; edit: (events: AuditEvent[]) => void; expected: ChainCheck }> = [
    { name: "first event removed", edit: (es) => es.splice(0, 1), expected: { ok: false, seq: 1, reason: "gap" } },
    { name: "event 17 removed", edit: (es) => es.splice(16, 1), expected: { ok: false, seq: 17, reason: "gap" } },
    { name: "events 30-32 removed", edit: (es) => es.splice(29, 3), expected: { ok: false, seq: 30, reason: "gap" } },
    {
      name: "events 10 and 11 swapped",
      edit: (es) => es.splice(9, 2, es[10]!, es[9]!),
      expected: { ok: false, seq: 10, reason: "gap" },
    },
    {
      name: "first and last swapped",
      edit: (es) => es.splice(0, 50, es[49]!, ...es.slice(1, 49), es[0]!),
      expected: { ok: false, seq: 1, reason: "gap" },
    },
    { name: "event 5 repeated", edit: (es) => es.splice(5, 0, es[4]!), expected: { ok: false, seq: 6, reason: "gap" } },
    {
      name: "event 12 renumbered into the gap left by removing 11",
      edit: (es) => {
        const { hash: _h, ...e12 } = { ...es[11]!, seq: 11 };
        es.splice(10, 2, { ...e12, hash: eventHash(e12) });
      },
      expected: { ok: false, seq: 11, reason: "prev_hash_mismatch" },
    },
  ];

  it.each(cases)("$name → $expected.reason at seq $expected.seq", ({ edit, expected }) => {
    const events = sealedRun(50);
    edit(events);
    expect(verifyAll(events).check).toEqual(expected);
  });

  it("a removed tail leaves the verifier at the last event it saw, for the caller to compare with the chain head", () => {
    const events = sealedRun(50);
    const result = verifyAll(events.slice(0, 47));
    expect(result.check).toEqual({ ok: true });
    expect(result.head).toEqual({ seq: 47, hash: events[46]!.hash });
  });
});

describe("ChainVerifier: verifying in pages", () => {
  const edits: Array<{ name: string; edit: (events: AuditEvent[]) => void }> = [
    { name: "untouched", edit: () => {} },
    { name: "field changed in page 1", edit: (es) => void (es[9] = { ...es[9]!, targetId: "team_x" }) },
    { name: "field changed in page 2", edit: (es) => void (es[39] = { ...es[39]!, outcome: "failure" }) },
    { name: "first event of page 2 changed", edit: (es) => void (es[25] = { ...es[25]!, prevHash: GENESIS_HASH }) },
    { name: "last event of page 1 changed", edit: (es) => void (es[24] = { ...es[24]!, hash: flipChar(es[24]!.hash) }) },
    { name: "event removed at the page boundary", edit: (es) => es.splice(25, 1) },
    { name: "event removed in page 2", edit: (es) => es.splice(44, 1) },
  ];
  const cases = edits.flatMap((e) => [25, 1, 7, 49].map((pageSize) => ({ ...e, pageSize })));

  it.each(cases)("$name, pages of $pageSize: same answer as one pass", ({ edit, pageSize }) => {
    const events = sealedRun(50);
    edit(events);
    expect(verifyPaged(events, pageSize)).toEqual(verifyAll(events));
  });

  it("two pages of an untouched run reach the same head as one pass", () => {
    const events = sealedRun(50);
    const page1 = verifyAll(events.slice(0, 25));
    const page2 = verifyAll(events.slice(25), page1.head);
    expect(page1.check).toEqual({ ok: true });
    expect(page2).toEqual({ check: { ok: true }, head: { seq: 50, hash: events[49]!.hash } });
  });

  it("page 2 started from a wrong head is rejected at its first event", () => {
    const events = sealedRun(50);
    expect(verifyAll(events.slice(25), { seq: 25, hash: events[23]!.hash }).check).toEqual({
      ok: false,
      seq: 26,
      reason: "prev_hash_mismatch",
    });
    expect(verifyAll(events.slice(25), { seq: 24, hash: events[24]!.hash }).check).toEqual({ ok: false, seq: 25, reason: "gap" });
  });
});

describe("utf8ByteLength", () => {
  it("counts what TextEncoder writes, surrogate pairs and lone surrogates included", () => {
    const units = ["a", "~", "\u0080", "é", "\u07ff", "\u0800", "€", "\uffff", "\u{1F600}", "\ud800", "\udc00", "\u0000"];
    let seed = 5;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 1_000; i++) {
      const text = Array.from({ length: Math.floor(rand() * 12) }, () => units[Math.floor(rand() * units.length)]).join("");
      expect(utf8ByteLength(text)).toBe(new TextEncoder().encode(text).byteLength);
    }
  });
});
