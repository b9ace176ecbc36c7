// Unit tests for rankPriorities (workers/src/domain/priorities/rank.ts) over a hand-built set of
// signals: scores worked out by hand in the comments (default weights), the order, ties, the
// explanation text, what is left out (resolved, closed, future, out-of-window) and empty input.
import { describe, expect, it } from "vitest";
import { rankPriorities } from "../../../workers/src/domain/priorities/rank";
import type { PriorityItem, PriorityOptions, Signal } from "../../../workers/src/domain/priorities/types";

const NOW = "2025-06-30T00:00:00.000Z";
const june = (d: number, h = 0) => `2025-06-${String(d).padStart(2, "0")}T${String(h).padStart(2, "0")}:00:00.000Z`;
const K = 1_000_000_000; // $1,000 in micro-dollars

const signal = (s: Partial<Signal> & Pick<Signal, "id" | "signalKind" | "openedAt">): Signal => ({
  source: "test",
  title: s.id,
  severity: null,
  arrMicros: null,
  component: null,
  service: null,
  labels: [],
  repo: null,
  teamId: null,
  state: "open",
  resolvedAt: null,
  ...s,
});

const shop = { repo: "acme/shop", component: "Checkout" } as const;

const SIGNALS: Signal[] = [
  // ── acme/shop · checkout ─────────────────────────────────────────────
  signal({ id: "T1", signalKind: "support_ticket", ...shop, severity: "high", teamId: "team_a", openedAt: june(25) }), // last 7 days
  signal({ id: "T2", signalKind: "support_ticket", ...shop, severity: "high", teamId: "team_a", openedAt: june(27) }), // last 7 days
  signal({ id: "T3", signalKind: "support_ticket", ...shop, severity: "low", teamId: "team_a", openedAt: june(10) }), // older than 14 days
  signal({ id: "T4", signalKind: "support_ticket", ...shop, severity: "medium", state: "resolved", resolvedAt: june(21), openedAt: june(20) }), // the 7 days before
  signal({ id: "T5", signalKind: "support_ticket", ...shop, teamId: "team_b", openedAt: june(29) }), // last 7 days, unrated
  signal({ id: "DL1", signalKind: "deal", ...shop, arrMicros: 30 * K, openedAt: june(1) }),
  signal({ id: "DL2", signalKind: "deal", ...shop, arrMicros: 40 * K, openedAt: june(5) }),
  signal({ id: "DL3", signalKind: "deal", ...shop, arrMicros: 500 * K, state: "closed", openedAt: june(2) }), // won or lost: not at risk
  signal({ id: "I1", signalKind: "incident", ...shop, severity: "critical", state: "resolved", resolvedAt: june(15, 4), openedAt: june(15) }), // 15 days ago: in the 30
  signal({ id: "I2", signalKind: "incident", ...shop, severity: "high", state: "resolved", resolvedAt: "2025-05-20T05:00:00Z", openedAt: "2025-05-20T00:00:00Z" }), // 41 days ago: out
  // ── acme/platform · migration (no component: the most common label) ──
  signal({ id: "TD1", signalKind: "tech_debt", repo: "acme/platform", labels: ["Migration", "db"], openedAt: "2025-01-01T00:00:00Z" }),
  signal({ id: "TD2", signalKind: "tech_debt", repo: "acme/platform", labels: ["migration"], openedAt: "2025-04-01T00:00:00Z" }),
  signal({ id: "B1", signalKind: "bug", repo: "acme/platform", severity: "high", labels: ["migration"], openedAt: june(20) }),
  signal({ id: "TD4", signalKind: "tech_debt", repo: "acme/platform", labels: ["migration"], state: "closed", openedAt: "2025-02-01T00:00:00Z" }),
  // ── two items that tie ───────────────────────────────────────────────
  signal({ id: "Z2", signalKind: "support_ticket", service: "Search-API", severity: "low", openedAt: june(29, 12) }),
  signal({ id: "Z1", signalKind: "support_ticket", severity: "low", labels: ["billing"], openedAt: june(29, 12) }),
  // ── not items ────────────────────────────────────────────────────────
  signal({ id: "R1", signalKind: "support_ticket", repo: "acme/legacy", state: "resolved", resolvedAt: june(29), openedAt: june(28) }), // only history
  signal({ id: "F1", signalKind: "incident", repo: "acme/future", severity: "critical", openedAt: "2025-07-01T00:00:00Z" }), // after now
];

