// Unit tests for the default price table (workers/src/domain/prices/defaults.ts) and the price
// validator (types.ts): every entry well formed and frozen, the documented list prices for a
// sample of models, and relations that hold across a provider's table.
import { describe, expect, it } from "vitest";
import { DEFAULT_PRICES, DEFAULT_PRICES_AS_OF } from "../../workers/src/domain/prices/defaults";
import { isModelPrice, type ModelPrice } from "../../workers/src/domain/prices/types";

const entries = Object.entries(DEFAULT_PRICES);
const M = 1_000_000;

describe("DEFAULT_PRICES", () => {
  it("covers both providers' current families", () => {
    for (const id of ["claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1", "gpt-5.5", "gpt-5.4-mini", "gpt-5", "gpt-4.1", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "o3", "o4-mini"])
      expect(DEFAULT_PRICES[id], id).toBeDefined();
    expect(DEFAULT_PRICES_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it.each(entries)("%s is a well-formed integer price", (_id, p) => {
    expect(isModelPrice(p)).toBe(true);
    expect(p.cache_read).toBeLessThanOrEqual(p.input);
    expect(p.output).toBeGreaterThanOrEqual(p.input);
    if (p.cache_write_1h !== undefined) expect(p.cache_write_1h).toBeGreaterThanOrEqual(p.cache_write);
    if (p.long_context) {
      expect(p.long_context.above_prompt_tokens).toBeGreaterThan(0);
      for (const k of ["input", "output", "cache_read", "cache_write"] as const) expect(p.long_context.rates[k]).toBeGreaterThanOrEqual(p[k]);
    }
  });

  it("charges a premium for Anthropic cache writes and none for OpenAI's before GPT-5.6", () => {
    for (const [id, p] of entries) {
      // Haiku 3 predates the 1.25× rule: its 5-minute writes are listed at $0.30, not $0.3125.
      if (id === "claude-3-haiku") expect(p).toMatchObject({ cache_write: 300_000, cache_write_1h: 500_000 });
      else if (id.startsWith("claude-")) {
        expect(p.cache_write, id).toBe(p.input * 1.25);
        expect(p.cache_write_1h, id).toBe(p.input * 2);
      } else if (!id.startsWith("gpt-5.6-")) expect(p.cache_write, id).toBe(p.input);
    }
  });

  it("lists the documented prices", () => {
    const at = (id: string): ModelPrice => DEFAULT_PRICES[id]!;
    expect(at("claude-sonnet-4-5")).toMatchObject({ input: 3 * M, output: 15 * M, cache_read: 300_000, cache_write: 3_750_000, cache_write_1h: 6 * M });
    expect(at("claude-sonnet-4-5").long_context).toEqual({ above_prompt_tokens: 200_000, rates: { input: 6 * M, output: 22_500_000, cache_read: 600_000, cache_write: 7_500_000, cache_write_1h: 12 * M } });
    expect(at("claude-opus-4-6")).toMatchObject({ input: 5 * M, output: 25 * M, cache_read: 500_000 });
    expect(at("claude-opus-4-1")).toMatchObject({ input: 15 * M, output: 75 * M, cache_read: 1_500_000 });
    expect(at("claude-opus-5-5")).toEqual({ input: 4 * M, output: 20 * M, cache_read: 200_000, cache_write: 5 * M, cache_write_1h: 8 * M });
    expect(at("claude-haiku-4-5")).toMatchObject({ input: 1 * M, output: 5 * M, cache_read: 100_000 });
    expect(at("claude-haiku-5-5")).toMatchObject({ input: 100_000, output: 500_000, long_context: { above_prompt_tokens: 100_000, rates: { input: 500_000, output: 2_500_000 } } });
    expect(at("gpt-4o")).toEqual({ input: 2_500_000, output: 10 * M, cache_read: 1_250_000, cache_write: 2_500_000 });
    expect(at("gpt-4o-mini")).toEqual({ input: 150_000, output: 600_000, cache_read: 75_000, cache_write: 150_000 });
    expect(at("gpt-4.1")).toMatchObject({ input: 2 * M, output: 8 * M, cache_read: 500_000 });
    expect(at("gpt-5")).toMatchObject({ input: 1_250_000, output: 10 * M, cache_read: 125_000 });
    expect(at("gpt-5.4").long_context).toMatchObject({ above_prompt_tokens: 272_000, rates: { input: 5 * M, output: 22_500_000, cache_read: 500_000 } });
    expect(at("o3")).toMatchObject({ input: 2 * M, output: 8 * M, cache_read: 500_000 });
  });

  it("has exact-id keys: lower case, no spaces, and a date suffix only where a snapshot is priced apart", () => {
    for (const id of Object.keys(DEFAULT_PRICES)) expect(id).toMatch(/^[a-z0-9][a-z0-9.-]*$/);
    expect(Object.keys(DEFAULT_PRICES).filter((id) => /-\d{8}$|-\d{4}-\d{2}-\d{2}$|-latest$/.test(id))).toEqual(["gpt-4o-2024-05-13"]);
  });

  it("is frozen, entries and tiers included", () => {
    expect(Object.isFrozen(DEFAULT_PRICES)).toBe(true);
    expect(() => {
      (DEFAULT_PRICES["gpt-4o"] as { input: number }).input = 0;
    }).toThrow(TypeError);
    expect(Object.isFrozen(DEFAULT_PRICES["gpt-5.4"]!.long_context!.rates)).toBe(true);
  });
});

describe("isModelPrice", () => {
  const ok: ModelPrice = { input: 1, output: 2, cache_read: 0, cache_write: 1 };
  it("accepts integer rates, with or without the optional parts", () => {
    expect(isModelPrice(ok)).toBe(true);
    expect(isModelPrice({ ...ok, cache_write_1h: 2, long_context: { above_prompt_tokens: 10, rates: ok } })).toBe(true);
  });
  it.each([
    ["null", null],
    ["a string", "3"],
    ["a missing rate", { input: 1, output: 2, cache_read: 0 }],
    ["a float", { ...ok, input: 0.5 }],
    ["a negative", { ...ok, output: -1 }],
    ["a string rate", { ...ok, cache_read: "0" }],
    ["a bad 1h rate", { ...ok, cache_write_1h: null }],
    ["a bad tier threshold", { ...ok, long_context: { above_prompt_tokens: -1, rates: ok } }],
    ["a bad tier rate", { ...ok, long_context: { above_prompt_tokens: 1, rates: { ...ok, input: 1.5 } } }],
    ["a nested tier", { ...ok, long_context: { above_prompt_tokens: 1, rates: { ...ok, long_context: { above_prompt_tokens: 2, rates: ok } } } }],
  ])("refuses %s", (_what, p) => {
    expect(isModelPrice(p)).toBe(false);
  });
});
