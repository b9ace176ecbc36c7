// Unit tests for computeMetrics (workers/src/domain/metrics/compute.ts) over a hand-built week
// of history: 9 changes (6 agent, 3 human), 5 deployments, 3 incidents. Every expected value
// is worked out by hand in the comments, never by calling the code under test.
import { describe, expect, it } from "vitest";
import { computeMetrics } from "../../../workers/src/domain/metrics/compute";
import { METRIC_NAMES, type Change, type Deployment, type Incident, type MetricName, type MetricsInput } from "../../../workers/src/domain/metrics/types";

/** March 2025, day d, hour h, UTC. */
const mar = (d: number, h = 0) => `2025-03-${String(d).padStart(2, "0")}T${String(h).padStart(2, "0")}:00:00.000Z`;
const feb = (d: number, h = 0) => `2025-02-${String(d).padStart(2, "0")}T${String(h).padStart(2, "0")}:00:00.000Z`;

const change = (c: Partial<Change> & Pick<Change, "id" | "origin" | "openedAt">): Change => ({
  repo: "acme/shop",
  teamId: "team_a",
  author: c.origin === "agent" ? "sysop-agent" : "dana",
  firstReviewAt: null,
  approvedAt: null,
  mergedAt: null,
  closedAt: null,
  firstCommitAt: null,
  taskCreatedAt: null,
  reviewRounds: 0,
  taskAttempts: 0,
  approvalRounds: 0,
  costMicros: 0,
  reworkedAt: null,
  revertedAt: null,
  mergeSha: null,
  ...c,
});

// The period is one week: [Mar 1 00:00, Mar 8 00:00). Rework window: 7 days.
const FROM = mar(1);
const TO = mar(8);

const CHANGES: Change[] = [
  // A1: task 3/2 08:00, commit 09:00, opened 10:00, reviewed 12:00 (2 h), approved 14:00 (4 h),
  // merged 16:00 → cycle 8 h from the task. Iterations 1 attempt + 1 approval + 0 rounds = 2.
  change({ id: "A1", origin: "agent", taskCreatedAt: mar(2, 8), firstCommitAt: mar(2, 9), openedAt: mar(2, 10), firstReviewAt: mar(2, 12), approvedAt: mar(2, 14), mergedAt: mar(2, 16), taskAttempts: 1, approvalRounds: 1, costMicros: 1_000_000, mergeSha: "a1" }),
  // A2: task 3/2 20:00, opened 3/3 00:00, reviewed 06:00 (6 h), approved 12:00 (12 h), merged
  // 14:00 → cycle 18 h. Iterations 2 + 0 + 1 = 3. Reverted 3/5, 1.4 days after merge: rework.
  change({ id: "A2", origin: "agent", taskCreatedAt: mar(2, 20), firstCommitAt: mar(2, 22), openedAt: mar(3), firstReviewAt: mar(3, 6), approvedAt: mar(3, 12), mergedAt: mar(3, 14), taskAttempts: 2, reviewRounds: 1, costMicros: 2_500_000, revertedAt: mar(5), mergeSha: "a2" }),
  // A3: opened 3/4, reviewed 10:00 (10 h), closed unmerged 3/5: its cost still counts.
  change({ id: "A3", origin: "agent", taskCreatedAt: mar(3, 23), openedAt: mar(4), firstReviewAt: mar(4, 10), closedAt: mar(5), taskAttempts: 3, costMicros: 700_001 }),
  // A4: opened 3/6, still open: counts as opened-not-merged; its cost waits until it ends.
  change({ id: "A4", origin: "agent", taskCreatedAt: mar(6), openedAt: mar(6), taskAttempts: 1, costMicros: 300_000 }),
  // A5: opened and reviewed in February; merged at exactly 3/1 00:00 (from is inclusive: in).
  // Cycle from task 2/26 00:00 → 3/1 00:00 = 72 h. Iterations 1 + 0 + 2 = 3. Reworked 3/10,
  // 9 days after merge: outside the 7-day window.
  change({ id: "A5", origin: "agent", taskCreatedAt: feb(26), openedAt: feb(27), firstReviewAt: feb(28), approvedAt: feb(28, 12), mergedAt: mar(1), taskAttempts: 1, reviewRounds: 2, costMicros: 1_200_000, reworkedAt: mar(10), mergeSha: "a5" }),
  // A6: opened 3/7 20:00 (in), reviewed 22:00 (2 h, in); approved and merged at exactly 3/8
  // 00:00 (to is exclusive: out). Opened-and-merged for acceptance; nothing else in period.
  change({ id: "A6", origin: "agent", taskCreatedAt: mar(7, 18), openedAt: mar(7, 20), firstReviewAt: mar(7, 22), approvedAt: mar(8), mergedAt: mar(8), taskAttempts: 1, costMicros: 400_000, mergeSha: "a6" }),
  // H1: commit 3/1 07:00, opened 09:00, reviewed 13:00 (4 h), approved 21:00 (12 h), merged 3/2
  // 09:00 → cycle 26 h from the commit. Iterations 0 + 0 + 1 = 1.
  change({ id: "H1", origin: "human", firstCommitAt: mar(1, 7), openedAt: mar(1, 9), firstReviewAt: mar(1, 13), approvedAt: mar(1, 21), mergedAt: mar(2, 9), reviewRounds: 1, costMicros: 150_000, mergeSha: "h1" }),
  // H2: no commit time, so cycle runs from opening: 3/3 12:00 → 3/5 12:00 = 48 h. Reviewed 3/4
  // 12:00 (24 h), approved 18:00 (30 h). Iterations 0. Reworked a day after merge: rework.
  change({ id: "H2", origin: "human", openedAt: mar(3, 12), firstReviewAt: mar(4, 12), approvedAt: mar(4, 18), mergedAt: mar(5, 12), reworkedAt: mar(6, 12), mergeSha: "h2" }),
  // H3: opened 3/5, closed unmerged 3/6, never reviewed.
  change({ id: "H3", origin: "human", openedAt: mar(5), closedAt: mar(6) }),
];

