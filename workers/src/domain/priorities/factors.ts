// The five factors of a priority score, each read from one item's signals as a value (points
// before weighting) and a sentence saying what was counted. rank.ts weights and sums them.
// Windows are (now − N days, now]: a signal opened exactly N days ago is outside the last N.

import { revenuePoints, TREND_DAYS } from "./weights";
import { norm } from "./grouping";
import type { PriorityFactor, Severity, SeverityWeights, Signal } from "./types";

const DAY_MS = 86_400_000;

export interface FactorContext {
  nowMs: number;
  windowDays: number;
  severityWeights: SeverityWeights;
  /** Normalised (lower-case) strategic labels. */
  strategicLabels: ReadonlySet<string>;
  ageCapDays: number;
}

export interface FactorReading {
  value: number;
  detail: string;
}

export type Factor = (signals: readonly Signal[], ctx: FactorContext) => FactorReading;

export const openedMs = (s: Signal): number => {
  const ms = Date.parse(s.openedAt);
  if (Number.isNaN(ms)) throw new RangeError(`signal ${s.id}: not a time: ${s.openedAt}`);
  return ms;
};

/** Opened in (now − fromDaysAgo, now − toDaysAgo]. */
const openedBetween = (s: Signal, ctx: FactorContext, fromDaysAgo: number, toDaysAgo: number) =>
  openedMs(s) > ctx.nowMs - fromDaysAgo * DAY_MS && openedMs(s) <= ctx.nowMs - toDaysAgo * DAY_MS;

const isOpen = (s: Signal) => s.state === "open";
const ofKind = (kind: Signal["signalKind"]) => (s: Signal) => s.signalKind === kind;
const severityPoints = (s: Signal, w: SeverityWeights) => (s.severity === null ? w.unrated : w[s.severity]);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const SEVERITY_ORDER: readonly (Severity | null)[] = ["critical", "high", "medium", "low", null];

/** "2 high, 1 low, 1 unrated": the counts by severity, worst first, zeros left out. */
function severityBreakdown(signals: readonly Signal[]): string {
  return SEVERITY_ORDER.map((sev) => [sev ?? "unrated", signals.filter((s) => s.severity === sev).length] as const)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${n} ${name}`)
    .join(", ");
}

/** "$70,000": whole dollars, rounded to the nearest, with thousands separators (no locale data needed). */
export function dollars(micros: number): string {
  return `$${Math.round(micros / 1_000_000)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",")}`;
}

const signed = (n: number) => (n > 0 ? `+${n} vs last week` : n < 0 ? `${n} vs last week` : "same as last week");

/**
 * Open tickets weighted by severity, plus the week-on-week change in tickets opened (resolved
 * ones included: the trend is about how many arrive). Never below zero: a falling trend can
 * cancel the load, not turn it into a reason to do less than nothing.
 */
export const supportLoad: Factor = (signals, ctx) => {
  const tickets = signals.filter(ofKind("support_ticket"));
  const open = tickets.filter(isOpen);
  const load = open.reduce((sum, s) => sum + severityPoints(s, ctx.severityWeights), 0);
  const trend = tickets.filter((s) => openedBetween(s, ctx, TREND_DAYS, 0)).length - tickets.filter((s) => openedBetween(s, ctx, 2 * TREND_DAYS, TREND_DAYS)).length;
  const counted = open.length === 0 ? "no open tickets" : `${plural(open.length, "open ticket")} (${severityBreakdown(open)})`;
  return { value: Math.max(0, load + trend), detail: `${counted}, ${signed(trend)}` };
};

/** Open deals blocked on the item: their summed ARR on the log scale of revenuePoints. */
export const revenueAtRisk: Factor = (signals) => {
  const deals = signals.filter(ofKind("deal")).filter(isOpen);
  if (deals.length === 0) return { value: 0, detail: "no open deals" };
  let arr = 0;
  for (const d of deals) {
    if (d.arrMicros === null) continue;
    if (!Number.isSafeInteger(d.arrMicros) || d.arrMicros < 0) throw new RangeError(`signal ${d.id}: not a non-negative integer ARR: ${d.arrMicros}`);
    arr += d.arrMicros;
  }
  const unknown = deals.filter((d) => d.arrMicros === null).length;
  const note = unknown === 0 ? "" : ` (${unknown} without ARR)`;
  return { value: revenuePoints(arr), detail: `${plural(deals.length, "open deal")}, ${dollars(arr)} ARR${note}` };
};

/** Incidents opened in the window, resolved or not (recurrence is history), weighted by severity. */
export const incidentRecurrence: Factor = (signals, ctx) => {
  const recent = signals.filter(ofKind("incident")).filter((s) => openedBetween(s, ctx, ctx.windowDays, 0));
  const span = `in the last ${plural(ctx.windowDays, "day")}`;
  if (recent.length === 0) return { value: 0, detail: `no incidents ${span}` };
  const points = recent.reduce((sum, s) => sum + severityPoints(s, ctx.severityWeights), 0);
  return { value: points, detail: `${plural(recent.length, "incident")} ${span} (${severityBreakdown(recent)})` };
};

/** Open tech_debt signals carrying a strategic label: one point each. */
export const strategicDebt: Factor = (signals, ctx) => {
  const tagsOf = (s: Signal) => s.labels.map(norm).filter((l): l is string => l !== null && ctx.strategicLabels.has(l));
  const strategic = signals.filter(ofKind("tech_debt")).filter(isOpen).filter((s) => tagsOf(s).length > 0);
  if (strategic.length === 0) return { value: 0, detail: "no strategic tech debt" };
  const tags = [...new Set(strategic.flatMap(tagsOf))].sort();
  return { value: strategic.length, detail: `${plural(strategic.length, "open tech-debt item")} tagged strategic (${tags.join(", ")})` };
};

/** Whole days since the oldest open signal was opened, capped (an item cannot age its way to the top). */
export const age: Factor = (signals, ctx) => {
  const open = signals.filter(isOpen);
  if (open.length === 0) return { value: 0, detail: "nothing open" };
  const oldest = open.reduce((min, s) => Math.min(min, openedMs(s)), Infinity);
  const days = Math.max(0, Math.floor((ctx.nowMs - oldest) / DAY_MS));
  const capped = Math.min(days, ctx.ageCapDays);
  const note = capped < days ? ` (counted as ${ctx.ageCapDays})` : "";
  return { value: capped, detail: `oldest open signal ${plural(days, "day")} old${note}` };
};

/** Every factor in the order explanations list them. */
export const FACTORS: readonly (readonly [PriorityFactor, Factor])[] = [
  ["support_load", supportLoad],
  ["revenue_at_risk", revenueAtRisk],
  ["incident_recurrence", incidentRecurrence],
  ["strategic_debt", strategicDebt],
  ["age", age],
];
