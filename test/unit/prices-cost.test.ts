// Unit tests for the cost arithmetic (workers/src/domain/prices/cost.ts): exact integer
// micro-dollars, each component rounded up, the BigInt path where Number would lose digits,
// long-context tiers, 1-hour cache writes, reservations, and refusals of malformed input.
import { describe, expect, it } from "vitest";
import { costMicros, estimateMicros, ratesFor } from "../../workers/src/domain/prices/cost";
import { DEFAULT_PRICES } from "../../workers/src/domain/prices/defaults";
import type { ModelPrice, TokenUsage } from "../../workers/src/domain/prices/types";

const price = (id: string): ModelPrice => {
  const p = DEFAULT_PRICES[id];
  if (!p) throw new Error(`no default price for ${id}`);
  return p;
};
const usage = (u: Partial<TokenUsage>): TokenUsage => ({ input: 0, output: 0, cache_read: 0, cache_write: 0, ...u });

/** The cost computed independently: BigInt, one ceiling per component. */
function reference(u: TokenUsage, p: ModelPrice): bigint {
  const ceil = (t: number, r: number) => (BigInt(t) * BigInt(r) + 999_999n) / 1_000_000n;
  const oneHour = u.cache_write_1h ?? 0;
  return ceil(u.input, p.input) + ceil(u.output, p.output) + ceil(u.cache_read, p.cache_read) + ceil(u.cache_write - oneHour, p.cache_write) + ceil(oneHour, p.cache_write_1h ?? p.cache_write);
}

const FLAT: ModelPrice = { input: 3_000_000, output: 15_000_000, cache_read: 300_000, cache_write: 3_750_000 };

describe("costMicros", () => {
  it("charges whole millions exactly at the listed rate", () => {
    expect(costMicros(usage({ input: 1_000_000 }), FLAT)).toBe(3_000_000); // $3.00
    expect(costMicros(usage({ output: 1_000_000 }), FLAT)).toBe(15_000_000);
    expect(costMicros(usage({ cache_read: 1_000_000 }), FLAT)).toBe(300_000);
    expect(costMicros(usage({ cache_write: 1_000_000 }), FLAT)).toBe(3_750_000);
  });

  it("is exact when the products are whole micro-dollars", () => {
    // Claude Sonnet 4.5: 12,345 × $3 + 6,789 × $15 + 100,000 × $0.30 + 20,000 × $3.75 per MTok.
    const u = usage({ input: 12_345, output: 6_789, cache_read: 100_000, cache_write: 20_000 });
    expect(costMicros(u, price("claude-sonnet-4-5"))).toBe(37_035 + 101_835 + 30_000 + 75_000);
    expect(costMicros(usage({ input: 333 }), FLAT)).toBe(999);
  });

  it("rounds each component up to the next micro-dollar, never down", () => {
    // One token of each at Claude Haiku 3's rates: 0.25 + 1.25 + 0.03 + 0.3 micro-dollars.
    expect(costMicros(usage({ input: 1, output: 1, cache_read: 1, cache_write: 1 }), price("claude-3-haiku"))).toBe(1 + 2 + 1 + 1);
    expect(costMicros(usage({ input: 1 }), price("gpt-4o-mini"))).toBe(1); // 0.15 µ$
    expect(costMicros(usage({ input: 1_000_001 }), FLAT)).toBe(3_000_003); // exactly 3,000,003
    expect(costMicros(usage({ input: 1_000_001 }), price("gpt-5-nano"))).toBe(50_001); // 50,000.05 → 50,001
  });

  it("charges nothing for nothing", () => {
    expect(costMicros(usage({}), FLAT)).toBe(0);
    expect(costMicros(usage({ input: 5 }), { input: 0, output: 0, cache_read: 0, cache_write: 0 })).toBe(0);
  });

  it("uses BigInt where Number would lose digits and under-charge", () => {
    const u = usage({ input: 4_048_658_484_850_501 });
    const p = { ...FLAT, input: 1_250_000 };
    // Float: 4048658484850501 × 1250000 / 1e6 rounds to 5060823106063126 exactly; the true value is above it.
    expect(Math.ceil((u.input * p.input) / 1_000_000)).toBe(5_060_823_106_063_126);
    expect(costMicros(u, p)).toBe(5_060_823_106_063_127);
  });

  it("handles a billion tokens at $100 / MTok (a product of 10^17)", () => {
    const p: ModelPrice = { input: 100_000_000, output: 100_000_000, cache_read: 100_000_000, cache_write: 100_000_000 };
    expect(costMicros(usage({ input: 1_000_000_000, output: 1_000_000_000 }), p)).toBe(200_000_000_000); // $200,000
  });

  it("refuses a total past Number.MAX_SAFE_INTEGER rather than return an inexact one", () => {
    const p: ModelPrice = { ...FLAT, input: 100_000_000 };
    expect(() => costMicros(usage({ input: Number.MAX_SAFE_INTEGER }), p)).toThrow(RangeError);
  });

  it("agrees with the independent BigInt reference on 2,000 seeded random usages", () => {
    let seed = 0x2545f491;
    const rand = (max: number) => {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      return Math.floor((seed / 2 ** 32) * max);
    };
    const ids = Object.keys(DEFAULT_PRICES);
    for (let i = 0; i < 2_000; i++) {
      const p = price(ids[rand(ids.length)]!);
      const write = rand(50_000);
      const u = usage({ input: rand(150_000), output: rand(64_000), cache_read: rand(300_000), cache_write: write, cache_write_1h: rand(write + 1) });
      const got = costMicros(u, p);
      expect(Number.isSafeInteger(got)).toBe(true);
      const tier = ratesFor(p, u.input + u.cache_read + u.cache_write);
      expect(BigInt(got)).toBe(reference(u, { ...tier }));
    }
  });

  it("prices 1-hour cache writes at the 1-hour rate and the rest at the 5-minute rate", () => {
    const opus = price("claude-opus-4-7"); // writes: $6.25 (5m), $10 (1h)
    expect(costMicros(usage({ cache_write: 1_000_000, cache_write_1h: 400_000 }), opus)).toBe(600_000 * 6.25 + 400_000 * 10);
    // A price without a 1-hour rate charges 1-hour writes at cache_write.
    expect(costMicros(usage({ cache_write: 1_000_000, cache_write_1h: 1_000_000 }), FLAT)).toBe(3_750_000);
  });

  it("switches every component to the long-context rates past the threshold (prompt = input + cache)", () => {
    const sonnet45 = price("claude-sonnet-4-5"); // past 200K: $6 / $22.50
    const at = (input: number, cache_read = 0) => costMicros(usage({ input, cache_read, output: 1_000 }), sonnet45);
    expect(at(200_000)).toBe(200_000 * 3 + 1_000 * 15);
    expect(at(200_001)).toBe(200_001 * 6 + 1_000 * 22.5);
    expect(at(100_000, 100_001)).toBe(600_000 + 60_001 + 22_500); // 100,001 × $0.60 = 60,000.6 → 60,001
    const haiku55 = price("claude-haiku-5-5"); // over 100K: $0.50 / $2.50
    expect(costMicros(usage({ input: 100_000, output: 10 }), haiku55)).toBe(10_000 + 5);
    expect(costMicros(usage({ input: 100_001, output: 10 }), haiku55)).toBe(50_001 + 25);
  });

  it("refuses negative, fractional and non-numeric counts and rates", () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => costMicros(usage({ input: bad }), FLAT)).toThrow(RangeError);
      expect(() => costMicros(usage({ input: 1 }), { ...FLAT, output: bad })).toThrow(RangeError);
    }
    expect(() => costMicros(usage({ input: 1 }), { ...FLAT, cache_write_1h: -1 })).toThrow(RangeError);
    expect(() => costMicros(usage({ input: 1 }), { ...FLAT, long_context: { above_prompt_tokens: 0, rates: { ...FLAT, input: 0.5 } } })).toThrow(RangeError);
    expect(() => costMicros({ input: "1" as unknown as number, output: 0, cache_read: 0, cache_write: 0 }, FLAT)).toThrow(RangeError);
  });

  it("refuses more 1-hour writes than writes", () => {
    expect(() => costMicros(usage({ cache_write: 10, cache_write_1h: 11 }), FLAT)).toThrow(/cache_write_1h/);
  });
});

