// Policy replay: recorded decisions against a stricter draft give exact counts of what
// would change, with examples, and store nothing.
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, memberWithKey, signupOrg } from "./helpers";

const CURRENT = {
  rules: [
    { id: "allow-reads", effect: "allow", reason: "Reading is safe", when: { actions: ["read"] } },
    { id: "allow-tests", effect: "allow", reason: "Tests run freely", when: { actions: ["run_command"], commands: ["npm test", "npm run test:*"] } },
    { id: "deploys-ask", effect: "ask", reason: "Deploys need approval", when: { actions: ["deploy"] } },
    { id: "no-force-push", effect: "deny", reason: "No force pushes", when: { actions: ["git_push"], commands: ["git push --force*"] } },
  ],
};

const STRICTER = {
  rules: [
    ...CURRENT.rules.filter((r) => r.id !== "deploys-ask"),
    { id: "tests-only-in-ci", effect: "deny", reason: "Tests run in CI now", when: { actions: ["run_command"], commands: ["npm test", "npm run test:*"] } },
    { id: "src-reads-ask", effect: "ask", reason: "Source reads need a look", when: { actions: ["read"], paths: ["src/**"] } },
    { id: "no-deploys", effect: "deny", reason: "Deploy freeze", when: { actions: ["deploy"] } },
  ],
};

describe("policy simulation", () => {
  it("replays recorded decisions against a stricter draft and reports the exact changes", async () => {
    const org = await signupOrg("simulate");
    await callJson({ method: "POST", path: "/v1/policies", key: org.key, body: { layer: "org", document: CURRENT } }, 201);
    const dev = await memberWithKey(org, "member");
    const asks = [
      { action: "read", paths: ["src/a.ts"] },
      { action: "read", paths: ["src/b.ts"] },
      { action: "read", paths: ["README.md"] },
      { action: "read", paths: ["docs/guide.md"] },
      { action: "run_command", command: "npm test" },
      { action: "run_command", command: "npm run test:unit" },
      { action: "run_command", command: "npm run test:e2e" },
      { action: "deploy", command: "make deploy" },
      { action: "deploy", command: "make deploy-canary" },
      { action: "git_push", command: "git push --force origin main" },
    ];
    const recorded = [];
    for (const a of asks) recorded.push((await callJson({ method: "POST", path: "/v1/decisions", key: dev.key, body: { repo: "acme/app", ...a } }, 200)).body);
    expect(recorded.map((d) => d.decision)).toEqual(["allow", "allow", "allow", "allow", "allow", "allow", "allow", "ask", "ask", "deny"]);

    const policiesBefore = (await callJson({ path: "/v1/policies", key: org.key }, 200)).body;
    const result = (await callJson({ method: "POST", path: "/v1/policies/simulate", key: org.key, body: { draft: { layer: "org", document: STRICTER }, examples_per_change: 2 } }, 200)).body;
    expect(result).toMatchObject({ replayed: 10, changed: 7, unchanged: 3, truncated: false });
    expect(result.transitions).toEqual({ "allow→ask": 2, "allow→deny": 3, "ask→deny": 2 });
    expect(result.examples["allow→deny"]).toHaveLength(2);
    expect(result.examples["allow→deny"][0]).toMatchObject({ action: "run_command", before: { decision: "allow", rules: ["allow-tests"] }, after: { decision: "deny" } });
    expect(result.examples["ask→deny"].map((e: any) => e.decision_id).sort()).toEqual([recorded[7].decision_id, recorded[8].decision_id].sort());

    // Nothing stored: the draft is not a version.
    expect((await callJson({ path: "/v1/policies", key: org.key }, 200)).body).toEqual(policiesBefore);

    // A time range before the decisions replays nothing.
    const empty = (await callJson({ method: "POST", path: "/v1/policies/simulate", key: org.key, body: { draft: { layer: "org", document: STRICTER }, to: "2020-01-01T00:00:00Z" } }, 200)).body;
    expect(empty).toMatchObject({ replayed: 0, changed: 0 });
  });

  it("replays an approved decision as the ask it was, and a team draft only for that team", async () => {
    const org = await signupOrg("simulate-team");
    await callJson({ method: "POST", path: "/v1/policies", key: org.key, body: { layer: "org", document: CURRENT } }, 201);
    const other = (await callJson({ method: "POST", path: "/v1/teams", key: org.key, body: { name: "Other" } }, 201)).body;
    const dev = await memberWithKey(org, "member", { teamId: org.teamId, role: "member" });
    for (const team of [org.teamId, other.id]) {
      await callJson({ method: "POST", path: "/v1/decisions", key: dev.key, body: { repo: "acme/app", team, action: "read", paths: ["src/x.ts"] } }, 200);
    }
    const draft = { layer: "team", target_id: org.teamId, document: { rules: [{ id: "team-no-reads", effect: "deny", reason: "closed", when: { actions: ["read"] } }] } };
    const result = (await callJson({ method: "POST", path: "/v1/policies/simulate", key: org.key, body: { draft } }, 200)).body;
    expect(result).toMatchObject({ replayed: 2, changed: 1, transitions: { "allow→deny": 1 } });
    await expectProblem(await call({ method: "POST", path: "/v1/policies/simulate", key: dev.key, body: { draft } }), 403);
  });
});
