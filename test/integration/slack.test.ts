// Slack end to end against the local fake Slack (test/fakes/fake-slack.ts): a new approval
// posts to the team channel with working buttons; /sysop approve and the Approve button
// flip the decision to allow; bad signatures, stale timestamps and replays get 401 and
// change nothing.
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { callJson, expectProblem, flushAudit, memberWithKey, signupOrg, unique } from "./helpers";
import { signSlackRequest } from "../../workers/src/integrations/slack/signature";
import { githubIssueBody, postGitHub } from "./webhook-kit";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5"; // vitest.config.ts TEST_SLACK_SIGNING_SECRET
const FAKE = env.SLACK_HOOKS_BASE;

const POLICY = {
  rules: [
    { id: "deploys-ask", effect: "ask", reason: "Deploys need a lead's yes", when: { actions: ["deploy"] }, approval: { quorum: 1, approver_roles: ["lead", "admin"] } },
  ],
};

async function slackOrg() {
  const org = await signupOrg("slack");
  await callJson({ method: "POST", path: "/v1/policies", key: org.key, body: { layer: "org", document: POLICY } }, 201);
  await callJson({ method: "POST", path: "/v1/repos", key: org.key, body: { team_id: org.teamId, name: "acme/payments-api" } }, 201);
  const slackTeam = `T${unique("w").replace(/[^a-z0-9]/g, "").toUpperCase().slice(0, 12)}`;
  const botToken = `xoxb-${unique("bot").replace(/[^a-z0-9]/g, "")}`;
  await callJson({ method: "PUT", path: "/v1/org/slack", key: org.key, body: { team_id: slackTeam, bot_token: botToken } }, 200);
  const hook = `/services/${slackTeam}/B0001/${unique("hook").replace(/[^a-z0-9]/g, "")}`;
  await callJson({ method: "PATCH", path: `/v1/teams/${org.teamId}`, key: org.key, body: { slack_webhook_url: `https://hooks.slack.com${hook}` } }, 200);
  const dev = await memberWithKey(org, "member", { teamId: org.teamId, role: "member" });
  const lead = await memberWithKey(org, "member", { teamId: org.teamId, role: "lead" });
  const leadEmail = (await callJson({ path: `/v1/principals/${lead.principalId}`, key: org.key }, 200)).body.email;
  const leadSlackId = `U${unique("u").replace(/[^a-z0-9]/g, "").toUpperCase().slice(0, 10)}`;
  await fetch(`${FAKE}/__fake/users`, { method: "POST", body: JSON.stringify({ user_id: leadSlackId, token: botToken, email: leadEmail }) });
  return { org, dev, lead, slackTeam, leadSlackId, hook };
}

async function received(path: string): Promise<any[]> {
  // The notification is sent in the background (waitUntil); give it a moment.
  for (let i = 0; i < 50; i++) {
    const all = (await (await fetch(`${FAKE}/__fake/received`)).json()) as any[];
    const mine = all.filter((r) => r.path.startsWith(path));
    if (mine.length > 0) return mine;
    await new Promise((r) => setTimeout(r, 20));
  }
  return [];
}

async function signed(path: string, body: string, opts: { timestamp?: number; secret?: string } = {}) {
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = await signSlackRequest(opts.secret ?? SECRET, ts, body);
  const req = () =>
    SELF.fetch(`https://sysop.test${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts, "x-slack-signature": signature },
      body,
    });
  return { send: req };
}

const commandForm = (slackTeam: string, userId: string, text: string) =>
  new URLSearchParams({
    token: "deprecated",
    team_id: slackTeam,
    team_domain: "acme",
    channel_id: "C0001",
    channel_name: "payments",
    user_id: userId,
    user_name: "lead",
    command: "/sysop",
    text,
    api_app_id: "A0001",
    response_url: `https://hooks.slack.com/commands/${slackTeam}/1/abc`,
    trigger_id: "1.2.3",
  }).toString();

const ask = (key: string, command: string) =>
  callJson({ method: "POST", path: "/v1/decisions", key, body: { repo: "acme/payments-api", action: "deploy", command } }, 200).then((r) => r.body);

