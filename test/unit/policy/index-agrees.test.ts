// The index must never change an answer: on random policy sets and requests, the indexed
// evaluator and the linear scan agree on the decision and on every matched rule.
import { describe, expect, it } from "vitest";
import { CompiledPolicySet } from "../../../workers/src/domain/policy/compile";
import { LinearPolicySet } from "../../../workers/src/domain/policy/linear";
import { ACTION_KINDS, EFFECTS, type ActivePolicy, type DecisionInput, type PolicyRule, type RepoFacts } from "../../../workers/src/domain/policy/types";

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("indexed evaluator = linear scan", () => {
  it("agrees on 5,000 random decisions over random policy sets", () => {
    const rand = rng(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const teams = ["team_a", "team_b", "team_c"];
    const repos: RepoFacts[] = ["x", "y", "z", "w"].map((n, i) => ({
      id: `repo_${n}`,
      name: `acme/${n}`,
      teamId: teams[i % teams.length]!,
      pathScopes: i === 0 ? [{ path: "infra/**", read: ["member"], write: ["admin"] }] : [],
    }));
    const repoNames = [...repos.map((r) => r.name), "acme/unregistered", "other/x"];
    const randomRule = (id: string): PolicyRule => {
      const when: PolicyRule["when"] = {};
      if (rand() < 0.6) when.actions = [pick(ACTION_KINDS), pick(ACTION_KINDS)];
      if (rand() < 0.3) when.repos = rand() < 0.5 ? [pick(repoNames)] : ["acme/*"];
      if (rand() < 0.2) when.paths = [pick(["src/**", "infra/**", "*.md"])];
      if (rand() < 0.2) when.commands = [pick(["npm *", "git push*", "ls"])];
      if (rand() < 0.15) when.org_roles = [pick(["member", "admin"])];
      if (rand() < 0.15) when.team_roles = ["lead"];
      if (rand() < 0.1) when.context_trust = "untrusted";
      if (rand() < 0.1) when.risk = ["high", "critical"];
      return { id, effect: pick(EFFECTS), reason: id, when };
    };
    for (let set = 0; set < 50; set++) {
      const policies: ActivePolicy[] = [
        { layer: "org", targetId: "org_1", version: 1, document: { rules: Array.from({ length: 20 }, (_, i) => randomRule(`o${i}`)) } },
        ...teams.map((t, k) => ({ layer: "team" as const, targetId: t, version: 1, document: { rules: Array.from({ length: 5 }, (_, i) => randomRule(`t${k}-${i}`)) } })),
        ...repos.map((r, k) => ({ layer: "repo" as const, targetId: r.id, version: 1, document: { rules: Array.from({ length: 5 }, (_, i) => randomRule(`r${k}-${i}`)) } })),
      ];
      const indexed = new CompiledPolicySet({ policies, repos });
      const linear = new LinearPolicySet({ policies, repos });
      for (let i = 0; i < 100; i++) {
        const input: DecisionInput = {
          actor: { id: "usr_1", kind: pick(["user", "agent"] as const), orgRole: pick(["member", "admin"]), teamRoles: rand() < 0.5 ? { [pick(teams)]: "lead" } : {} },
          teamId: rand() < 0.5 ? pick(teams) : null,
          repoName: pick(repoNames),
          action: pick(ACTION_KINDS),
          paths: rand() < 0.5 ? [pick(["src/a.ts", "infra/x.tf", "README.md"])] : [],
          command: rand() < 0.5 ? pick(["npm test", "git push --force", "ls", "rm -rf /"]) : null,
          tool: null,
          model: null,
          estimatedTokens: 0,
          risk: null,
          contextTrust: pick(["trusted", "untrusted", null] as const),
        };
        const now = new Date("2026-11-25T10:30:00Z");
        expect(indexed.evaluate(input, now)).toEqual(linear.evaluate(input, now));
      }
    }
  });
});