const OPTIONS: PriorityOptions = { now: NOW, windowDays: 30, strategicLabels: ["migration", "security"] };

describe("rankPriorities over a hand-built set (default weights)", () => {
  const ranked = rankPriorities(SIGNALS, OPTIONS);
  const byScope = (scope: string | null, theme: string) => ranked.find((i) => i.key.scope === scope && i.key.theme === theme)!;

  it("makes four items, highest score first, ties by key", () => {
    expect(ranked.map((i) => [i.key.scope, i.key.theme, i.score])).toEqual([
      ["acme/shop", "checkout", 38.45],
      ["acme/platform", "migration", 12.5],
      [null, "billing", 2], // tie at 2: "" (no scope) sorts before "search-api"
      ["search-api", "general", 2],
    ]);
  });

  it("acme/shop · checkout: 12 + 9 + 16 + 0 + 1.45 = 38.45", () => {
    const item = byScope("acme/shop", "checkout");
    expect(item.key).toEqual({ scopeKind: "repo", scope: "acme/shop", theme: "checkout" });
    expect(item.explanation).toEqual([
      // Open tickets: T1 high 4 + T2 high 4 + T3 low 1 + T5 unrated 1 = 10. Opened in the last 7
      // days: T1 T2 T5 = 3; in the 7 before: T4 (resolved, still counts for the trend) = 1 → +2.
      // 10 + 2 = 12 × weight 1 = 12.
      { factor: "support_load", value: 12, weight: 1, contribution: 12, detail: "4 open tickets (2 high, 1 low, 1 unrated), +2 vs last week" },
      // Open deals DL1 $30k + DL2 $40k = $70k (DL3 closed) → log2(1 + 70k/10k) = log2 8 = 3 × 3 = 9.
      { factor: "revenue_at_risk", value: 3, weight: 3, contribution: 9, detail: "2 open deals, $70,000 ARR" },
      // I1 critical 8 (I2 is 41 days old) × weight 2 = 16.
      { factor: "incident_recurrence", value: 8, weight: 2, contribution: 16, detail: "1 incident in the last 30 days (1 critical)" },
      { factor: "strategic_debt", value: 0, weight: 4, contribution: 0, detail: "no strategic tech debt" },
      // Oldest open: DL1, June 1 → June 30 = 29 days × 0.05 = 1.45.
      { factor: "age", value: 29, weight: 0.05, contribution: 1.45, detail: "oldest open signal 29 days old" },
    ]);
    expect(item.score).toBe(38.45);
  });

  it("acme/platform · migration: 8 + 4.5 = 12.5", () => {
    const item = byScope("acme/platform", "migration");
    expect(item.explanation).toEqual([
      { factor: "support_load", value: 0, weight: 1, contribution: 0, detail: "no open tickets, same as last week" },
      { factor: "revenue_at_risk", value: 0, weight: 3, contribution: 0, detail: "no open deals" },
      { factor: "incident_recurrence", value: 0, weight: 2, contribution: 0, detail: "no incidents in the last 30 days" },
      // TD1 and TD2 are open tech debt tagged migration (TD4 is closed; B1 is a bug) → 2 × 4 = 8.
      { factor: "strategic_debt", value: 2, weight: 4, contribution: 8, detail: "2 open tech-debt items tagged strategic (migration)" },
      // TD1: Jan 1 → Jun 30 = 31 + 28 + 31 + 30 + 31 + 29 = 180 days, capped at 90 × 0.05 = 4.5.
      { factor: "age", value: 90, weight: 0.05, contribution: 4.5, detail: "oldest open signal 180 days old (counted as 90)" },
    ]);
  });

  it("the tied items: one low ticket opened in the last week → 1 + 1 = 2; half a day old → 0 days", () => {
    const billing = byScope(null, "billing");
    expect(billing.key).toEqual({ scopeKind: null, scope: null, theme: "billing" });
    expect(billing.explanation[0]).toEqual({ factor: "support_load", value: 2, weight: 1, contribution: 2, detail: "1 open ticket (1 low), +1 vs last week" });
    expect(billing.explanation[4]).toMatchObject({ value: 0, detail: "oldest open signal 0 days old" });
    expect(byScope("search-api", "general").key).toEqual({ scopeKind: "service", scope: "search-api", theme: "general" });
  });

  it("lists the signals counted: open ones and recent history, not closed or stale ones", () => {
    expect(byScope("acme/shop", "checkout").signalIds).toEqual(["DL1", "DL2", "I1", "T1", "T2", "T3", "T4", "T5"]);
    expect(byScope("acme/platform", "migration").signalIds).toEqual(["B1", "TD1", "TD2"]);
  });

  it("team is the most common among open signals; repo is the scope", () => {
    const shopItem = byScope("acme/shop", "checkout");
    expect([shopItem.teamId, shopItem.repo]).toEqual(["team_a", "acme/shop"]); // team_a ×3, team_b ×1
    const billing = byScope(null, "billing");
    expect([billing.teamId, billing.repo]).toEqual([null, null]);
  });

  it("ids are stable: the same key gives the same id whatever else is ranked", () => {
    for (const item of ranked) expect(item.id).toMatch(/^pri_[0-9a-f]{24}$/);
    expect(new Set(ranked.map((i) => i.id)).size).toBe(ranked.length);
    const alone = rankPriorities(SIGNALS.filter((s) => s.repo === "acme/shop"), OPTIONS);
    expect(alone[0]!.id).toBe(byScope("acme/shop", "checkout").id);
  });

  it("does not depend on the order of the signals", () => {
    expect(rankPriorities([...SIGNALS].reverse(), OPTIONS)).toEqual(ranked);
  });
});

