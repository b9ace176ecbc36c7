// The decision hot path reads credentials from a per-isolate cache; these tests hold it to
// the same promises as every other route: a revoked key fails on its next decision, and a
// changed role or team membership counts from the next decision on.
import { abortAllDurableObjects, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, memberWithKey, signupOrg } from "./helpers";

const POLICY = {
  rules: [
    { id: "admins-deploy", effect: "allow", reason: "Admins deploy", when: { actions: ["deploy"], org_roles: ["admin"] } },
    { id: "leads-merge", effect: "allow", reason: "Leads merge", when: { actions: ["merge"], team_roles: ["lead"] } },
  ],
};

const decide = (key: string, action: string) => call({ method: "POST", path: "/v1/decisions", key, body: { repo: "acme/app", action } });

async function setup() {
  const org = await signupOrg("cred-cache");
  await callJson({ method: "POST", path: "/v1/policies", key: org.key, body: { layer: "org", document: POLICY } }, 201);
  await callJson({ method: "POST", path: "/v1/repos", key: org.key, body: { team_id: org.teamId, name: "acme/app" } }, 201);
  return org;
}

describe("credentials on the decision path", () => {
  it("refuses a revoked key on its next decision", async () => {
    const org = await setup();
    const dev = await memberWithKey(org, "member");
    expect((await decide(dev.key, "read")).status).toBe(200);
    expect((await decide(dev.key, "read")).status).toBe(200); // now from the cache
    await callJson({ method: "POST", path: `/v1/keys/${dev.keyId}/revoke`, key: org.key }, 200);
    await expectProblem(await decide(dev.key, "read"), 401);
  });

  it("refuses a removed principal on its next decision", async () => {
    const org = await setup();
    const dev = await memberWithKey(org, "member");
    expect((await decide(dev.key, "read")).status).toBe(200);
    await callJson({ method: "DELETE", path: `/v1/principals/${dev.principalId}`, key: org.key }, 200);
    await expectProblem(await decide(dev.key, "read"), 401);
  });

  it("sees a new org role and a new team role from the next decision on", async () => {
    const org = await setup();
    const dev = await memberWithKey(org, "member", { teamId: org.teamId, role: "member" });
    expect((await (await decide(dev.key, "deploy")).json<any>()).decision).toBe("ask");
    await callJson({ method: "PATCH", path: `/v1/principals/${dev.principalId}`, key: org.key, body: { org_role: "admin" } }, 200);
    const afterPromotion = await decide(dev.key, "deploy");
    expect(await afterPromotion.clone().text()).toContain("allow");
    expect((await afterPromotion.json<any>()).decision).toBe("allow");

    expect((await (await decide(dev.key, "merge")).json<any>()).decision).toBe("ask");
    await callJson({ method: "PUT", path: `/v1/teams/${org.teamId}/members/${dev.principalId}`, key: org.key, body: { role: "lead" } }, 200);
    expect((await (await decide(dev.key, "merge")).json<any>()).decision).toBe("allow");
    await callJson({ method: "DELETE", path: `/v1/teams/${org.teamId}/members/${dev.principalId}`, key: org.key }, 204);
    expect((await (await decide(dev.key, "merge")).json<any>()).decision).toBe("ask");
  });

  it("reloads cached grants after the desk restarts (its change feed starts empty)", async () => {
    const org = await setup();
    const dev = await memberWithKey(org, "member");
    expect((await decide(dev.key, "read")).status).toBe(200);
    await abortAllDurableObjects();
    expect((await decide(dev.key, "read")).status).toBe(200);
    await callJson({ method: "POST", path: `/v1/keys/${dev.keyId}/revoke`, key: org.key }, 200);
    await expectProblem(await decide(dev.key, "read"), 401);
  });
});

describe("the DecisionDesk's credential change feed (what another isolate's cache relies on)", () => {
  it("refuses cached grants read before a change, and accepts grants read from D1", async () => {
    const org = await setup();
    const desk = env.DECISION_DESK.getByName(org.orgId);
    const request = (credentials: { loadedAt: number; fromCache: boolean }) => ({
      orgId: org.orgId,
      credentials: { ids: [org.keyId, org.ownerId], ...credentials },
      input: {
        actor: { id: org.ownerId, kind: "user" as const, orgRole: "owner", teamRoles: {} },
        teamId: null,
        repoName: "acme/app",
        action: "read" as const,
        paths: [],
        command: null,
        tool: null,
        model: null,
        estimatedTokens: 0,
        risk: null,
        contextTrust: "trusted" as const,
      },
      asker: { id: org.ownerId, kind: "user", keyId: org.keyId },
      client: null,
      evidence: { requestId: "req_test", ip: null, userAgent: null },
    });
    expect(await desk.decide(request({ loadedAt: Date.now(), fromCache: true }))).not.toHaveProperty("refused");
    const before = Date.now();
    await desk.credentialsChanged([org.keyId]);
    expect(await desk.decide(request({ loadedAt: before, fromCache: true }))).toEqual({ refused: "stale_credential" });
    expect(await desk.decide(request({ loadedAt: Date.now(), fromCache: false }))).not.toHaveProperty("refused");
    // A principal change counts the same way as a key change.
    await desk.credentialsChanged([org.ownerId]);
    expect(await desk.decide(request({ loadedAt: before, fromCache: true }))).toEqual({ refused: "stale_credential" });
  });
});
