// Runs every case of cases.ts through the indexed evaluator and the linear scan: both must
// give the expected decision and exactly the expected rules, in order.
import { describe, expect, it } from "vitest";
import { CompiledPolicySet } from "../../../workers/src/domain/policy/compile";
import { LinearPolicySet } from "../../../workers/src/domain/policy/linear";
import type { DecisionInput } from "../../../workers/src/domain/policy/types";
import { CASES, type PolicyCase } from "./cases";

const WEDNESDAY_MORNING = "2026-11-25T10:30:00Z";

export function inputOf(c: PolicyCase): DecisionInput {
  const r = c.request;
  return {
    actor: { id: "usr_dev", kind: "user", orgRole: "member", teamRoles: {}, ...r.actor },
    teamId: r.teamId ?? null,
    repoName: r.repoName ?? "acme/unregistered",
    action: r.action ?? "read",
    paths: r.paths ?? [],
    command: r.command ?? null,
    tool: r.tool ?? null,
    model: r.model ?? null,
    estimatedTokens: r.estimatedTokens ?? 0,
    risk: r.risk ?? null,
    contextTrust: r.contextTrust === undefined ? "trusted" : r.contextTrust,
  };
}

describe("policy decisions (cases as data)", () => {
  it("has at least 60 cases with unique names", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES)("$name", (c) => {
    const source = { policies: c.policies, repos: c.repos ?? [] };
    const now = new Date(c.now ?? WEDNESDAY_MORNING);
    for (const evaluator of [new CompiledPolicySet(source), new LinearPolicySet(source)]) {
      const d = evaluator.evaluate(inputOf(c), now);
      expect({ decision: d.decision, rules: d.matchedRules.map((m) => m.id) }).toEqual(c.expect);
      if (d.matchedRules.length > 0) expect(d.matchedRules.map((m) => m.reason)).toContain(d.reason);
    }
  });
});