describe("Slack", () => {
  it("posts new approvals to the team channel, and /sysop approve flips the decision to allow", async () => {
    const s = await slackOrg();
    const first = await ask(s.dev.key, "make deploy");
    expect(first.decision).toBe("ask");
    const posted = await received(s.hook);
    expect(posted).toHaveLength(1);
    expect(posted[0].problems).toEqual([]);
    const buttons = posted[0].body.blocks.flatMap((b: any) => b.elements ?? []).filter((e: any) => e.type === "button");
    expect(buttons.map((b: any) => [b.action_id, b.value])).toEqual([
      ["sysop_approve", first.approval.id],
      ["sysop_deny", first.approval.id],
    ]);

    const res = await (await signed("/v1/slack/commands", commandForm(s.slackTeam, s.leadSlackId, `approve ${first.approval.id}`))).send();
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).toContain("approved");
    expect((await ask(s.dev.key, "make deploy")).decision).toBe("allow");

    const votes = (await callJson({ path: `/v1/audit?target=${first.approval.id}`, key: s.org.key }, 200)).body.data;
    expect(votes[0]).toMatchObject({ action: "approval.approved", actor: { id: s.lead.principalId }, user_agent: "Slack" });
  });

  it("makes the Approve button work and updates the message through response_url", async () => {
    const s = await slackOrg();
    const pending = (await ask(s.dev.key, "make deploy-canary")).approval;
    const responsePath = `/actions/${s.slackTeam}/2/${unique("r").replace(/[^a-z0-9]/g, "")}`;
    const payload = {
      type: "block_actions",
      user: { id: s.leadSlackId, username: "lead", team_id: s.slackTeam },
      team: { id: s.slackTeam, domain: "acme" },
      api_app_id: "A0001",
      trigger_id: "9.8.7",
      response_url: `https://hooks.slack.com${responsePath}`,
      container: { type: "message", message_ts: "1700000000.000100", channel_id: "C0001" },
      actions: [{ type: "button", action_id: "sysop_approve", block_id: `sysop_approval:${pending.id}`, value: pending.id, action_ts: "1700000001.0001" }],
    };
    const res = await (await signed("/v1/slack/interactions", new URLSearchParams({ payload: JSON.stringify(payload) }).toString())).send();
    expect(res.status).toBe(200);
    expect((await callJson({ path: `/v1/approvals/${pending.id}`, key: s.org.key }, 200)).body.status).toBe("approved");
    const update = await received(responsePath);
    expect(update).toHaveLength(1);
    expect(update[0].body.replace_original).toBe(true);
    expect(JSON.stringify(update[0].body)).toContain("Approved");
    expect((await ask(s.dev.key, "make deploy-canary")).decision).toBe("allow");
  });

  it("refuses an unsigned, badly signed, stale or replayed request with 401 and changes nothing", async () => {
    const s = await slackOrg();
    const pending = (await ask(s.dev.key, "make deploy")).approval;
    const body = commandForm(s.slackTeam, s.leadSlackId, `approve ${pending.id}`);
    await flushAudit([s.org.orgId]);
    const headBefore = (await callJson({ path: "/v1/audit/verify", key: s.org.key }, 200)).body.head;

    const unsigned = await SELF.fetch("https://sysop.test/v1/slack/commands", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    await expectProblem(unsigned, 401);
    await expectProblem(await (await signed("/v1/slack/commands", body, { secret: "not-the-secret" })).send(), 401);
    await expectProblem(await (await signed("/v1/slack/commands", body, { timestamp: Math.floor(Date.now() / 1000) - 301 })).send(), 401);
    // A valid signature over other bytes: the body was changed on the way.
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = await signSlackRequest(SECRET, ts, body);
    const forged = await SELF.fetch("https://sysop.test/v1/slack/commands", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts, "x-slack-signature": sig },
      body: body.replace("approve", "deny"),
    });
    await expectProblem(forged, 401);

    expect((await callJson({ path: `/v1/approvals/${pending.id}`, key: s.org.key }, 200)).body.status).toBe("pending");
    await flushAudit([s.org.orgId]);
    expect((await callJson({ path: "/v1/audit/verify", key: s.org.key }, 200)).body.head).toEqual(headBefore);

    // The genuine request works once; the same bytes again are a replay.
    const genuine = await signed("/v1/slack/commands", body);
    expect((await genuine.send()).status).toBe(200);
    await expectProblem(await genuine.send(), 401);
    expect((await callJson({ path: `/v1/approvals/${pending.id}`, key: s.org.key }, 200)).body.votes).toHaveLength(1);
  });

  it("answers /sysop approvals, /sysop policy and /sysop help, and ignores strangers", async () => {
    const s = await slackOrg();
    const pending = (await ask(s.dev.key, "make deploy")).approval;
    const run = async (userId: string, text: string) => (await (await signed("/v1/slack/commands", commandForm(s.slackTeam, userId, text))).send()).json() as Promise<any>;
    expect(JSON.stringify(await run(s.leadSlackId, "approvals"))).toContain(pending.id);
    const policy = JSON.stringify(await run(s.leadSlackId, "policy acme/payments-api"));
    expect(policy).toContain("deploys-ask");
    expect(JSON.stringify(await run(s.leadSlackId, "help"))).toContain("approve");
    const stranger = JSON.stringify(await run("UNOBODY0001", `approve ${pending.id}`));
    expect(stranger).toContain("does not match");
    expect((await callJson({ path: `/v1/approvals/${pending.id}`, key: s.org.key }, 200)).body.status).toBe("pending");
  });

  it("creates a task with /sysop task <repo> <goal>, paid by the repo's team, as the API would", async () => {
    const s = await slackOrg();
    await callJson({ method: "POST", path: "/v1/runner-pools", key: s.org.key, body: { name: "builders" } }, 201);
    // The org's policy asks for agent edits (default ask): the task waits for an approval.
    const run = async (userId: string, text: string) => (await (await signed("/v1/slack/commands", commandForm(s.slackTeam, userId, text))).send()).json() as Promise<any>;
    const answer = JSON.stringify(await run(s.leadSlackId, "task acme/payments-api fix the flaky login test"));
    const id = /task_[a-z2-7]{20}/.exec(answer)?.[0];
    expect(id, answer).toBeDefined();
    expect(answer).toContain("waiting for approval apr_");
    const task = (await callJson({ path: `/v1/tasks/${id}`, key: s.org.key }, 200)).body;
    expect(task).toMatchObject({ status: "awaiting_approval", repo: "acme/payments-api", team_id: s.org.teamId, kind: "agent_run", goal: "fix the flaky login test", requester_id: s.lead.principalId });
    expect(JSON.stringify(await run(s.leadSlackId, "task acme/unknown-repo do it"))).toContain("Task task_"); // the lead's only team pays
    expect(JSON.stringify(await run("UNOBODY0001", "task acme/payments-api do it"))).toContain("does not match");
  });

  it("answers /sysop priorities and /sysop metrics in the channel, for those allowed", async () => {
    const s = await slackOrg();
    const secret = unique("gh-secret-slack-000000");
    await callJson({ method: "PUT", path: "/v1/org/webhooks/github", key: s.org.key, body: { secrets: [secret] } }, 200);
    expect((await postGitHub(s.org.orgId, secret, "issues", githubIssueBody({ repo: "acme/payments-api", number: 4, title: "Refunds stuck", labels: ["bug", "priority: high"] }))).status).toBe(200);
    const run = async (userId: string, text: string) => (await (await signed("/v1/slack/commands", commandForm(s.slackTeam, userId, text))).send()).json() as Promise<any>;
    const priorities = await run(s.leadSlackId, "priorities");
    expect(priorities.response_type).toBe("in_channel");
    expect(priorities.text).toContain("acme/payments-api");
    const metrics = await run(s.leadSlackId, "metrics");
    expect(metrics.response_type).toBe("in_channel");
    expect(metrics.text).toContain("Acceptance: agent");
    expect(metrics.text).toContain("DORA:");
    expect((await run(s.leadSlackId, "metrics no-such-team")).text).toContain("No team no-such-team");
  });
});