describe("rankPriorities: what is left out", () => {
  it("empty input ranks nothing", () => {
    expect(rankPriorities([], OPTIONS)).toEqual([]);
  });

  it("resolved and closed signals alone make no item", () => {
    const done = [
      signal({ id: "X1", signalKind: "support_ticket", repo: "r", state: "resolved", openedAt: june(29) }),
      signal({ id: "X2", signalKind: "incident", repo: "r", severity: "critical", state: "resolved", openedAt: june(28) }),
      signal({ id: "X3", signalKind: "tech_debt", repo: "r", labels: ["security"], state: "closed", openedAt: june(1) }),
    ];
    expect(rankPriorities(done, OPTIONS)).toEqual([]);
  });

  it("a resolved ticket adds to the trend but not to the open load", () => {
    // Open: one medium (2). Both opened in the last 7 days, none before → +2. 2 + 2 = 4.
    const items = rankPriorities(
      [
        signal({ id: "A", signalKind: "support_ticket", repo: "r", severity: "medium", openedAt: june(28) }),
        signal({ id: "B", signalKind: "support_ticket", repo: "r", severity: "critical", state: "resolved", openedAt: june(28) }),
      ],
      OPTIONS,
    );
    expect(items[0]!.explanation[0]).toMatchObject({ value: 4, detail: "1 open ticket (1 medium), +2 vs last week" });
  });
});

