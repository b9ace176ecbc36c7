// What each deployment shipped and which deployment an incident followed (domain/signals/history.ts).
import { describe, expect, it } from "vitest";
import { likelyCause, shippedShas } from "../../workers/src/domain/signals/history";
import { mapSignal, withDefaults, DEFAULT_OUTCOME_SETTINGS } from "../../workers/src/domain/signals/settings";

const dep = (id: string, at: string, success = true, repo = "acme/api", sha = `sha-${id}`) => ({ id, repo, teamId: "team_a", sha, at, success });
const chg = (sha: string, mergedAt: string | null, repo = "acme/api") => ({ repo, mergedAt, mergeSha: sha });

describe("shippedShas", () => {
  it("gives a successful deployment everything merged since the previous successful one, up to itself", () => {
    const deps = [dep("d1", "2026-01-01T10:00:00.000Z"), dep("d2", "2026-01-01T12:00:00.000Z", false), dep("d3", "2026-01-01T14:00:00.000Z")];
    const changes = [chg("m1", "2026-01-01T09:00:00.000Z"), chg("m2", "2026-01-01T11:00:00.000Z"), chg("m3", "2026-01-01T13:00:00.000Z"), chg("m4", "2026-01-01T15:00:00.000Z"), chg("other", "2026-01-01T11:00:00.000Z", "acme/web"), chg("open", null)];
    const shipped = shippedShas(deps, changes);
    expect(shipped.get("d1")).toEqual(["sha-d1", "m1"]);
    expect(shipped.get("d2")).toEqual(["sha-d2"]); // failed: its own sha only
    expect(shipped.get("d3")).toEqual(["sha-d3", "m2", "m3"]); // since d1, not m4 (after it), not acme/web
  });
});

describe("likelyCause", () => {
  const deps = [dep("d1", "2026-01-01T10:00:00.000Z"), dep("d2", "2026-01-01T12:00:00.000Z"), dep("w1", "2026-01-01T12:30:00.000Z", true, "acme/web")];
  it("picks the latest deployment of the incident's repo within the window", () => {
    expect(likelyCause({ openedAt: "2026-01-01T13:00:00.000Z", teamId: "team_a", repo: "acme/api" }, deps, 24)).toBe("d2");
  });
  it("falls back to the team's deployments when the incident names no repo", () => {
    expect(likelyCause({ openedAt: "2026-01-01T13:00:00.000Z", teamId: "team_a", repo: null }, deps, 24)).toBe("w1");
  });
  it("finds none outside the window, before any deployment, or without a team or repo", () => {
    expect(likelyCause({ openedAt: "2026-01-03T13:00:00.000Z", teamId: "team_a", repo: "acme/api" }, deps, 24)).toBeNull();
    expect(likelyCause({ openedAt: "2026-01-01T09:00:00.000Z", teamId: "team_a", repo: "acme/api" }, deps, 24)).toBeNull();
    expect(likelyCause({ openedAt: "2026-01-01T13:00:00.000Z", teamId: null, repo: null }, deps, 24)).toBeNull();
  });
});

describe("mapSignal", () => {
  const signal = { source: "zendesk", signalKind: "support_ticket", labels: ["Checkout", "vip"], component: "payments", service: null, repo: null };
  const repoTeams = new Map([["acme/payments-api", "team_pay"]]);
  it("uses the first matching rule, in order, case-insensitively; the repo's team when the rule names none", () => {
    const rules = [
      { match: { labels: ["billing"] }, repo: "acme/billing", teamId: "team_bill" },
      { match: { sources: ["zendesk"], labels: ["checkout"] }, repo: "acme/payments-api", teamId: null },
      { match: { components: ["payments"] }, repo: null, teamId: "team_other" },
    ];
    expect(mapSignal(signal, rules, repoTeams)).toEqual({ repo: "acme/payments-api", teamId: "team_pay" });
  });
  it("falls back to the repo the signal names and its registered team; else unmapped", () => {
    expect(mapSignal({ ...signal, repo: "acme/payments-api" }, [], repoTeams)).toEqual({ repo: "acme/payments-api", teamId: "team_pay" });
    expect(mapSignal(signal, [], repoTeams)).toEqual({ repo: null, teamId: null });
  });
  it("needs every condition a rule gives", () => {
    expect(mapSignal(signal, [{ match: { sources: ["pagerduty"], labels: ["checkout"] }, repo: null, teamId: "team_x" }], repoTeams)).toEqual({ repo: null, teamId: null });
  });
});

describe("withDefaults", () => {
  it("fills what an org did not set, field by field", () => {
    const s = withDefaults({ reworkWindowDays: 7, priorityWeights: { age: 0 } as never });
    expect(s.reworkWindowDays).toBe(7);
    expect(s.priorityWeights).toEqual({ ...DEFAULT_OUTCOME_SETTINGS.priorityWeights, age: 0 });
    expect(s.origin).toEqual(DEFAULT_OUTCOME_SETTINGS.origin);
    expect(withDefaults(null)).toEqual(DEFAULT_OUTCOME_SETTINGS);
  });
});