describe("estimateMicros", () => {
  it("reserves input at the dearest input-side rate and output at the output rate", () => {
    // Sonnet 4.6: input $3, 5m write $3.75, 1h write $6 → $6 per MTok of prompt.
    expect(estimateMicros(10_000, 1_000, price("claude-sonnet-4-6"))).toBe(60_000 + 15_000);
    // gpt-4.1 charges no cache-write premium: input at $2.
    expect(estimateMicros(10_000, 1_000, price("gpt-4.1"))).toBe(20_000 + 8_000);
  });

  it("is never below the cost of any usage within the limits", () => {
    const p = price("claude-opus-4-6");
    const reserve = estimateMicros(50_000, 4_000, p);
    for (const u of [
      usage({ input: 50_000, output: 4_000 }),
      usage({ cache_write: 50_000, output: 4_000 }),
      usage({ cache_write: 50_000, cache_write_1h: 50_000, output: 4_000 }),
      usage({ input: 10_000, cache_read: 40_000, output: 4_000 }),
    ])
      expect(costMicros(u, p)).toBeLessThanOrEqual(reserve);
  });

  it("picks the tier the prompt size selects", () => {
    const haiku55 = price("claude-haiku-5-5");
    expect(estimateMicros(100_000, 0, haiku55)).toBe(20_000); // 1h write $0.20
    expect(estimateMicros(100_001, 0, haiku55)).toBe(100_001); // 1h write $1.00
  });

  it("rounds up and refuses malformed limits", () => {
    expect(estimateMicros(1, 1, price("gpt-5-nano"))).toBe(2);
    expect(() => estimateMicros(-1, 0, FLAT)).toThrow(RangeError);
    expect(() => estimateMicros(1, 0.5, FLAT)).toThrow(RangeError);
  });
});
