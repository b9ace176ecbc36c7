// Sign-up, teams, members, principals and repos as an admin and a team lead would use them.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { call, callJson, expectProblem, memberWithKey, rowCounts, flushAudit, signupOrg, unique } from "./helpers";

describe("sign-up", () => {
  it("creates org, owner, default team led by the owner and a hashed key in one call", async () => {
    const org = await signupOrg("signup");
    const row = await env.DB.prepare("SELECT prefix, secret_hash FROM api_keys WHERE id = ?").bind(org.keyId).first<{ prefix: string; secret_hash: string }>();
    expect(org.key.startsWith(`${row!.prefix}_`)).toBe(true);
    expect(row!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.secret_hash).not.toContain(org.key.split("_")[2]);
    const members = (await callJson({ path: `/v1/teams/${org.teamId}/members`, key: org.key }, 200)).body.data;
    expect(members).toEqual([expect.objectContaining({ role: "lead", principal: expect.objectContaining({ id: org.ownerId, org_role: "owner" }) })]);
  });

  it("answers 409 for a taken slug or owner email and writes nothing", async () => {
    const org = await signupOrg("dup");
    const email = (await callJson({ path: "/v1/me", key: org.key }, 200)).body.email;
    await flushAudit([org.orgId]);
    const before = await rowCounts();
    await expectProblem(await call({ method: "POST", path: "/v1/signup", body: { org_name: "Other", org_slug: org.slug, owner_email: `${unique("x")}@example.com`, owner_name: "X" } }), 409);
    await expectProblem(await call({ method: "POST", path: "/v1/signup", body: { org_name: unique("Other"), owner_email: email.toUpperCase(), owner_name: "X" } }), 409);
    expect(await rowCounts()).toEqual(before);
  });
});

