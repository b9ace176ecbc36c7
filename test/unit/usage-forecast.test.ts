// Unit tests for the showback arithmetic (workers/src/domain/usage/forecast.ts): the run-rate
// forecast as a table (no limit, zero spend, already over, period edges, the one-hour floor,
// leap-year Februaries, BigInt-sized products), day buckets and exact micro-dollar text.
import { describe, expect, it } from "vitest";
import { bucketDay, microsToUsd, runRateForecast, utcDays, type RunRateForecast, type RunRateInput } from "../../workers/src/domain/usage/forecast";

const at = (iso: string) => Date.parse(iso);
const MARCH_2025 = { periodStart: at("2025-03-01T00:00:00Z"), periodEnd: at("2025-04-01T00:00:00Z") }; // 31 days
const FEB_2024 = { periodStart: at("2024-02-01T00:00:00Z"), periodEnd: at("2024-03-01T00:00:00Z") }; // 29 days
const FEB_2023 = { periodStart: at("2023-02-01T00:00:00Z"), periodEnd: at("2023-03-01T00:00:00Z") }; // 28 days
const JUNE_1 = { periodStart: at("2025-06-01T00:00:00Z"), periodEnd: at("2025-06-02T00:00:00Z") }; // a daily period

interface Case {
  name: string;
  input: RunRateInput;
  expected: RunRateForecast;
}

