// Policies and decisions through the API: versions and activation, layered answers,
// repo path scopes, evidence in the audit chain, and validation of the request.
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, memberWithKey, signupOrg, unique, type Org } from "./helpers";

const ORG_POLICY = {
  default_effect: "ask",
  rules: [
    { id: "allow-reads", effect: "allow", reason: "Reading is safe", when: { actions: ["read"] } },
    { id: "allow-tests", effect: "allow", reason: "Tests run freely", when: { actions: ["run_command"], commands: ["npm test", "npm run test:*"] } },
    { id: "no-force-push", effect: "deny", reason: "Force pushes rewrite shared history", when: { actions: ["git_push"], commands: ["git push --force*", "git push -f*"] } },
  ],
};

async function orgWithPolicy(): Promise<Org & { repoId: string }> {
  const org = await signupOrg("gov");
  await callJson({ method: "POST", path: "/v1/policies", key: org.key, body: { layer: "org", document: ORG_POLICY } }, 201);
  const repo = await callJson(
    {
      method: "POST",
      path: "/v1/repos",
      key: org.key,
      body: { team_id: org.teamId, name: "acme/payments-api", path_scopes: [{ path: "infra/**", read: ["member", "admin", "owner"], write: ["admin", "owner"] }] },
    },
    201,
  );
  return { ...org, repoId: repo.body.id };
}

const decide = (key: string, body: Record<string, unknown>) => callJson({ method: "POST", path: "/v1/decisions", key, body }, 200).then((r) => r.body);

