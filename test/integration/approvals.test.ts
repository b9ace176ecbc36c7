// Approvals end to end: an ask opens a request bound to the exact action; quorum, no
// self-approval, expiry by alarm, surviving a Durable Object restart, and an approved
// action re-asked becomes allow while a different command does not.
import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, memberWithKey, signupOrg, type Org } from "./helpers";

const POLICY = {
  rules: [
    { id: "allow-reads", effect: "allow", reason: "Reading is safe", when: { actions: ["read"] } },
    {
      id: "deploys-need-two",
      effect: "ask",
      reason: "Production deploys need two approvers",
      when: { actions: ["deploy"] },
      approval: { quorum: 2, approver_roles: ["lead", "admin", "owner"], expires_in_minutes: 30, valid_for_minutes: 15 },
    },
    { id: "pushes-need-one", effect: "ask", reason: "Pushes need a lead", when: { actions: ["git_push"] }, approval: { quorum: 1, approver_roles: ["lead"] } },
    { id: "no-secrets", effect: "deny", reason: "No secret access", when: { actions: ["secret_access"] } },
  ],
};

async function setup() {
  const org = await signupOrg("approvals");
  await callJson({ method: "POST", path: "/v1/policies", key: org.key, body: { layer: "org", document: POLICY } }, 201);
  await callJson({ method: "POST", path: "/v1/repos", key: org.key, body: { team_id: org.teamId, name: "acme/payments-api" } }, 201);
  const dev = await memberWithKey(org, "member", { teamId: org.teamId, role: "member" });
  const lead = await memberWithKey(org, "member", { teamId: org.teamId, role: "lead" });
  const admin = await memberWithKey(org, "admin");
  return { org, dev, lead, admin };
}

const ask = (key: string, body: Record<string, unknown>) => callJson({ method: "POST", path: "/v1/decisions", key, body }, 200).then((r) => r.body);
const DEPLOY = { repo: "acme/payments-api", action: "deploy", command: "npm run deploy:prod" };
const desk = (org: Org) => env.APPROVAL_DESK.getByName(org.teamId);