const CASES: Case[] = [
  {
    name: "zero spend: no rate, nothing projected, never runs out",
    input: { ...MARCH_2025, now: at("2025-03-11T00:00:00Z"), spentMicros: 0, limitMicros: 1_000_000 },
    expected: { projectedMicros: 0, dailyRateMicros: 0, runsOutAt: null, overLimit: false },
  },
  {
    name: "no limit: a projection, but nothing to run out of",
    input: { ...MARCH_2025, now: at("2025-03-11T00:00:00Z"), spentMicros: 10_000_000, limitMicros: null },
    expected: { projectedMicros: 31_000_000, dailyRateMicros: 1_000_000, runsOutAt: null, overLimit: false },
  },
  {
    name: "the rate reaches the limit mid-period",
    input: { ...MARCH_2025, now: at("2025-03-11T00:00:00Z"), spentMicros: 10_000_000, limitMicros: 20_000_000 },
    expected: { projectedMicros: 31_000_000, dailyRateMicros: 1_000_000, runsOutAt: "2025-03-21T00:00:00.000Z", overLimit: true },
  },
  {
    name: "the rate reaches the limit exactly at period end: not before it, so not over",
    input: { ...MARCH_2025, now: at("2025-03-11T00:00:00Z"), spentMicros: 10_000_000, limitMicros: 31_000_000 },
    expected: { projectedMicros: 31_000_000, dailyRateMicros: 1_000_000, runsOutAt: null, overLimit: false },
  },
  {
    name: "one micro-dollar less of limit: runs out 87 ms before the end (instant rounded down)",
    input: { ...MARCH_2025, now: at("2025-03-11T00:00:00Z"), spentMicros: 10_000_000, limitMicros: 30_999_999 },
    expected: { projectedMicros: 31_000_000, dailyRateMicros: 1_000_000, runsOutAt: "2025-03-31T23:59:59.913Z", overLimit: true },
  },
  {
    name: "already over the limit: runs out now",
    input: { ...MARCH_2025, now: at("2025-03-11T06:00:00Z"), spentMicros: 25_000_000, limitMicros: 20_000_000 },
    expected: { projectedMicros: 75_609_757, dailyRateMicros: 2_439_025, runsOutAt: "2025-03-11T06:00:00.000Z", overLimit: true },
  },
  {
    name: "a limit of zero with zero spend is reached, not exceeded",
    input: { ...MARCH_2025, now: at("2025-03-11T00:00:00Z"), spentMicros: 0, limitMicros: 0 },
    expected: { projectedMicros: 0, dailyRateMicros: 0, runsOutAt: "2025-03-11T00:00:00.000Z", overLimit: false },
  },
  {
    name: "at period end nothing remains: projected is what was spent",
    input: { ...MARCH_2025, now: MARCH_2025.periodEnd, spentMicros: 31_000_000, limitMicros: 50_000_000 },
    expected: { projectedMicros: 31_000_000, dailyRateMicros: 1_000_000, runsOutAt: null, overLimit: false },
  },
  {
    name: "at period end, spend exactly at the limit: reached, not over",
    input: { ...MARCH_2025, now: MARCH_2025.periodEnd, spentMicros: 31_000_000, limitMicros: 31_000_000 },
    expected: { projectedMicros: 31_000_000, dailyRateMicros: 1_000_000, runsOutAt: "2025-04-01T00:00:00.000Z", overLimit: false },
  },
  {
    name: "a clock past the period counts as its end",
    input: { ...MARCH_2025, now: at("2025-04-20T00:00:00Z"), spentMicros: 31_000_000, limitMicros: 40_000_000 },
    expected: { projectedMicros: 31_000_000, dailyRateMicros: 1_000_000, runsOutAt: null, overLimit: false },
  },
  {
    name: "a clock before the period counts as its start",
    input: { ...MARCH_2025, now: at("2025-02-20T00:00:00Z"), spentMicros: 0, limitMicros: 40_000_000 },
    expected: { projectedMicros: 0, dailyRateMicros: 0, runsOutAt: null, overLimit: false },
  },
  {
    name: "ten minutes in: the rate is taken over one hour, not ten minutes",
    input: { ...JUNE_1, now: JUNE_1.periodStart + 10 * 60_000, spentMicros: 100_000, limitMicros: 2_000_000 },
    // 100,000 + ⌈100,000 × 1,430 min / 60 min⌉ = 100,000 + ⌈2,383,333.3⌉; the limit falls 19 h after now.
    expected: { projectedMicros: 2_483_334, dailyRateMicros: 2_400_000, runsOutAt: "2025-06-01T19:10:00.000Z", overLimit: true },
  },
  {
    name: "a window shorter than the one-hour floor still never projects below spend",
    input: { periodStart: JUNE_1.periodEnd - 10 * 60_000, periodEnd: JUNE_1.periodEnd, now: JUNE_1.periodEnd - 5 * 60_000, spentMicros: 500, limitMicros: null },
    expected: { projectedMicros: 542, dailyRateMicros: 12_000, runsOutAt: null, overLimit: false },
  },
  {
    name: "fractions round up: 1 micro-dollar over 3 days projects 2 over 4",
    input: { periodStart: 0, periodEnd: 4 * 86_400_000, now: 3 * 86_400_000, spentMicros: 1, limitMicros: null },
    expected: { projectedMicros: 2, dailyRateMicros: 1, runsOutAt: null, overLimit: false },
  },
  {
    name: "February 2024 (29 days): $1/day projects $29 and passes a $28.50 limit on the leap day",
    input: { ...FEB_2024, now: at("2024-02-15T00:00:00Z"), spentMicros: 14_000_000, limitMicros: 28_500_000 },
    expected: { projectedMicros: 29_000_000, dailyRateMicros: 1_000_000, runsOutAt: "2024-02-29T12:00:00.000Z", overLimit: true },
  },
  {
    name: "February 2023 (28 days): the same rate projects $28 and stays under $28.50",
    input: { ...FEB_2023, now: at("2023-02-15T00:00:00Z"), spentMicros: 14_000_000, limitMicros: 28_500_000 },
    expected: { projectedMicros: 28_000_000, dailyRateMicros: 1_000_000, runsOutAt: null, overLimit: false },
  },
  {
    name: "products past 2^53 stay exact (BigInt): $1M in the first hour of a year",
    input: { periodStart: at("2024-01-01T00:00:00Z"), periodEnd: at("2024-12-31T00:00:00Z"), now: at("2024-01-01T00:00:00Z"), spentMicros: 1_000_000_000_000, limitMicros: null },
    // 1e12 + 1e12 × (365 days − 0) / 1 hour = 1e12 × (1 + 8,760).
    expected: { projectedMicros: 8_761_000_000_000_000, dailyRateMicros: 24_000_000_000_000, runsOutAt: null, overLimit: false },
  },
  {
    name: "a projection past Number.MAX_SAFE_INTEGER is capped there",
    input: { periodStart: 0, periodEnd: 365 * 86_400_000, now: 0, spentMicros: 1_000_000_000_000_000, limitMicros: 1_000_000_000_000_000 },
    expected: { projectedMicros: Number.MAX_SAFE_INTEGER, dailyRateMicros: Number.MAX_SAFE_INTEGER, runsOutAt: "1970-01-01T00:00:00.000Z", overLimit: true },
  },
];

