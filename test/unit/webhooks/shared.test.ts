// Unit tests for what the webhook receivers share: issue classification and label severity
// (classify.ts), date-time normalisation and field-naming reasons (payload.ts), the constant-
// time "any signature matches" (hmac.ts), and the registry the route dispatches on (index.ts).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { classifyIssue, severityFromLabels } from "../../../workers/src/domain/webhooks/classify";
import { assertUsableSecrets, matchesAny, toBase64, toHex } from "../../../workers/src/domain/webhooks/hmac";
import { WEBHOOK_RECEIVERS, WEBHOOK_SOURCES } from "../../../workers/src/domain/webhooks/index";
import { IsoDateTime, validate } from "../../../workers/src/domain/webhooks/payload";

describe("classifyIssue", () => {
  const cases: Array<{ labels: string[]; type: string | null; kind: string | null }> = [
    { labels: ["bug"], type: null, kind: "bug" },
    { labels: ["Type: Bug"], type: null, kind: "bug" },
    { labels: ["kind/regression"], type: null, kind: "bug" },
    { labels: ["enhancement"], type: null, kind: "feature_request" },
    { labels: ["Feature Request"], type: null, kind: "feature_request" },
    { labels: ["tech debt"], type: null, kind: "tech_debt" },
    { labels: ["Technical_Debt"], type: null, kind: "tech_debt" },
    { labels: ["bug", "tech-debt"], type: null, kind: "tech_debt" },
    { labels: ["feature", "bug"], type: null, kind: "bug" },
    { labels: [], type: "Bug", kind: "bug" },
    { labels: [], type: "Story", kind: "feature_request" },
    { labels: ["tech-debt"], type: "Story", kind: "tech_debt" },
    { labels: ["question", "good first issue"], type: null, kind: null },
    { labels: [], type: "Epic", kind: null },
    { labels: ["debugging"], type: null, kind: null },
  ];
  it.each(cases)("labels $labels, type $type → $kind", ({ labels, type, kind }) => {
    expect(classifyIssue(labels, type)).toBe(kind);
  });
});

describe("severityFromLabels", () => {
  const cases: Array<{ labels: string[]; severity: string | null }> = [
    { labels: ["P0"], severity: "critical" },
    { labels: ["sev-1"], severity: "critical" },
    { labels: ["priority: critical"], severity: "critical" },
    { labels: ["priority/high"], severity: "high" },
    { labels: ["P2"], severity: "medium" },
    { labels: ["severity: low"], severity: "low" },
    { labels: ["low", "P1"], severity: "high" },
    { labels: ["high-contrast", "bug"], severity: null },
    { labels: [], severity: null },
  ];
  it.each(cases)("$labels → $severity", ({ labels, severity }) => {
    expect(severityFromLabels(labels)).toBe(severity);
  });
});

describe("IsoDateTime", () => {
  it.each([
    ["2019-05-15T15:20:33Z", "2019-05-15T15:20:33.000Z"],
    ["2019-05-15T15:20:30-07:00", "2019-05-15T22:20:30.000Z"],
    ["2009-12-16T23:46:10.612-0600", "2009-12-17T05:46:10.612Z"],
    ["2024-02-01T12:10:52.120+0000", "2024-02-01T12:10:52.120Z"],
    ["2024-02-01T12:10Z", "2024-02-01T12:10:00.000Z"],
  ])("reads %s as %s", (input, iso) => {
    expect(IsoDateTime.parse(input)).toBe(iso);
  });

  it.each(["2024-02-01", "2024-02-01T12:10:52", "2024-13-45T99:99:99Z", "1706789452", "yesterday", ""])("refuses %j", (input) => {
    expect(IsoDateTime.safeParse(input).success).toBe(false);
  });
});

describe("validate", () => {
  it("names the first offending field, or the body itself", () => {
    const schema = z.object({ a: z.object({ b: z.array(z.object({ c: z.string() })) }) });
    expect(validate(schema, { a: { b: [{ c: "x" }, {}] } }, "test")).toEqual({
      ok: false,
      reason: 'test: field "a.b.1.c": Invalid input: expected string, received undefined',
    });
    expect(validate(schema, [], "test")).toMatchObject({ ok: false, reason: expect.stringContaining('field "(body)"') });
  });

  it("ignores fields the schema does not name (providers add fields)", () => {
    expect(validate(z.object({ a: z.string() }), { a: "x", added: 1 }, "test")).toEqual({ ok: true, value: { a: "x" } });
  });
});

describe("hmac helpers", () => {
  it("matches when any received signature equals any expected one, and only then", () => {
    expect(matchesAny(["a1", "b2"], ["zz", "b2"])).toBe(true);
    expect(matchesAny(["a1"], ["a1 ", "A1", ""])).toBe(false);
    expect(matchesAny([], ["a1"])).toBe(false);
    expect(matchesAny(["a1"], [])).toBe(false);
  });

  it("encodes hex and base64 as node does", () => {
    const bytes = new Uint8Array([0, 1, 127, 128, 254, 255]);
    expect(toHex(bytes)).toBe(Buffer.from(bytes).toString("hex"));
    expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
  });

  it("refuses an empty secret list and an empty secret", () => {
    expect(() => assertUsableSecrets("Test", [])).toThrow("Test webhook: no usable signing secret configured");
    expect(() => assertUsableSecrets("Test", ["ok", ""])).toThrow();
    expect(() => assertUsableSecrets("Test", ["ok"])).not.toThrow();
  });
});

describe("WEBHOOK_RECEIVERS", () => {
  it("has a verify and a parse for every source", () => {
    expect(Object.keys(WEBHOOK_RECEIVERS).sort()).toEqual([...WEBHOOK_SOURCES].sort());
    for (const source of WEBHOOK_SOURCES) {
      expect(typeof WEBHOOK_RECEIVERS[source].verify).toBe("function");
      expect(typeof WEBHOOK_RECEIVERS[source].parse).toBe("function");
    }
  });
});