describe("approvals", () => {
  it("needs two distinct approvers for a quorum of 2, never the requester, then allows the same action", async () => {
    const { org, dev, lead, admin } = await setup();
    const first = await ask(dev.key, DEPLOY);
    expect(first).toMatchObject({ decision: "ask", matched_rules: [{ id: "deploys-need-two" }] });
    const approval = first.approval;
    expect(approval).toMatchObject({ status: "pending", quorum: 2, requester_id: dev.principalId, team_id: org.teamId, request_hash: first.request_hash });

    // Asking again while it waits returns the same request, not a second one.
    expect((await ask(dev.key, DEPLOY)).approval.id).toBe(approval.id);

    await expectProblem(await call({ method: "POST", path: `/v1/approvals/${approval.id}/approve`, key: dev.key }), 403);
    const waiting = (await callJson({ path: "/v1/approvals", key: lead.key }, 200)).body.data.map((a: any) => a.id);
    expect(waiting).toEqual([approval.id]);
    expect((await callJson({ path: "/v1/approvals", key: dev.key }, 200)).body.data).toEqual([]);

    const once = (await callJson({ method: "POST", path: `/v1/approvals/${approval.id}/approve`, key: lead.key, body: { reason: "looks fine" } }, 200)).body;
    expect(once).toMatchObject({ status: "pending", votes: [{ approver_id: lead.principalId, vote: "approve" }] });
    await expectProblem(await call({ method: "POST", path: `/v1/approvals/${approval.id}/approve`, key: lead.key }), 409);
    expect((await ask(dev.key, DEPLOY)).decision).toBe("ask");

    const twice = (await callJson({ method: "POST", path: `/v1/approvals/${approval.id}/approve`, key: admin.key }, 200)).body;
    expect(twice.status).toBe("approved");

    const again = await ask(dev.key, DEPLOY);
    expect(again).toMatchObject({ decision: "allow", matched_rules: [{ id: "deploys-need-two" }, { id: `approval:${approval.id}`, layer: "approval" }] });
    expect(again.approval.id).toBe(approval.id);

    // A different command is a different action: it does not ride on the approval.
    const other = await ask(dev.key, { ...DEPLOY, command: "npm run deploy:prod -- --skip-checks" });
    expect(other.decision).toBe("ask");
    expect(other.approval.id).not.toBe(approval.id);
    // Nor does the same command for someone else.
    expect((await ask(lead.key, DEPLOY)).decision).toBe("ask");

    const trail = (await callJson({ path: `/v1/audit?target=${approval.id}`, key: org.key }, 200)).body.data.map((e: any) => [e.action, e.actor.id]);
    expect(trail).toEqual([
      ["approval.approved", admin.principalId],
      ["approval.vote_recorded", lead.principalId],
      ["approval.requested", dev.principalId],
    ]);
  });

  it("lets one deny end a request, and only qualified roles vote", async () => {
    const { dev, lead, admin, org } = await setup();
    const push = await ask(dev.key, { repo: "acme/payments-api", action: "git_push", command: "git push origin feature/x" });
    await expectProblem(await call({ method: "POST", path: `/v1/approvals/${push.approval.id}/approve`, key: admin.key }), 403);
    await expectProblem(await call({ method: "POST", path: `/v1/approvals/${push.approval.id}/deny`, key: lead.key, body: {} }), 422);
    const denied = (await callJson({ method: "POST", path: `/v1/approvals/${push.approval.id}/deny`, key: lead.key, body: { reason: "not before the release" } }, 200)).body;
    expect(denied).toMatchObject({ status: "denied", votes: [{ vote: "deny", reason: "not before the release" }] });
    await expectProblem(await call({ method: "POST", path: `/v1/approvals/${push.approval.id}/approve`, key: lead.key }), 409);
    // A denied request does not allow; asking again opens a new one.
    const again = await ask(dev.key, { repo: "acme/payments-api", action: "git_push", command: "git push origin feature/x" });
    expect(again.decision).toBe("ask");
    expect(again.approval.id).not.toBe(push.approval.id);
    void org;
  });

  it("expires by alarm and reads as expired", async () => {
    const { org, dev, lead } = await setup();
    const pending = (await ask(dev.key, DEPLOY)).approval;
    await runInDurableObject(desk(org), async (_i, state) => {
      const row = state.storage.sql.exec<{ data: string }>("SELECT data FROM approvals WHERE id = ?", pending.id).one();
      const data = { ...JSON.parse(row.data), expiresAt: new Date(Date.now() - 1000).toISOString() };
      state.storage.sql.exec("UPDATE approvals SET data = ?, expires_at = ? WHERE id = ?", JSON.stringify(data), Date.now() - 1000, pending.id);
      // The alarm the desk set for the original expiry (30 minutes out) is still scheduled.
      expect(await state.storage.getAlarm()).toBeGreaterThan(Date.now() + 25 * 60_000);
    });
    // Fire that alarm now, as the runtime would at its time.
    expect(await runDurableObjectAlarm(desk(org))).toBe(true);
    expect((await callJson({ path: `/v1/approvals/${pending.id}`, key: dev.key }, 200)).body.status).toBe("expired");
    await expectProblem(await call({ method: "POST", path: `/v1/approvals/${pending.id}/approve`, key: lead.key }), 409);
    const events = (await callJson({ path: `/v1/audit?target=${pending.id}`, key: org.key }, 200)).body.data.map((e: any) => [e.action, e.actor.id]);
    expect(events[0]).toEqual(["approval.expired", "system"]);
    expect((await callJson({ path: "/v1/audit/verify", key: org.key }, 200)).body.ok).toBe(true);
  });

  it("loses no approval state when the Durable Object restarts in the middle", async () => {
    const { org, dev, lead, admin } = await setup();
    const pending = (await ask(dev.key, DEPLOY)).approval;
    await callJson({ method: "POST", path: `/v1/approvals/${pending.id}/approve`, key: lead.key }, 200);
    await abortAllDurableObjects();
    const after = (await callJson({ path: `/v1/approvals/${pending.id}`, key: org.key }, 200)).body;
    expect(after).toMatchObject({ status: "pending", votes: [{ approver_id: lead.principalId }] });
    await callJson({ method: "POST", path: `/v1/approvals/${pending.id}/approve`, key: admin.key }, 200);
    expect((await ask(dev.key, DEPLOY)).decision).toBe("allow");
  });

  it("opens explicit requests with a reason and ticket, refuses what policy denies or allows, and cancels", async () => {
    const { org, dev, lead } = await setup();
    const opened = (await callJson({ method: "POST", path: "/v1/approvals", key: dev.key, body: { ...DEPLOY, reason: "hotfix for INC-42", ticket_url: "https://tickets.example.com/INC-42" } }, 201)).body;
    expect(opened).toMatchObject({ status: "pending", reason: "hotfix for INC-42", ticket_url: "https://tickets.example.com/INC-42" });
    await expectProblem(await call({ method: "POST", path: "/v1/approvals", key: dev.key, body: { repo: "acme/payments-api", action: "secret_access", reason: "please" } }), 403);
    await expectProblem(await call({ method: "POST", path: "/v1/approvals", key: dev.key, body: { repo: "acme/payments-api", action: "read", reason: "please" } }), 409);
    const mine = (await callJson({ path: "/v1/approvals?view=mine", key: dev.key }, 200)).body.data.map((a: any) => a.id);
    expect(mine).toContain(opened.id);
    const cancelled = (await callJson({ method: "POST", path: `/v1/approvals/${opened.id}/cancel`, key: dev.key }, 200)).body;
    expect(cancelled.status).toBe("cancelled");
    await expectProblem(await call({ method: "POST", path: `/v1/approvals/${opened.id}/approve`, key: lead.key }), 409);
    const other = await signupOrg("intruder");
    await expectProblem(await call({ path: `/v1/approvals/${opened.id}`, key: other.key }), 404);
    void org;
  });
});
