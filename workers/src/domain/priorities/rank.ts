// Ranking work items for an org: signals grouped by key (grouping.ts), each group scored as the
// weighted sum of five factors (factors.ts) with the explanation of every term, sorted by
// score. Pure: `now` comes in, so the same signals and options always give the same ranking.
//
// score = Σ round2(round2(value_f) × weight_f) over support_load, revenue_at_risk,
//         incident_recurrence, strategic_debt, age; rounded to 2 decimals.

import { FACTORS, openedMs, type FactorContext } from "./factors";
import { itemId, keySignals, keyText, norm } from "./grouping";
import type { FactorExplanation, PriorityFactor, PriorityItem, PriorityKey, PriorityOptions, PriorityWeights, Signal } from "./types";
import { DEFAULT_AGE_CAP_DAYS, DEFAULT_PRIORITY_WEIGHTS, DEFAULT_SEVERITY_WEIGHTS, TREND_DAYS } from "./weights";

const DAY_MS = 86_400_000;

const WEIGHT_OF: Record<PriorityFactor, keyof PriorityWeights> = {
  support_load: "supportLoad",
  revenue_at_risk: "revenueAtRisk",
  incident_recurrence: "incidentRecurrence",
  strategic_debt: "strategicDebt",
  age: "age",
};

/** Two decimals: what a person reads, and what makes equal scores compare equal. */
const round2 = (x: number) => Math.round(x * 100) / 100;

function finite(what: string, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) if (!Number.isFinite(v)) throw new RangeError(`${what}.${k} is not a number: ${v}`);
}

function settle(options: PriorityOptions): { ctx: FactorContext; weights: PriorityWeights } {
  const nowMs = Date.parse(options.now);
  if (Number.isNaN(nowMs)) throw new RangeError(`not a time: ${options.now}`);
  if (!Number.isFinite(options.windowDays) || options.windowDays <= 0) throw new RangeError(`not a window: ${options.windowDays}`);
  const ageCapDays = options.ageCapDays ?? DEFAULT_AGE_CAP_DAYS;
  if (!Number.isFinite(ageCapDays) || ageCapDays < 0) throw new RangeError(`not an age cap: ${ageCapDays}`);
  const weights = { ...DEFAULT_PRIORITY_WEIGHTS, ...options.weights };
  const severityWeights = { ...DEFAULT_SEVERITY_WEIGHTS, ...options.severityWeights };
  finite("weights", { ...weights });
  finite("severityWeights", { ...severityWeights });
  const strategicLabels = new Set((options.strategicLabels ?? []).map(norm).filter((l): l is string => l !== null));
  return { ctx: { nowMs, windowDays: options.windowDays, severityWeights, strategicLabels, ageCapDays }, weights };
}

/**
 * Whether a signal counts at all: it exists as of now, and is open, or is history a factor
 * reads (a ticket in the two trend weeks, an incident in the recurrence window).
 */
function counts(s: Signal, ctx: FactorContext): boolean {
  const opened = openedMs(s);
  if (opened > ctx.nowMs) return false;
  if (s.state === "open") return true;
  if (s.signalKind === "support_ticket") return opened > ctx.nowMs - 2 * TREND_DAYS * DAY_MS;
  if (s.signalKind === "incident") return opened > ctx.nowMs - ctx.windowDays * DAY_MS;
  return false;
}

/** The most frequent non-null value; ties to the alphabetically first; null when there is none. */
function mostFrequent(values: readonly (string | null)[]): string | null {
  const tally = new Map<string, number>();
  for (const v of values) if (v !== null) tally.set(v, (tally.get(v) ?? 0) + 1);
  return [...tally].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1))[0]?.[0] ?? null;
}

function scoreItem(key: PriorityKey, signals: readonly Signal[], ctx: FactorContext, weights: PriorityWeights): PriorityItem {
  const explanation: FactorExplanation[] = FACTORS.map(([factor, read]) => {
    const { value, detail } = read(signals, ctx);
    const weight = weights[WEIGHT_OF[factor]];
    const shown = round2(value);
    return { factor, value: shown, weight, contribution: round2(shown * weight), detail };
  });
  const open = signals.filter((s) => s.state === "open");
  return {
    id: itemId(key),
    key,
    score: round2(explanation.reduce((sum, e) => sum + e.contribution, 0)),
    explanation,
    signalIds: signals.map((s) => s.id).sort(),
    teamId: mostFrequent(open.map((s) => s.teamId)),
    repo: key.scopeKind === "repo" ? key.scope : mostFrequent(signals.map((s) => norm(s.repo))),
  };
}

export function rankPriorities(signals: readonly Signal[], options: PriorityOptions): PriorityItem[] {
  const { ctx, weights } = settle(options);
  const keys = keySignals(signals.filter((s) => counts(s, ctx)));
  const groups = new Map<string, { key: PriorityKey; signals: Signal[] }>();
  for (const [signal, key] of keys) {
    const group = groups.get(keyText(key)) ?? { key, signals: [] };
    group.signals.push(signal);
    groups.set(keyText(key), group);
  }
  // An item is something to do: history alone (resolved tickets, past incidents) raises the
  // score of open work but does not make an item of its own.
  const items = [...groups.values()].filter((g) => g.signals.some((s) => s.state === "open")).map((g) => scoreItem(g.key, g.signals, ctx, weights));
  return items.sort((a, b) => b.score - a.score || (keyText(a.key) < keyText(b.key) ? -1 : keyText(a.key) > keyText(b.key) ? 1 : 0));
}
