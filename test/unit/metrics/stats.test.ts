// Unit tests for the metric arithmetic (workers/src/domain/metrics/stats.ts): quantiles on odd
// and even counts, the half-open period, and money divided with rounding up.
import { describe, expect, it } from "vitest";
import { inPeriod, microsPerMetric, quantile, ratioMetric, toMs } from "../../../workers/src/domain/metrics/stats";

const META = { unit: "u", definition: "d" };

describe("quantile (linear between closest ranks)", () => {
  it.each([
    { values: [], q: 0.5, expected: null },
    { values: [7], q: 0.5, expected: 7 },
    { values: [7], q: 0.9, expected: 7 },
    { values: [3, 1, 2], q: 0.5, expected: 2 }, // odd: the middle of [1, 2, 3]
    { values: [4, 1, 3, 2], q: 0.5, expected: 2.5 }, // even: (2 + 3) / 2
    { values: [10, 20], q: 0.9, expected: 19 }, // rank 0.9 → 10 + 0.9 × 10
    { values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], q: 0.9, expected: 10 }, // rank 9 exactly → 10
    { values: [5, 5, 5, 5], q: 0.9, expected: 5 },
    { values: [0, 100], q: 0, expected: 0 },
    { values: [0, 100], q: 1, expected: 100 },
  ])("$values at $q → $expected", ({ values, q, expected }) => {
    expect(quantile(values, q)).toBe(expected);
  });

  it("does not reorder the caller's array", () => {
    const values = [3, 1, 2];
    quantile(values, 0.5);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe("inPeriod: [from, to)", () => {
  const period = { fromMs: toMs("2025-03-01T00:00:00Z"), toMs: toMs("2025-03-08T00:00:00Z") };
  it.each([
    ["2025-03-01T00:00:00.000Z", true], // from is inclusive
    ["2025-02-28T23:59:59.999Z", false],
    ["2025-03-07T23:59:59.999Z", true],
    ["2025-03-08T00:00:00.000Z", false], // to is exclusive
    ["2025-03-01T01:00:00+01:00", true], // the same instant as from, another offset
  ])("%s → %s", (iso, expected) => {
    expect(inPeriod(iso, period)).toBe(expected);
  });
  it("null is in no period", () => expect(inPeriod(null, period)).toBe(false));
  it("a string that is not a time throws", () => expect(() => inPeriod("soon", period)).toThrow(RangeError));
});

describe("microsPerMetric: integer micro-dollars, rounded up", () => {
  it.each([
    { total: 3_000_000n, count: 3, expected: 1_000_000 }, // exact: no rounding
    { total: 3_000_001n, count: 3, expected: 1_000_001 }, // 1_000_000.33… → up
    { total: 2n, count: 3, expected: 1 }, // 0.67 → 1: never shown as free
    { total: 0n, count: 4, expected: 0 },
    // (2^54 + 1) / 4 = 2^52 + 0.25 → 2^52 + 1. In floats 2^54 + 1 is 2^54 and the answer 2^52.
    { total: 2n ** 54n + 1n, count: 4, expected: 2 ** 52 + 1 },
    { total: 2n ** 60n, count: 1, expected: Number.MAX_SAFE_INTEGER }, // capped: stays exact
  ])("$total / $count → $expected", ({ total, count, expected }) => {
    expect(microsPerMetric(META, total, count)).toEqual({ value: expected, sampleSize: count, ...META });
  });
  it("no divisor: no data", () => expect(microsPerMetric(META, 5n, 0)).toEqual({ value: null, sampleSize: 0, ...META }));
});

describe("ratioMetric", () => {
  it("0 of 0 is no data, not NaN", () => expect(ratioMetric(META, 0, 0)).toEqual({ value: null, sampleSize: 0, ...META }));
  it("0 of 3 is a real 0", () => expect(ratioMetric(META, 0, 3)).toEqual({ value: 0, sampleSize: 3, ...META }));
});