const deploy = (id: string, at: string, success: boolean, shas: string[]): Deployment => ({ id, repo: "acme/shop", teamId: "team_a", at, success, shas });

const DEPLOYMENTS: Deployment[] = [
  deploy("D1", mar(2, 18), true, ["a1", "h1"]), // A1 lead 16:00 → 18:00 = 2 h; H1 lead 3/2 09:00 → 18:00 = 9 h
  deploy("D2", mar(3, 16), false, ["a2"]), // failed: not A2's first deployment
  deploy("D3", mar(4, 16), true, ["a2"]), // A2 lead 3/3 14:00 → 3/4 16:00 = 26 h
  deploy("D4", mar(6, 12), true, ["h2", "a5"]), // H2 lead 3/5 12:00 → 3/6 12:00 = 24 h; A5 3/1 00:00 → 3/6 12:00 = 132 h
  deploy("D5", mar(8), true, ["a6"]), // at exactly `to`: outside the period
];

const INCIDENTS: Incident[] = [
  // Names only a deployment (D3): blames what D3 shipped, A2. Restored in 6 h.
  { id: "I1", teamId: "team_a", service: "shop", severity: "high", openedAt: mar(4, 20), resolvedAt: mar(5, 2), causedByDeploymentId: "D3", causedByChangeIds: [] },
  // Names only H2: blames H2 (not A5, which rode the same deployment) and H2's first
  // deployment, D4. Restored in 10 h.
  { id: "I2", teamId: "team_a", service: "shop", severity: "critical", openedAt: mar(6, 14), resolvedAt: mar(7), causedByDeploymentId: null, causedByChangeIds: ["H2"] },
  // Resolved at 3/8 04:00, after the period: no restore time in it. Linked to nothing.
  { id: "I3", teamId: "team_a", service: "shop", severity: "low", openedAt: mar(7, 20), resolvedAt: mar(8, 4), causedByDeploymentId: null, causedByChangeIds: [] },
];

const INPUT: MetricsInput = { changes: CHANGES, deployments: DEPLOYMENTS, incidents: INCIDENTS, from: FROM, to: TO, reworkWindowDays: 7 };

type Expected = Record<MetricName, [value: number | null, sampleSize: number]>;

