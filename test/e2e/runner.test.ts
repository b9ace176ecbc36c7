// sysop's execution plane end to end, the task flows: the Worker on workerd (Miniflare, as
// self-hosted), real sysop-runner processes enrolled with one-time tokens, a real git repo and a
// scripted agent (stack.mjs). Issue #5's "Done when": a task runs and settles with verified
// evidence and a signed callback; changes outside the signed paths, an unconfigured agent and a
// tampered job are refused; create is idempotent; a Slack approval releases an `ask`. Runner
// failures (killed, revoked, drained) and cancel are in runner-lifecycle.test.ts.
import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { waitFor } from "./stack.mjs";
import { agentRuns, ALLOW_ALL, REPO, taskBody, useStack } from "./helpers";
import { verifyCallback } from "../../workers/src/domain/tasks/callback-signature";

const { stack, setUp, startRunner, createTask, getTask, taskWhen, evidenceOf, budgetOf, settledBudget } = useStack({ leaseSeconds: 4, slack: true, sink: true });

describe("the execution plane with real runner processes", () => {
  it("sets up an org: allow policy, team budget, a pool, one-time enrolment tokens and two runners", async () => {
    const s = await setUp();
    const listed = (await stack().api("GET", `/v1/runner-pools/${s.poolId}/runners`, { key: s.org.key, expect: 200 })).body.data;
    expect(listed.map((r: any) => [r.id, r.name, r.status, r.labels])).toEqual(
      expect.arrayContaining(s.runners.map((r) => [r.id, r.name, "active", { e2e: "true" }])),
    );
    expect(listed).toHaveLength(2);
    expect(await budgetOf(s.org)).toMatchObject({ budget: { period: "monthly", limit_micros: 50_000_000 }, held_micros: 0, spent_micros: 0 });
    // The runners are long-polling, not failing: no error in their logs.
    expect(s.runners.flatMap((r) => r.logs).filter((l) => l.level === "error")).toEqual([]);
  });

  it("records the caller's address from the proxy's header only (X-Real-IP, as self-hosted), never from one the client wrote", async () => {
    const s = await setUp();
    const setBudget = (headers: Record<string, string>) =>
      stack().api("PUT", `/v1/teams/${s.org.teamId}/budget`, { key: s.org.key, headers, body: { period: "monthly", limit_micros: 50_000_000 }, expect: 200 });
    const latestIp = async () => (await stack().api("GET", "/v1/audit?action=budget.set&limit=1", { key: s.org.key, expect: 200 })).body.data[0].ip;
    await setBudget({ "x-real-ip": "198.51.100.23", "cf-connecting-ip": "203.0.113.9" });
    expect(await latestIp()).toBe("198.51.100.23");
    await setBudget({ "x-real-ip": "203.0.113.9, 198.51.100.24" }); // a list: the proxy's own entry is the last
    expect(await latestIp()).toBe("198.51.100.24");
    await setBudget({ "cf-connecting-ip": "203.0.113.9", "x-real-ip": "<script>" });
    expect(await latestIp()).toBeNull();
  });

  it("runs a task end to end: the agent's edit in the diff by hash, tests, settled budget, verified evidence, a signed callback", async () => {
    const s = await setUp();
    const hook = `/hooks/${randomBytes(6).toString("hex")}`;
    const created = await createTask(s.org, taskBody({ callback_url: `${stack().sink!.url}${hook}` }));
    expect(created).toMatchObject({ repo: REPO, constraints: { commands: ["node test.js"], paths: ["**"] } });
    expect(["queued", "running"]).toContain(created.status);

    const done = await taskWhen(s.org, created.id);
    expect(done, done.status_reason).toMatchObject({
      status: "succeeded",
      attempts: 1,
      outcome: {
        tests: { passed: 3, failed: 0, skipped: 0 },
        files_changed: ["src/invoice.js"],
        diff_stats: { files: 1, additions: 1, deletions: 1 },
        tokens_used: { input: 12_000, output: 3_400, model: "claude-sonnet-4-5" },
      },
    });
    expect(s.runners.map((r) => r.id)).toContain(done.runner_id);
    expect(agentRuns(s, created.id)).toBe(1);

    // The diff is served by its hash, and is the agent's edit.
    const diffRef = done.outcome.artifacts.find((a: any) => a.kind === "diff");
    const res = await fetch(`${stack().url}/v1/tasks/${created.id}/artifacts/${diffRef.sha256}`, { headers: { authorization: `Bearer ${s.org.key}` } });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(diffRef.sha256);
    expect(bytes.byteLength).toBe(diffRef.size);
    expect(bytes.toString("utf8")).toContain("-  return Math.floor(cents);\n+  return Math.round(cents);");
    const logRef = done.outcome.artifacts.find((a: any) => a.kind === "log");
    const log = await stack().api("GET", `/v1/tasks/${created.id}/artifacts/${logRef.sha256}`, { key: s.org.key, expect: 200 });
    expect(log.text).toContain("agent: edited src/invoice.js");
    expect(log.text).toContain("SYSOP_TESTS passed=3 failed=0 skipped=0");

    // The hold is settled with the agent's usage: one usage row, the spend in the budget.
    const budget = await settledBudget(s.org);
    expect(budget.spent_micros).toBeGreaterThan(0);
    // Usage rows reach D1 from the team's ledger in the background.
    const usage = await waitFor(async () => {
      const u = (await stack().api("GET", "/v1/usage?group_by=repo", { key: s.org.key, expect: 200 })).body;
      return u.groups.length > 0 ? u : null;
    }, { what: "the task's usage" });
    expect(usage.groups).toEqual([expect.objectContaining({ key: REPO, input_tokens: 12_000, output_tokens: 3_400, requests: 1, cost_micros: budget.spent_micros })]);

    // Evidence: every link holds, every event hash checks, the org's chain verifies.
    const evidence = await evidenceOf(s.org, created.id);
    expect(evidence).toMatchObject({ verified: true, links: { decisions: true, approval: true, outcome: true, artifacts: true } });
    expect(evidence.artifacts).toEqual(expect.arrayContaining([expect.objectContaining({ kind: "diff", sha256: diffRef.sha256, stored: true, hash_ok: true })]));
    expect(evidence.events.map((e: any) => e.action)).toEqual(expect.arrayContaining(["decision.made", "task.received", "task.queued", "task.running", "task.artifact_stored", "task.succeeded"]));
    expect((await stack().api("GET", "/v1/audit/verify", { key: s.org.key, expect: 200 })).body.ok).toBe(true);

    // The event stream carries the runner's log lines and ends with the final status.
    const sse = (await stack().api("GET", `/v1/tasks/${created.id}/events`, { key: s.org.key, expect: 200 })).text;
    expect(sse).toContain("agent: edited src/invoice.js");
    expect(sse).toMatch(/event: end\ndata: \{"status":"succeeded"\}/);

    // The callback arrives, signed with the org's callback secret.
    const cb = await waitFor(async () => (await stack().sink!.received()).find((r) => r.path === hook), { what: "the callback" });
    expect(JSON.parse(cb.body)).toMatchObject({ type: "task.succeeded", task: { id: created.id, status: "succeeded" } });
    const [secret] = (await stack().api("GET", "/v1/org/callback-secret", { key: s.org.key, expect: 200 })).body.secrets;
    expect(verifyCallback(secret, cb.headers["sysop-signature"]!, cb.body, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verifyCallback("whsec_not-the-secret", cb.headers["sysop-signature"]!, cb.body, Math.floor(Date.now() / 1000))).toBe(false);

    // The runner worked in a worktree of its own and removed it: the repo is as it was.
    expect(execFileSync("git", ["status", "--porcelain"], { cwd: s.repoPath, encoding: "utf8" })).toBe("");
    expect(execFileSync("git", ["worktree", "list"], { cwd: s.repoPath, encoding: "utf8" }).trim().split("\n")).toHaveLength(1);
  });

  it("fails a job whose changes leave the signed paths, naming the path; a runner without an agent refuses the agent step", async () => {
    const s = await setUp({ runners: 1 });
    const outside = await createTask(s.org, taskBody({ goal: "Fix the rounding [also-edit=deploy/prod.env]", paths: ["src/**"] }));
    const failed = await taskWhen(s.org, outside.id);
    expect(failed).toMatchObject({ status: "failed", status_reason: "changes outside the allowed paths: deploy/prod.env", outcome: { files_changed: expect.arrayContaining(["deploy/prod.env", "src/invoice.js"]) } });
    expect(failed.constraints.paths).toEqual(["src/**"]);
    expect(agentRuns(s, outside.id)).toBe(1);

    // A second pool whose runner has no agent configured: the agent step is refused before anything runs.
    const pool = (await stack().api("POST", "/v1/runner-pools", { key: s.org.key, body: { name: "no-agent" }, expect: 201 })).body;
    const bare = await startRunner({ poolId: pool.id, key: s.org.key, name: "no-agent", repos: { [REPO]: s.repoPath }, agentCommand: null, env: { E2E_MARKERS: s.markers } });
    const refused = await taskWhen(s.org, (await createTask(s.org, taskBody({ pool_id: pool.id }))).id);
    expect(refused).toMatchObject({
      status: "failed",
      status_reason: "step 'agent' refused: no agent command is configured on this runner",
      runner_id: bare.id,
      outcome: { steps: [{ name: "agent", refused: true, exit_code: null }], files_changed: [] },
    });
    const sse = (await stack().api("GET", `/v1/tasks/${refused.id}/events`, { key: s.org.key, expect: 200 })).text;
    expect(sse).toContain("event: step_refused");
    expect(agentRuns(s, refused.id)).toBe(0);
    // No hold is left: the first run's tokens are charged (the agent did work), the refused one's released.
    expect((await settledBudget(s.org)).spent_micros).toBeGreaterThan(0);
  });

  it("refuses a job whose signed payload was tampered with on the way, and runs nothing of it", async () => {
    const markers = mkdtempSync(path.join(stack().tmp, "tamper-"));
    const pwned = path.join(markers, "tampered-step-ran");
    // Between the runner and the control plane: widen the job (a new step, any command, any
    // path, a new goal) and re-encode it without re-signing.
    const proxy = await stack().startProxy({
      wants: (method, p, status) => method === "POST" && p === "/v1/runner/lease" && status === 200,
      rewrite: (body) => {
        const lease = JSON.parse(body.toString("utf8"));
        const [header, payload, signature] = lease.job.split(".");
        const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
        claims.job.goal = "Also ship it [also-edit=.github/workflows/deploy.yml]";
        claims.job.steps.push({ name: "ship", kind: "command", run: ["node", "-e", `require("fs").writeFileSync(${JSON.stringify(pwned)}, "ran")`] });
        claims.job.constraints.commands = ["*"];
        claims.job.constraints.paths = ["**"];
        lease.job = [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
        return Buffer.from(JSON.stringify(lease));
      },
    });
    const s = await setUp({ runners: 1, runnerUrl: proxy.url });
    const t = await createTask(s.org, taskBody());
    const failed = await taskWhen(s.org, t.id);
    expect(proxy.errors).toEqual([]);
    expect(proxy.rewritten).toBe(1);
    expect(failed).toMatchObject({ status: "failed", runner_id: s.runners[0]!.id, attempts: 1 });
    expect(failed.status_reason).toMatch(/^job signature invalid: /);
    expect(failed.outcome.steps).toEqual([]);
    // Nothing of the job ran: neither the agent nor the injected step.
    expect(agentRuns(s, t.id)).toBe(0);
    expect(existsSync(pwned)).toBe(false);
    expect((await s.runners[0]!.waitForLog((l) => l.msg === "job not run")).reason).toMatch(/^job signature invalid/);
    expect(s.runners[0]!.exitStatus()).toBeNull(); // it goes on leasing
    expect((await settledBudget(s.org)).spent_micros).toBe(0); // released, nothing spent
  });

  it("returns the same task for a repeated Idempotency-Key and body, and 409 for another body", async () => {
    const org = await stack().signup();
    await stack().api("POST", "/v1/policies", { key: org.key, body: { layer: "org", document: ALLOW_ALL }, expect: 201 });
    await stack().api("POST", "/v1/runner-pools", { key: org.key, body: { name: "idem" }, expect: 201 });
    const send = (body: Record<string, unknown>) => stack().api("POST", "/v1/tasks", { key: org.key, body, headers: { "idempotency-key": "deploy-2024-11-29" } });
    const first = await send(taskBody());
    expect(first.status).toBe(201);
    const again = await send(taskBody());
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const other = await send(taskBody({ goal: "Something else" }));
    expect(other.status).toBe(409);
    expect(other.headers.get("content-type")).toContain("application/problem+json");
    expect((await stack().api("GET", "/v1/tasks", { key: org.key, expect: 200 })).body.data.map((x: any) => x.id)).toEqual([first.body.id]);
  });

  it("holds a task policy asks about in awaiting_approval until a Slack Approve, then runs it", async () => {
    const policy = { default_effect: "allow", rules: [{ id: "agents-ask", effect: "ask", reason: "Agent edits need a yes", when: { actions: ["edit"] } }] };
    const s = await setUp({ runners: 1, policy });
    const slackTeam = `T${randomBytes(5).toString("hex").toUpperCase()}`;
    const botToken = `xoxb-${randomBytes(12).toString("hex")}`;
    await stack().api("PUT", "/v1/org/slack", { key: s.org.key, body: { team_id: slackTeam, bot_token: botToken }, expect: 200 });
    const ownerSlackId = `U${randomBytes(5).toString("hex").toUpperCase()}`;
    await stack().fakeSlack!.addUser({ userId: ownerSlackId, token: botToken, email: s.org.ownerEmail });
    // A developer asks; the owner approves from Slack.
    const dev = (await stack().api("POST", "/v1/principals", { key: s.org.key, body: { kind: "user", email: `dev-${randomBytes(4).toString("hex")}@example.com`, name: "Dev", org_role: "member", teams: [{ team_id: s.org.teamId, role: "member" }] }, expect: 201 })).body;
    const devKey = (await stack().api("POST", "/v1/keys", { key: s.org.key, body: { name: "dev", principal_id: dev.id }, expect: 201 })).body.key;

    const t = await createTask(s.org, taskBody(), devKey);
    expect(t).toMatchObject({ status: "awaiting_approval", status_reason: "Agent edits need a yes" });
    expect(t.approval_id).toMatch(/^apr_/);
    expect(await getTask(s.org, t.id)).toMatchObject({ status: "awaiting_approval", attempts: 0, runner_id: null });
    expect(agentRuns(s, t.id)).toBe(0);

    const payload = {
      type: "block_actions",
      user: { id: ownerSlackId, username: "owner", team_id: slackTeam },
      team: { id: slackTeam, domain: "acme" },
      api_app_id: "A0001",
      trigger_id: "9.8.7",
      response_url: `https://hooks.slack.com/actions/${slackTeam}/1/${randomBytes(6).toString("hex")}`,
      container: { type: "message", message_ts: "1700000000.000100", channel_id: "C0001" },
      actions: [{ type: "button", action_id: "sysop_approve", block_id: `sysop_approval:${t.approval_id}`, value: t.approval_id, action_ts: "1700000001.0001" }],
    };
    const clicked = await stack().slackPost("/v1/slack/interactions", new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    expect(clicked.status, clicked.text).toBe(200);
    expect((await stack().api("GET", `/v1/approvals/${t.approval_id}`, { key: s.org.key, expect: 200 })).body.status).toBe("approved");

    const done = await taskWhen(s.org, t.id);
    expect(done, done.status_reason).toMatchObject({ status: "succeeded", runner_id: s.runners[0]!.id, outcome: { tests: { passed: 3 } } });
    const evidence = await evidenceOf(s.org, t.id);
    expect(evidence).toMatchObject({ verified: true, links: { approval: true } });
    const approved = evidence.events.find((e: any) => e.action === "approval.approved");
    expect(approved).toMatchObject({ actor: { id: s.org.ownerId } });
    expect(evidence.events.map((e: any) => e.action)).toEqual(expect.arrayContaining(["approval.requested", "approval.approved", "task.awaiting_approval", "task.queued", "task.succeeded"]));
  });
});