describe("decisions", () => {
  it("answers allow, ask and deny with the rules and versions that decided, and records each as evidence", async () => {
    const org = await orgWithPolicy();
    const dev = await memberWithKey(org, "member");

    const read = await decide(dev.key, { repo: "acme/payments-api", action: "read", paths: ["src/app.ts"] });
    expect(read).toMatchObject({ decision: "allow", matched_rules: [{ id: "allow-reads", layer: "org" }], policy_versions: { org: 1 }, team_id: org.teamId, repo_registered: true });

    const tests = await decide(dev.key, { repo: "acme/payments-api", action: "run_command", command: "npm run test:unit" });
    expect(tests.decision).toBe("allow");

    const push = await decide(dev.key, { repo: "acme/payments-api", action: "git_push", command: "git push --force origin main" });
    expect(push).toMatchObject({ decision: "deny", reason: "Force pushes rewrite shared history", risk: "high" });

    const deploy = await decide(dev.key, { repo: "acme/payments-api", action: "deploy" });
    expect(deploy).toMatchObject({ decision: "ask", matched_rules: [] });

    const infra = await decide(dev.key, { repo: "acme/payments-api", action: "edit", paths: ["infra/main.tf"] });
    expect(infra).toMatchObject({ decision: "deny", matched_rules: [{ id: "path_scope:infra/**", layer: "path_scope" }] });

    const events = (await callJson({ path: "/v1/audit?action=decision.made", key: org.key }, 200)).body.data;
    expect(events.map((e: any) => e.details.decision_id)).toEqual([infra, deploy, push, tests, read].map((d) => d.decision_id));
    const evidence = events[2].details;
    expect(evidence).toMatchObject({ decision: "deny", policy_versions: { org: 1 }, request_hash: push.request_hash });
    expect(evidence.input).toMatchObject({ action: "git_push", command: "git push --force origin main", actor: { id: dev.principalId } });
    expect(events[2].actor.id).toBe(dev.principalId);
    expect((await callJson({ path: "/v1/audit/verify", key: org.key }, 200)).body.ok).toBe(true);
  });

  it("applies a new version at once, and an older one again when reactivated", async () => {
    const org = await orgWithPolicy();
    const stricter = { rules: [...ORG_POLICY.rules, { id: "team-no-reads-of-secrets", effect: "deny", reason: "Secrets stay closed", when: { paths: ["**/*.pem"] } }] };
    const created = (await callJson({ method: "POST", path: "/v1/policies", key: org.key, body: { layer: "team", target_id: org.teamId, document: stricter, note: "close pem files" } }, 201)).body;
    expect(created.version).toMatchObject({ version: 1, note: "close pem files" });

    const ask = { repo: "acme/payments-api", action: "read", paths: ["certs/server.pem"] };
    expect((await decide(org.key, ask)).decision).toBe("deny");

    const relaxed = (await callJson({ method: "POST", path: "/v1/policies", key: org.key, body: { layer: "team", target_id: org.teamId, document: { rules: [] } } }, 201)).body;
    expect(relaxed.policy.active_version).toBe(2);
    expect((await decide(org.key, ask))).toMatchObject({ decision: "allow", policy_versions: { org: 1, [`team:${org.teamId}`]: 2 } });

    await callJson({ method: "POST", path: `/v1/policies/${created.policy.id}/versions/1/activate`, key: org.key }, 200);
    expect((await decide(org.key, ask))).toMatchObject({ decision: "deny", policy_versions: { [`team:${org.teamId}`]: 1 } });

    const history = (await callJson({ path: `/v1/policies/${created.policy.id}`, key: org.key }, 200)).body;
    expect(history).toMatchObject({ active_version: 1, latest_version: 2 });
    expect(history.versions.map((v: any) => v.version)).toEqual([2, 1]);
    const v1 = (await callJson({ path: `/v1/policies/${created.policy.id}/versions/1`, key: org.key }, 200)).body;
    expect(v1.document.rules.map((r: any) => r.id)).toContain("team-no-reads-of-secrets");
    const actions = (await callJson({ path: `/v1/audit?target=${created.policy.id}`, key: org.key }, 200)).body.data.map((e: any) => e.action);
    expect(actions).toEqual(["policy.activated", "policy.activated", "policy.version_created", "policy.activated", "policy.version_created"]);
  });

  it("writes a version without activating it when asked, and a lead writes only their team's", async () => {
    const org = await orgWithPolicy();
    const draft = (await callJson({ method: "POST", path: "/v1/policies", key: org.key, body: { layer: "org", document: { rules: [] }, activate: false } }, 201)).body;
    expect(draft.policy).toMatchObject({ active_version: 1, latest_version: 2 });
    expect((await decide(org.key, { repo: "acme/payments-api", action: "read" })).decision).toBe("allow");

    const other = (await callJson({ method: "POST", path: "/v1/teams", key: org.key, body: { name: "Search" } }, 201)).body;
    const lead = await memberWithKey(org, "member", { teamId: org.teamId, role: "lead" });
    await callJson({ method: "POST", path: "/v1/policies", key: lead.key, body: { layer: "repo", target_id: org.repoId, document: { rules: [] } } }, 201);
    await expectProblem(await call({ method: "POST", path: "/v1/policies", key: lead.key, body: { layer: "team", target_id: other.id, document: { rules: [] } } }), 403);
    await expectProblem(await call({ method: "POST", path: "/v1/policies", key: lead.key, body: { layer: "org", document: { rules: [] } } }), 403);
  });

  it("refuses invalid policies and requests with a problem naming the field", async () => {
    const org = await orgWithPolicy();
    const cases: [unknown, string][] = [
      [{ layer: "org", document: { rules: [{ id: "x", effect: "maybe", reason: "r" }] } }, "body.document.rules.0.effect"],
      [{ layer: "org", document: { rules: [{ id: "x", effect: "deny", reason: "r", when: { actions: ["fly"] } }] } }, "body.document.rules.0.when.actions.0"],
      [{ layer: "org", document: { rules: [{ id: "x", effect: "deny", reason: "r", when: { time_window: { start: "25:00", end: "06:00" } } }] } }, "body.document.rules.0.when.time_window.start"],
      [{ layer: "org", document: { rules: [{ id: "x", effect: "deny", reason: "r", when: { time_window: { start: "09:00", end: "17:00", timezone: "Mars/Olympus" } } }] } }, "body.document.rules.0.when.time_window.timezone"],
      [{ layer: "org", document: { rules: [{ id: "x", effect: "deny", reason: "r", when: { paths: ["../etc/*"] } }] } }, "body.document.rules.0.when.paths.0"],
      [{ layer: "org", document: { rules: [{ id: "x", effect: "deny", reason: "r" }, { id: "x", effect: "allow", reason: "r" }] } }, "body.document.rules.1.id"],
      [{ layer: "org", document: { rules: [{ id: "x", effect: "deny", reason: "r", when: { typo: 1 } }] } }, "body.document.rules.0.when.typo"],
      [{ layer: "team", document: { rules: [] } }, "body.target_id"],
      [{ layer: "team", target_id: org.teamId, document: { default_effect: "allow", rules: [] } }, "body.document.default_effect"],
    ];
    for (const [body, path] of cases) {
      const p = await expectProblem(await call({ method: "POST", path: "/v1/policies", key: org.key, body }), 422);
      expect(p.issues.map((i: any) => i.path)).toContain(path);
    }
    const bad = await expectProblem(await call({ method: "POST", path: "/v1/decisions", key: org.key, body: { repo: "acme/x", action: "teleport", paths: ["/etc/passwd"] } }), 422);
    expect(bad.issues.map((i: any) => i.path)).toEqual(expect.arrayContaining(["body.action", "body.paths.0"]));
    await expectProblem(await call({ method: "POST", path: "/v1/decisions", key: org.key, body: { repo: "acme/x", action: "read", team: "team_nosuchteamatallxx" } }), 404);
    // Paths a glob would miss but git would not: refused, so no rule or scope can be sidestepped.
    for (const sneaky of ["./infra/main.tf", "infra/./main.tf", "infra//main.tf", "infra/", "infra\\main.tf", "src/../infra/x"]) {
      const p = await expectProblem(await call({ method: "POST", path: "/v1/decisions", key: org.key, body: { repo: "acme/payments-api", action: "edit", paths: [sneaky] } }), 422);
      expect(p.issues[0].path).toBe("body.paths.0");
    }
  });

  it("lets an agent ask on a member's behalf, but not a member for someone else", async () => {
    const org = await orgWithPolicy();
    const dev = await memberWithKey(org, "member");
    const agent = (await callJson({ method: "POST", path: "/v1/principals", key: org.key, body: { kind: "agent", name: unique("bot") } }, 201)).body;
    const agentKey = (await callJson({ method: "POST", path: "/v1/keys", key: org.key, body: { name: "bot", principal_id: agent.id } }, 201)).body.key;
    const onBehalf = await decide(agentKey, { repo: "acme/payments-api", action: "edit", actor: dev.principalId, paths: ["infra/x.tf"] });
    expect(onBehalf.decision).toBe("deny");
    const events = (await callJson({ path: `/v1/audit?action=decision.made&actor=${agent.id}`, key: org.key }, 200)).body.data;
    expect(events[0].details.input.actor.id).toBe(dev.principalId);
    await expectProblem(await call({ method: "POST", path: "/v1/decisions", key: dev.key, body: { repo: "acme/payments-api", action: "read", actor: org.ownerId } }), 403);
  });
});