const EXPECTED_AGENT: Expected = {
  // Opened in period: A1 A2 A3 A4 A6 (A5 opened in Feb). Merged of them: A1 A2 A6 → 3/5.
  acceptance_rate: [0.6, 5],
  // Merged in period: A1 A2 A5 (A6 merged at `to`). Iterations 2 + 3 + 3 = 8 → 8/3.
  iterations_per_accepted_change: [8 / 3, 3],
  // First reviewed in period: A1 2, A2 6, A3 10, A6 2 → [2, 2, 6, 10]; median (2 + 6)/2 = 4.
  time_to_first_review_median_hours: [4, 4],
  // p90 rank 0.9 × 3 = 2.7 → 6 + 0.7 × (10 − 6) = 8.8.
  time_to_first_review_p90_hours: [8.8, 4],
  // Approved in period: A1 4, A2 12 (A5 in Feb, A6 at `to`); median 8.
  time_to_approval_median_hours: [8, 2],
  // p90 rank 0.9 → 4 + 0.9 × 8 = 11.2.
  time_to_approval_p90_hours: [11.2, 2],
  // Merged in period: [8, 18, 72]; median 18.
  cycle_time_median_hours: [18, 3],
  // p90 rank 1.8 → 18 + 0.8 × 54 = 61.2.
  cycle_time_p90_hours: [61.2, 3],
  // A2 reverted within 7 days; A5's rework came after 9 → 1/3.
  rework_rate: [1 / 3, 3],
  // A2 via I1 → D3; A5 rode D4 but I2 names H2 only → 1/3.
  change_incident_rate: [1 / 3, 3],
  // Ended in period: A1 1_000_000 + A2 2_500_000 + A3 700_001 + A5 1_200_000 = 5_400_001
  // over 3 merged = 1_800_000.33… → rounded up 1_800_001.
  cost_per_accepted_change_micros: [1_800_001, 3],
  // Deployments shipping agent changes in period: D1 D2 D3 D4; successful D1 D3 D4 → 3/7 per day.
  deployment_frequency_per_day: [3 / 7, 3],
  // First deployed in period: A1 2, A2 26, A5 132 (A6's is D5, at `to`); median 26.
  lead_time_for_changes_median_hours: [26, 3],
  // D1 clean; D2 failed; D3 caused I1; D4 is H2's first deployment, I2 → 3/4.
  change_failure_rate: [0.75, 4],
  // Incidents linked to agent changes and resolved in period: I1 (A2), 6 h.
  time_to_restore_median_hours: [6, 1],
};

const EXPECTED_HUMAN: Expected = {
  // Opened in period: H1 H2 H3; merged H1 H2 → 2/3.
  acceptance_rate: [2 / 3, 3],
  // H1 1 + H2 0 = 1 over 2 → 0.5.
  iterations_per_accepted_change: [0.5, 2],
  // [4, 24]: median 14; p90 4 + 0.9 × 20 = 22.
  time_to_first_review_median_hours: [14, 2],
  time_to_first_review_p90_hours: [22, 2],
  // [12, 30]: median 21; p90 12 + 0.9 × 18 = 28.2.
  time_to_approval_median_hours: [21, 2],
  time_to_approval_p90_hours: [28.2, 2],
  // [26, 48]: median 37; p90 26 + 0.9 × 22 = 45.8.
  cycle_time_median_hours: [37, 2],
  cycle_time_p90_hours: [45.8, 2],
  // H2 reworked a day after merge → 1/2.
  rework_rate: [0.5, 2],
  // H2 named by I2 → 1/2.
  change_incident_rate: [0.5, 2],
  // Ended: H1 150_000 + H2 0 + H3 0 = 150_000 over 2 merged = 75_000 exactly.
  cost_per_accepted_change_micros: [75_000, 2],
  // Deployments shipping human changes: D1, D4 → 2/7 per day.
  deployment_frequency_per_day: [2 / 7, 2],
  // H1 9, H2 24 → median 16.5.
  lead_time_for_changes_median_hours: [16.5, 2],
  // D1 clean, D4 caused I2 → 1/2.
  change_failure_rate: [0.5, 2],
  // I2 (H2): 10 h.
  time_to_restore_median_hours: [10, 1],
};