describe("runRateForecast", () => {
  it.each(CASES)("$name", ({ input, expected }) => {
    expect(runRateForecast(input)).toEqual(expected);
  });

  it("never projects below spend, and flags over-limit exactly when it projects past the limit", () => {
    for (const c of CASES) {
      const f = runRateForecast(c.input);
      expect(f.projectedMicros).toBeGreaterThanOrEqual(Math.min(c.input.spentMicros, Number.MAX_SAFE_INTEGER));
      if (c.input.limitMicros !== null) expect(f.overLimit).toBe(f.projectedMicros > c.input.limitMicros);
      if (f.runsOutAt !== null) expect(Date.parse(f.runsOutAt)).toBeLessThanOrEqual(c.input.periodEnd);
    }
  });

  it.each([
    { name: "an empty period", input: { periodStart: 10, periodEnd: 10, now: 10, spentMicros: 0, limitMicros: null } },
    { name: "negative spend", input: { ...MARCH_2025, now: MARCH_2025.periodStart, spentMicros: -1, limitMicros: null } },
    { name: "fractional micro-dollars", input: { ...MARCH_2025, now: MARCH_2025.periodStart, spentMicros: 1.5, limitMicros: null } },
    { name: "a fractional limit", input: { ...MARCH_2025, now: MARCH_2025.periodStart, spentMicros: 1, limitMicros: 0.5 } },
    { name: "a clock that is not a time", input: { ...MARCH_2025, now: Number.NaN, spentMicros: 1, limitMicros: null } },
  ])("refuses $name", ({ input }) => {
    expect(() => runRateForecast(input)).toThrow(RangeError);
  });
});

describe("bucketDay and utcDays", () => {
  it.each([
    ["2025-03-01T00:00:00.000Z", "2025-03-01"],
    ["2025-03-01T23:59:59.999Z", "2025-03-01"],
    ["2025-03-01T23:30:00-01:00", "2025-03-02"], // an offset moves the instant into the next UTC day
    ["2024-02-29T12:00:00Z", "2024-02-29"],
  ])("%s falls on %s", (iso, day) => {
    expect(bucketDay(iso)).toBe(day);
  });

  it("refuses a string that is not a time", () => {
    expect(() => bucketDay("yesterday")).toThrow(RangeError);
  });

  it("lists every day of a range, inclusive, across a leap day", () => {
    expect(utcDays(at("2024-02-27T18:00:00Z"), at("2024-03-01T00:00:00Z"))).toEqual(["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"]);
    expect(utcDays(at("2023-02-27T00:00:00Z"), at("2023-03-01T00:00:00Z") - 1)).toEqual(["2023-02-27", "2023-02-28"]);
    expect(utcDays(at("2025-03-05T10:00:00Z"), at("2025-03-05T11:00:00Z"))).toEqual(["2025-03-05"]);
  });
});

describe("microsToUsd", () => {
  it.each([
    [0, "0.000000"],
    [1, "0.000001"],
    [999_999, "0.999999"],
    [1_000_000, "1.000000"],
    [1_234_567, "1.234567"],
    [100_000_000_000_001, "100000000.000001"],
    [Number.MAX_SAFE_INTEGER, "9007199254.740991"], // (micros / 1e6).toFixed(6) gives …740992
    [-1_500_000, "-1.500000"],
  ])("%d micro-dollars → %s", (micros, usd) => {
    expect(microsToUsd(micros)).toBe(usd);
  });

  it("refuses amounts that are not exact integers", () => {
    expect(() => microsToUsd(0.5)).toThrow(RangeError);
    expect(() => microsToUsd(2 ** 60)).toThrow(RangeError);
  });
});