describe("teams and members", () => {
  it("lets a lead rename their team and manage its members, but not another team's", async () => {
    const org = await signupOrg("lead");
    const mine = (await callJson({ method: "POST", path: "/v1/teams", key: org.key, body: { name: "Payments" } }, 201)).body;
    const theirs = (await callJson({ method: "POST", path: "/v1/teams", key: org.key, body: { name: "Search" } }, 201)).body;
    const lead = await memberWithKey(org, "member", { teamId: mine.id, role: "lead" });
    const dev = await memberWithKey(org, "member");

    expect((await callJson({ method: "PATCH", path: `/v1/teams/${mine.id}`, key: lead.key, body: { name: "Payments Core" } }, 200)).body.name).toBe("Payments Core");
    await callJson({ method: "PUT", path: `/v1/teams/${mine.id}/members/${dev.principalId}`, key: lead.key, body: { role: "member" } }, 200);
    await callJson({ method: "PUT", path: `/v1/teams/${mine.id}/members/${dev.principalId}`, key: lead.key, body: { role: "lead" } }, 200);
    await expectProblem(await call({ method: "PATCH", path: `/v1/teams/${theirs.id}`, key: lead.key, body: { name: "Mine now" } }), 403);
    await expectProblem(await call({ method: "PUT", path: `/v1/teams/${theirs.id}/members/${dev.principalId}`, key: lead.key, body: { role: "lead" } }), 403);

    const roles = (await callJson({ path: `/v1/teams/${mine.id}/members`, key: dev.key }, 200)).body.data.map((m: any) => [m.principal.id, m.role]);
    expect(roles).toEqual(expect.arrayContaining([[lead.principalId, "lead"], [dev.principalId, "lead"]]));
    const events = (await callJson({ path: `/v1/audit?target=${mine.id}`, key: org.key }, 200)).body.data.map((e: any) => e.action);
    expect(events).toEqual(["team.member_role_changed", "team.member_added", "team.renamed", "team.created"]);
  });

  it("archives a team: hidden from the default list, no new members or repos", async () => {
    const org = await signupOrg("archive");
    const team = (await callJson({ method: "POST", path: "/v1/teams", key: org.key, body: { name: "Legacy" } }, 201)).body;
    await callJson({ method: "POST", path: `/v1/teams/${team.id}/archive`, key: org.key }, 200);
    await expectProblem(await call({ method: "POST", path: `/v1/teams/${team.id}/archive`, key: org.key }), 409);
    const listed = (await callJson({ path: "/v1/teams", key: org.key }, 200)).body.data.map((t: any) => t.id);
    expect(listed).not.toContain(team.id);
    const all = (await callJson({ path: "/v1/teams?include_archived=true", key: org.key }, 200)).body.data.map((t: any) => t.id);
    expect(all).toContain(team.id);
    await expectProblem(await call({ method: "POST", path: "/v1/repos", key: org.key, body: { team_id: team.id, name: "acme/old" } }), 409);
    await expectProblem(await call({ method: "PUT", path: `/v1/teams/${team.id}/members/${org.ownerId}`, key: org.key, body: { role: "member" } }), 409);
  });

  it("pages lists with an opaque cursor, newest first, without repeats", async () => {
    const org = await signupOrg("pages");
    for (let i = 0; i < 5; i++) await callJson({ method: "POST", path: "/v1/teams", key: org.key, body: { name: `team ${i}` } }, 201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : "";
      const pageBody: any = (await callJson({ path: `/v1/teams?limit=2${q}`, key: org.key }, 200)).body;
      seen.push(...pageBody.data.map((t: any) => t.id));
      cursor = pageBody.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
  });
});

describe("principals", () => {
  it("adds members by email, agents and services; only owners touch owners; the last owner stays", async () => {
    const org = await signupOrg("principals");
    const admin = await memberWithKey(org, "admin");
    const agent = (await callJson({ method: "POST", path: "/v1/principals", key: admin.key, body: { kind: "agent", name: "claude-code-ci", teams: [{ team_id: org.teamId, role: "member" }] } }, 201)).body;
    expect(agent.id).toMatch(/^agt_/);
    const svc = (await callJson({ method: "POST", path: "/v1/principals", key: admin.key, body: { kind: "service", name: "jira-bot" } }, 201)).body;
    expect(svc.id).toMatch(/^svc_/);
    await expectProblem(await call({ method: "POST", path: "/v1/principals", key: admin.key, body: { kind: "agent", name: "x", email: "a@b.c" } }), 422);
    const user = (await callJson({ method: "POST", path: "/v1/principals", key: admin.key, body: { kind: "user", email: "Dup@Example.com", name: "A" } }, 201)).body;
    expect(user).toMatchObject({ kind: "user", email: "dup@example.com", org_role: "member" });
    await expectProblem(await call({ method: "POST", path: "/v1/principals", key: admin.key, body: { kind: "user", email: "dup@example.com", name: "B" } }), 409);

    await expectProblem(await call({ method: "POST", path: "/v1/principals", key: admin.key, body: { kind: "user", email: `${unique("o")}@example.com`, name: "O", org_role: "owner" } }), 403);
    await expectProblem(await call({ method: "PATCH", path: `/v1/principals/${org.ownerId}`, key: admin.key, body: { org_role: "member" } }), 403);
    await expectProblem(await call({ method: "DELETE", path: `/v1/principals/${org.ownerId}`, key: admin.key }), 403);
    await expectProblem(await call({ method: "PATCH", path: `/v1/principals/${org.ownerId}`, key: org.key, body: { org_role: "admin" } }), 409);
    await expectProblem(await call({ method: "DELETE", path: `/v1/principals/${org.ownerId}`, key: org.key }), 409);

    const agents = (await callJson({ path: "/v1/principals?kind=agent", key: admin.key }, 200)).body.data.map((p: any) => p.id);
    expect(agents).toEqual([agent.id]);
  });
});

describe("repos", () => {
  it("registers a repo with path scopes, validates globs and roles, and refuses duplicates", async () => {
    const org = await signupOrg("repos");
    const scopes = [
      { path: "src/**", read: ["member"], write: ["lead", "admin"] },
      { path: "infra/terraform/**", read: ["admin"], write: ["owner"] },
    ];
    const repo = (await callJson({ method: "POST", path: "/v1/repos", key: org.key, body: { team_id: org.teamId, name: "acme/payments-api", url: "https://github.com/acme/payments-api", path_scopes: scopes } }, 201)).body;
    expect(repo).toMatchObject({ name: "acme/payments-api", default_branch: "main", path_scopes: scopes });
    await expectProblem(await call({ method: "POST", path: "/v1/repos", key: org.key, body: { team_id: org.teamId, name: "acme/payments-api" } }), 409);
    const bad = await expectProblem(await call({ method: "POST", path: "/v1/repos", key: org.key, body: { team_id: org.teamId, name: "acme/x", path_scopes: [{ path: "../etc/**", read: ["root"], write: [] }] } }), 422);
    expect(bad.issues.map((i: any) => i.path)).toEqual(expect.arrayContaining(["body.path_scopes.0.path", "body.path_scopes.0.read.0"]));
    const moved = (await callJson({ method: "POST", path: "/v1/teams", key: org.key, body: { name: "Platform" } }, 201)).body;
    expect((await callJson({ method: "PATCH", path: `/v1/repos/${repo.id}`, key: org.key, body: { team_id: moved.id } }, 200)).body.team_id).toBe(moved.id);
    expect((await callJson({ path: `/v1/repos?team_id=${moved.id}`, key: org.key }, 200)).body.data.map((r: any) => r.id)).toEqual([repo.id]);
  });
});