const EXPECTED_ALL: Expected = {
  // Opened 5 + 3 = 8; merged 3 + 2 = 5 → 0.625.
  acceptance_rate: [0.625, 8],
  // 8 + 1 = 9 over 5 merged → 1.8.
  iterations_per_accepted_change: [1.8, 5],
  // [2, 2, 4, 6, 10, 24]: median (4 + 6)/2 = 5; p90 rank 4.5 → 10 + 0.5 × 14 = 17.
  time_to_first_review_median_hours: [5, 6],
  time_to_first_review_p90_hours: [17, 6],
  // [4, 12, 12, 30]: median 12; p90 rank 2.7 → 12 + 0.7 × 18 = 24.6.
  time_to_approval_median_hours: [12, 4],
  time_to_approval_p90_hours: [24.6, 4],
  // [8, 18, 26, 48, 72]: median 26 (odd count); p90 rank 3.6 → 48 + 0.6 × 24 = 62.4.
  cycle_time_median_hours: [26, 5],
  cycle_time_p90_hours: [62.4, 5],
  // A2, H2 → 2/5.
  rework_rate: [0.4, 5],
  // A2, H2 → 2/5.
  change_incident_rate: [0.4, 5],
  // 5_400_001 + 150_000 = 5_550_001 over 5 = 1_110_000.2 → rounded up 1_110_001.
  cost_per_accepted_change_micros: [1_110_001, 5],
  // D1 D3 D4 successful in period (D2 failed, D5 at `to`) → 3/7.
  deployment_frequency_per_day: [3 / 7, 3],
  // [2, 9, 24, 26, 132] → median 24.
  lead_time_for_changes_median_hours: [24, 5],
  // D2 failed, D3 (I1), D4 (I2) of D1–D4 → 3/4.
  change_failure_rate: [0.75, 4],
  // I1 6 h, I2 10 h (I3 resolved after `to`) → median 8.
  time_to_restore_median_hours: [8, 2],
};

describe("computeMetrics over a hand-built week", () => {
  const report = computeMetrics(INPUT);
  const groups = [
    ["agent", EXPECTED_AGENT],
    ["human", EXPECTED_HUMAN],
    ["all", EXPECTED_ALL],
  ] as const;

  for (const [group, expected] of groups) {
    for (const name of METRIC_NAMES) {
      it(`${group}: ${name}`, () => {
        const [value, sampleSize] = expected[name];
        const got = report[group][name];
        expect(got.sampleSize).toBe(sampleSize);
        if (value === null) expect(got.value).toBeNull();
        else expect(got.value).toBeCloseTo(value, 9);
      });
    }
  }

  it("money stays an exact integer", () => {
    for (const group of ["agent", "human", "all"] as const) expect(Number.isInteger(report[group].cost_per_accepted_change_micros.value)).toBe(true);
  });

  it("echoes the period and gives every metric a unit and a definition", () => {
    expect(report.from).toBe(FROM);
    expect(report.to).toBe(TO);
    for (const name of METRIC_NAMES) {
      expect(report.all[name].unit).not.toBe("");
      expect(report.all[name].definition.length).toBeGreaterThan(40);
    }
    expect(report.all.rework_rate.definition).toContain("within 7 days of merging");
  });

  it("does not depend on the order of its inputs", () => {
    const reversed = computeMetrics({ ...INPUT, changes: [...CHANGES].reverse(), deployments: [...DEPLOYMENTS].reverse(), incidents: [...INCIDENTS].reverse() });
    expect(reversed).toEqual(report);
  });
});

describe("computeMetrics with nothing to measure", () => {
  const noDataEverywhere = (input: MetricsInput) => {
    const report = computeMetrics(input);
    for (const group of ["agent", "human", "all"] as const) {
      for (const name of METRIC_NAMES) expect(report[group][name], `${group}.${name}`).toMatchObject({ value: null, sampleSize: 0 });
    }
  };

  it("an empty history: every metric null with sample size 0 (never NaN or Infinity)", () => {
    noDataEverywhere({ changes: [], deployments: [], incidents: [], from: FROM, to: TO, reworkWindowDays: 7 });
  });

  it("a period before all the history is just as empty", () => {
    noDataEverywhere({ ...INPUT, from: "2025-01-01T00:00:00Z", to: "2025-02-01T00:00:00Z" });
  });

  it("opened but nothing merged: acceptance is 0 of n, the per-merge metrics have no divisor", () => {
    // Two agent changes opened in period, one closed unmerged with a cost, one still open.
    const changes = [
      change({ id: "X1", origin: "agent", openedAt: mar(2), closedAt: mar(3), costMicros: 900_000 }),
      change({ id: "X2", origin: "agent", openedAt: mar(4), costMicros: 100_000 }),
    ];
    const { agent, human } = computeMetrics({ changes, deployments: [], incidents: [], from: FROM, to: TO, reworkWindowDays: 7 });
    expect(agent.acceptance_rate).toMatchObject({ value: 0, sampleSize: 2 }); // 0 merged of 2 opened
    expect(agent.cost_per_accepted_change_micros).toMatchObject({ value: null, sampleSize: 0 }); // 900_000 spent, 0 merged
    expect(agent.iterations_per_accepted_change).toMatchObject({ value: null, sampleSize: 0 });
    expect(agent.rework_rate).toMatchObject({ value: null, sampleSize: 0 });
    expect(human.acceptance_rate).toMatchObject({ value: null, sampleSize: 0 });
  });

  it("only failed deployments: frequency has no data, the failure rate is 2 of 2", () => {
    const deployments = [deploy("F1", mar(2), false, []), deploy("F2", mar(3), false, [])];
    const { all } = computeMetrics({ changes: [], deployments, incidents: [], from: FROM, to: TO, reworkWindowDays: 7 });
    expect(all.deployment_frequency_per_day).toMatchObject({ value: null, sampleSize: 0 });
    expect(all.change_failure_rate).toMatchObject({ value: 1, sampleSize: 2 });
  });
});