describe("rankPriorities: windows and edges", () => {
  const only = (signals: Signal[], options: PriorityOptions = OPTIONS): PriorityItem => {
    const items = rankPriorities(signals, options);
    expect(items).toHaveLength(1);
    return items[0]!;
  };

  it("a falling trend cancels the load but never goes below zero", () => {
    // Open: one low (1), opened 20 days ago. Three resolved in the 7 days before → 0 − 3 = −3.
    // max(0, 1 − 3) = 0. Score = age only: 20 days × 0.05 = 1.
    const item = only([
      signal({ id: "O", signalKind: "support_ticket", repo: "r", severity: "low", openedAt: june(10) }),
      ...[18, 19, 20].map((d) => signal({ id: `P${d}`, signalKind: "support_ticket", repo: "r", state: "resolved", openedAt: june(d) })),
    ]);
    expect(item.explanation[0]).toMatchObject({ value: 0, contribution: 0, detail: "1 open ticket (1 low), -3 vs last week" });
    expect(item.score).toBe(1);
  });

  it("a ticket opened exactly 7 days ago is in the week before, not the last week", () => {
    // Windows are (now − 7d, now] and (now − 14d, now − 7d]; June 23 00:00 is the edge → 0 − 1.
    const item = only([signal({ id: "E", signalKind: "support_ticket", repo: "r", severity: "high", openedAt: june(23) })]);
    expect(item.explanation[0]!.detail).toBe("1 open ticket (1 high), -1 vs last week");
    expect(item.explanation[0]!.value).toBe(3); // 4 − 1
  });

  it("an incident opened exactly windowDays ago is outside the window", () => {
    // 30 days before June 30 is May 31 00:00: out. May 31 00:00:01 is in.
    const open = signal({ id: "W0", signalKind: "bug", repo: "r", openedAt: june(29) });
    const edge = signal({ id: "W1", signalKind: "incident", repo: "r", severity: "high", state: "resolved", openedAt: "2025-05-31T00:00:00Z" });
    expect(only([open, edge]).explanation[2]).toMatchObject({ value: 0, detail: "no incidents in the last 30 days" });
    const inside = { ...edge, openedAt: "2025-05-31T00:00:01Z" };
    expect(only([open, inside]).explanation[2]).toMatchObject({ value: 4, contribution: 8, detail: "1 incident in the last 30 days (1 high)" });
  });

  it("deals without ARR are counted and named, adding nothing", () => {
    // $10k known → log2(1 + 1) = 1.
    const item = only([
      signal({ id: "D1", signalKind: "deal", repo: "r", arrMicros: 10 * K, openedAt: june(29) }),
      signal({ id: "D2", signalKind: "deal", repo: "r", openedAt: june(29) }),
    ]);
    expect(item.explanation[1]).toEqual({ factor: "revenue_at_risk", value: 1, weight: 3, contribution: 3, detail: "2 open deals, $10,000 ARR (1 without ARR)" });
  });

  it("revenue on the log scale shows two decimals: $20k → log2 3 ≈ 1.58 × 3 = 4.74", () => {
    const item = only([signal({ id: "D3", signalKind: "deal", repo: "r", arrMicros: 20 * K, openedAt: june(29, 12) })]);
    expect(item.explanation[1]).toMatchObject({ value: 1.58, contribution: 4.74, detail: "1 open deal, $20,000 ARR" });
    expect(item.score).toBe(4.74);
  });

  it("org weights replace the defaults they name; the rest stay", () => {
    // acme/platform · migration with age weighted 0 → strategic debt only: 2 × 4 = 8.
    const platform = SIGNALS.filter((s) => s.repo === "acme/platform");
    expect(only(platform, { ...OPTIONS, weights: { age: 0 } }).score).toBe(8);
    // Strategic weight 10, age cap 30 days: 2 × 10 + 30 × 0.05 = 21.5.
    expect(only(platform, { ...OPTIONS, weights: { strategicDebt: 10 }, ageCapDays: 30 }).score).toBe(21.5);
    // No strategic labels configured: the debt is just old → 4.5.
    expect(only(platform, { ...OPTIONS, strategicLabels: [] }).score).toBe(4.5);
  });

  it("severity weights are configurable too", () => {
    // One open critical ticket from 20 days ago; trend 0 − 0. critical 20 → 20 + 20 × 0.05 = 21.
    const item = only([signal({ id: "S", signalKind: "support_ticket", repo: "r", severity: "critical", openedAt: june(10) })], { ...OPTIONS, severityWeights: { critical: 20 } });
    expect(item.score).toBe(21);
  });

  it("the component is the theme inside a repo; labels theme a component-scoped signal", () => {
    const items = rankPriorities(
      [
        signal({ id: "C1", signalKind: "bug", repo: "Acme/Shop", component: "Cart", labels: ["ux"], openedAt: june(29) }),
        signal({ id: "C2", signalKind: "bug", component: "cart", labels: ["ux", "perf"], openedAt: june(29) }),
        signal({ id: "C3", signalKind: "bug", component: "cart", labels: ["perf"], openedAt: june(29) }),
        signal({ id: "C4", signalKind: "bug", component: "cart", labels: ["ux"], openedAt: june(29) }),
      ],
      OPTIONS,
    );
    // In scope component:cart, ux is on C2 and C4, perf on C2 and C3: a tie, so "perf" (first
    // alphabetically) themes C2 and C3, "ux" themes C4.
    expect(items.map((i) => [i.key.scopeKind, i.key.scope, i.key.theme, i.signalIds])).toEqual([
      ["repo", "acme/shop", "cart", ["C1"]],
      ["component", "cart", "perf", ["C2", "C3"]],
      ["component", "cart", "ux", ["C4"]],
    ]);
  });

  it("rejects options it cannot rank with", () => {
    expect(() => rankPriorities([], { ...OPTIONS, now: "today" })).toThrow(RangeError);
    expect(() => rankPriorities([], { ...OPTIONS, windowDays: 0 })).toThrow(RangeError);
    expect(() => rankPriorities([], { ...OPTIONS, weights: { age: Number.NaN } })).toThrow(RangeError);
    const badArr = signal({ id: "X", signalKind: "deal", repo: "r", arrMicros: -5, openedAt: june(29) });
    expect(() => rankPriorities([badArr], OPTIONS)).toThrow(RangeError);
  });
});
