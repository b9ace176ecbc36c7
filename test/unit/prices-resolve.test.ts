// Unit tests for price resolution (workers/src/domain/prices/resolve.ts): exact ids, dated
// snapshots and -latest aliases reaching their family, no looser prefix matching, org
// overrides before the table at every step, the org default last, and a refusal naming the
// model instead of a zero price. Cases are data, one row per id.
import { describe, expect, it } from "vitest";
import { candidateIds, resolvePrice, type MatchRule } from "../../workers/src/domain/prices/resolve";
import { DEFAULT_PRICES } from "../../workers/src/domain/prices/defaults";
import type { ModelPrice } from "../../workers/src/domain/prices/types";

const ORG_PRICE: ModelPrice = { input: 1, output: 2, cache_read: 3, cache_write: 4 };
const ORG_DEFAULT: ModelPrice = { input: 10, output: 20, cache_read: 30, cache_write: 40 };

describe("resolvePrice against the default table", () => {
  const cases: [model: string, matched: string, rule: MatchRule][] = [
    ["claude-sonnet-4-5", "claude-sonnet-4-5", "exact"],
    ["claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "dated_snapshot"],
    ["claude-haiku-4-5-20251001", "claude-haiku-4-5", "dated_snapshot"],
    ["claude-opus-4-5-20251101", "claude-opus-4-5", "dated_snapshot"],
    ["claude-opus-4-1-20250805", "claude-opus-4-1", "dated_snapshot"],
    ["claude-opus-4-20250514", "claude-opus-4", "dated_snapshot"],
    ["claude-sonnet-4-20250514", "claude-sonnet-4", "dated_snapshot"],
    ["claude-3-7-sonnet-20250219", "claude-3-7-sonnet", "dated_snapshot"],
    ["claude-3-7-sonnet-latest", "claude-3-7-sonnet", "latest_alias"],
    ["claude-3-5-haiku-latest", "claude-3-5-haiku", "latest_alias"],
    ["claude-opus-4-0", "claude-opus-4-0", "exact"],
    ["claude-opus-4-8", "claude-opus-4-8", "exact"],
    ["claude-opus-5-5", "claude-opus-5-5", "exact"],
    ["claude-sonnet-5", "claude-sonnet-5", "exact"],
    ["claude-haiku-5-5", "claude-haiku-5-5", "exact"],
    ["gpt-4.1-2025-04-14", "gpt-4.1", "dated_snapshot"],
    ["gpt-4.1-mini-2025-04-14", "gpt-4.1-mini", "dated_snapshot"],
    ["gpt-4o-2024-08-06", "gpt-4o", "dated_snapshot"],
    ["gpt-4o-2024-05-13", "gpt-4o-2024-05-13", "exact"], // priced apart from gpt-4o
    ["gpt-5-2025-08-07", "gpt-5", "dated_snapshot"],
    ["gpt-5.4-mini", "gpt-5.4-mini", "exact"],
    ["o3-2025-04-16", "o3", "dated_snapshot"],
    ["o4-mini-2025-04-16", "o4-mini", "dated_snapshot"],
  ];
  it.each(cases)("%s → %s (%s)", (model, matched, rule) => {
    const r = resolvePrice(model, {}, null);
    expect(r).toEqual({ ok: true, price: DEFAULT_PRICES[matched], source: "default_table", matched, rule });
  });

  it("gives a snapshot its family's price and a snapshot priced apart its own", () => {
    const at = (m: string) => {
      const r = resolvePrice(m, {}, null);
      if (!r.ok) throw new Error(m);
      return r.price.input;
    };
    expect(at("claude-sonnet-4-5-20250929")).toBe(3_000_000);
    expect(at("gpt-4o-2024-08-06")).toBe(2_500_000);
    expect(at("gpt-4o-2024-05-13")).toBe(5_000_000);
    expect(at("claude-opus-4-8")).toBe(5_000_000); // not Opus 4's $15
    expect(at("claude-opus-4-20250514")).toBe(15_000_000);
  });

  const unknown = [
    "claude-opus-4-9", // no prefix fallback to claude-opus-4
    "claude-sonnet-4-5-2025092", // seven digits: not a snapshot date
    "claude-sonnet-4-5-20250929-latest", // one rewrite only
    "claude-sonnet-4-5-v2",
    "CLAUDE-SONNET-4-5", // ids are case-sensitive, as the API's are
    " claude-sonnet-4-5",
    "anthropic.claude-sonnet-4-5-20250929-v1:0", // Bedrock ids are not this table's
    "gpt-4o-2024-08",
    "my-local-llama",
    "constructor", // Object.prototype keys must not resolve
    "__proto__",
    "toString",
    "hasOwnProperty",
  ];
  it.each(unknown)("refuses %j as unknown_model when the org has no default", (model) => {
    expect(resolvePrice(model, {}, null)).toEqual({ ok: false, reason: "unknown_model", model });
  });
});

describe("resolvePrice precedence", () => {
  it("prefers an org override to the table, for the exact id", () => {
    expect(resolvePrice("gpt-4o", { "gpt-4o": ORG_PRICE }, ORG_DEFAULT)).toEqual({ ok: true, price: ORG_PRICE, source: "org_override", matched: "gpt-4o", rule: "exact" });
  });

  it("applies an override of a family to its dated snapshots, even one the table lists exactly", () => {
    const overrides = { "claude-sonnet-4-5": ORG_PRICE, "gpt-4o": ORG_PRICE };
    expect(resolvePrice("claude-sonnet-4-5-20250929", overrides, null)).toMatchObject({ source: "org_override", matched: "claude-sonnet-4-5", rule: "dated_snapshot" });
    expect(resolvePrice("gpt-4o-2024-05-13", overrides, null)).toMatchObject({ price: ORG_PRICE, source: "org_override", matched: "gpt-4o" });
  });

  it("applies an override of one snapshot to that snapshot only", () => {
    const overrides = { "claude-sonnet-4-5-20250929": ORG_PRICE };
    expect(resolvePrice("claude-sonnet-4-5-20250929", overrides, null)).toMatchObject({ source: "org_override", rule: "exact" });
    expect(resolvePrice("claude-sonnet-4-5", overrides, null)).toMatchObject({ source: "default_table" });
  });

  it("prices a model nobody lists at the org default, and a listed one from the table", () => {
    expect(resolvePrice("my-local-llama", {}, ORG_DEFAULT)).toEqual({ ok: true, price: ORG_DEFAULT, source: "org_default", matched: "my-local-llama", rule: "org_default" });
    expect(resolvePrice("claude-haiku-4-5", {}, ORG_DEFAULT)).toMatchObject({ source: "default_table" });
    expect(resolvePrice("constructor", {}, ORG_DEFAULT)).toMatchObject({ source: "org_default" });
  });

  it("refuses an empty id even with an org default", () => {
    expect(resolvePrice("", { "": ORG_PRICE }, ORG_DEFAULT)).toEqual({ ok: false, reason: "unknown_model", model: "" });
  });

  it("takes another table (the default is DEFAULT_PRICES)", () => {
    const table = { "fake-model": ORG_PRICE };
    expect(resolvePrice("fake-model-20260101", {}, null, table)).toMatchObject({ ok: true, source: "default_table", matched: "fake-model" });
    expect(resolvePrice("claude-sonnet-4-5", {}, null, table)).toMatchObject({ ok: false });
  });

  it("does not find inherited keys in an override record", () => {
    const overrides = Object.create({ "gpt-4o": ORG_PRICE }) as Record<string, ModelPrice>;
    expect(resolvePrice("gpt-4o", overrides, null)).toMatchObject({ source: "default_table" });
  });
});

describe("candidateIds", () => {
  it("lists the exact id, then at most one dated-snapshot and one -latest rewrite", () => {
    expect(candidateIds("claude-sonnet-4-5-20250929")).toEqual([
      { id: "claude-sonnet-4-5-20250929", rule: "exact" },
      { id: "claude-sonnet-4-5", rule: "dated_snapshot" },
    ]);
    expect(candidateIds("gpt-4.1-2025-04-14").map((c) => c.id)).toEqual(["gpt-4.1-2025-04-14", "gpt-4.1"]);
    expect(candidateIds("claude-3-7-sonnet-latest").map((c) => c.id)).toEqual(["claude-3-7-sonnet-latest", "claude-3-7-sonnet"]);
    expect(candidateIds("gpt-5.4")).toEqual([{ id: "gpt-5.4", rule: "exact" }]);
  });
});