describe("computeMetrics edge cases", () => {
  it("rework on the last instant of the window counts; one ms later does not", () => {
    // Merged 3/2 00:00; window 7 days → up to 3/9 00:00 inclusive.
    const changes = [
      change({ id: "R1", origin: "human", openedAt: mar(1), mergedAt: mar(2), reworkedAt: mar(9) }),
      change({ id: "R2", origin: "human", openedAt: mar(1), mergedAt: mar(2), revertedAt: "2025-03-09T00:00:00.001Z" }),
    ];
    const { human } = computeMetrics({ changes, deployments: [], incidents: [], from: FROM, to: TO, reworkWindowDays: 7 });
    expect(human.rework_rate).toMatchObject({ value: 0.5, sampleSize: 2 }); // R1 of R1, R2
  });

  it("a review stamped before the opening (clock skew) waits 0 hours, not a negative", () => {
    const changes = [change({ id: "S1", origin: "human", openedAt: mar(2, 10), firstReviewAt: mar(2, 9) })];
    const { human } = computeMetrics({ changes, deployments: [], incidents: [], from: FROM, to: TO, reworkWindowDays: 7 });
    expect(human.time_to_first_review_median_hours).toMatchObject({ value: 0, sampleSize: 1 });
  });

  it("a deployment listing a sha before its merge is not what shipped it", () => {
    // Merged 3/3 00:00; E1 at 3/2 lists the sha (skewed or re-run data), E2 at 3/3 06:00 → 6 h.
    const changes = [change({ id: "L1", origin: "agent", openedAt: mar(2), mergedAt: mar(3), mergeSha: "ABC" })];
    const deployments = [deploy("E1", mar(2), true, ["abc"]), deploy("E2", mar(3, 6), true, ["abc"])];
    const { agent } = computeMetrics({ changes, deployments, incidents: [], from: FROM, to: TO, reworkWindowDays: 7 });
    expect(agent.lead_time_for_changes_median_hours).toMatchObject({ value: 6, sampleSize: 1 });
  });

  it("a deployment in another repo does not ship a same-named sha", () => {
    const changes = [change({ id: "L2", origin: "agent", openedAt: mar(2), mergedAt: mar(3), mergeSha: "abc" })];
    const deployments = [{ ...deploy("E3", mar(3, 6), true, ["abc"]), repo: "acme/other" }];
    const { agent, all } = computeMetrics({ changes, deployments, incidents: [], from: FROM, to: TO, reworkWindowDays: 7 });
    expect(agent.lead_time_for_changes_median_hours.sampleSize).toBe(0);
    expect(agent.deployment_frequency_per_day.sampleSize).toBe(0); // it shipped no agent change
    expect(all.deployment_frequency_per_day).toMatchObject({ value: 1 / 7, sampleSize: 1 });
  });

  it("rejects a period that does not move forward and times that are not times", () => {
    expect(() => computeMetrics({ ...INPUT, from: TO, to: FROM })).toThrow(RangeError);
    expect(() => computeMetrics({ ...INPUT, to: FROM })).toThrow(RangeError);
    expect(() => computeMetrics({ ...INPUT, from: "last tuesday" })).toThrow(RangeError);
    expect(() => computeMetrics({ ...INPUT, reworkWindowDays: -1 })).toThrow(RangeError);
  });

  it("rejects a cost that is not a non-negative integer", () => {
    const changes = [change({ id: "C1", origin: "agent", openedAt: mar(2), mergedAt: mar(3), costMicros: 1.5 })];
    expect(() => computeMetrics({ ...INPUT, changes })).toThrow(RangeError);
  });
});
