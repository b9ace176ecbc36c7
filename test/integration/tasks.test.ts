// Tasks and the runner protocol inside workerd: create (idempotent) → decision → approval →
// budget hold → signed job → lease, heartbeats, events, artifacts by hash → signed outcome
// (once) → settlement, callback and evidence; cancel, lost leases, revoked runners, and
// another org's runner and users kept out. The end-to-end run with real runner processes is
// test/e2e/runner.test.ts.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createLocalJWKSet, jwtVerify } from "jose";
import { call, callJson, expectProblem, flushAudit, memberWithKey, signupOrg, unique, type Org } from "./helpers";
import { createPool, enrollRunner, runnerCall, sha256Hex, signOutcome, type TestRunner } from "./runner-kit";
import { RunnerBridge } from "../../durable-objects/runner-bridge";
import { verifyCallback } from "../../workers/src/domain/tasks/callback-signature";

const allowAll = (org: Org) => callJson({ method: "POST", path: "/v1/policies", key: org.key, body: { layer: "org", document: { default_effect: "allow", rules: [] } } }, 201);

async function taskOrg(opts: { policy?: "allow" | "none" } = {}) {
  const org = await signupOrg("tasks");
  if (opts.policy !== "none") await allowAll(org);
  await callJson({ method: "PUT", path: `/v1/teams/${org.teamId}/budget`, key: org.key, body: { period: "monthly", limit_micros: 50_000_000 } }, 200);
  const poolId = await createPool(org);
  return { org, poolId };
}

const TASK = { repo: "acme/payments-api", ref: "main", kind: "agent_run", goal: "Fix the rounding bug in invoice totals", steps: [{ name: "tests", kind: "tests", run: ["npm", "test"] }], estimated_tokens: 20_000 };

const createTask = (org: Org, body: Record<string, unknown> = TASK, key = unique("idem")) =>
  call({ method: "POST", path: "/v1/tasks", key: org.key, body, headers: { "idempotency-key": key } });

const task = async (org: Org, id: string) => (await callJson({ path: `/v1/tasks/${id}`, key: org.key }, 200)).body;

async function lease(r: TestRunner, wait = 0) {
  const res = await runnerCall(r, "POST", "/v1/runner/lease", { wait_seconds: wait });
  if (res.status === 204) return null;
  expect(res.status).toBe(200);
  return res.json<{ job: string; lease: { id: string; expires_at: string; heartbeat_seconds: number } }>();
}

const jobOf = (jws: string) => JSON.parse(atob(jws.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).job;

describe("tasks through the runner protocol", () => {
  it("runs a task: signed job, heartbeats, events, a diff by hash, one signed outcome, settled budget, verified evidence", async () => {
    const { org, poolId } = await taskOrg();
    const runner = await enrollRunner(org, poolId, "build-box-1");
    const created = await createTask(org, { ...TASK, callback_url: `${env.TEST_SINK_URL}/hooks/${unique("t")}` });
    expect(created.status).toBe(201);
    const t = await created.json<any>();
    expect(t).toMatchObject({ status: "queued", team_id: org.teamId, pool_id: poolId, steps: [{ name: "agent", kind: "agent" }, { name: "tests", kind: "tests", run: ["npm", "test"] }] });
    expect(t.constraints).toMatchObject({ commands: ["npm test"], network: "egress", paths: ["**"] });
    expect(t.decision_ids.length).toBe(3); // edit, the tests command, network

    const leased = (await lease(runner))!;
    // The job is signed with the control plane's published key, for this pool.
    const jwks = createLocalJWKSet((await callJson({ path: "/.well-known/jwks.json" }, 200)).body);
    const { payload, protectedHeader } = await jwtVerify(leased.job, jwks, { audience: `sysop-runner:${poolId}`, issuer: env.TOKEN_ISSUER });
    expect(protectedHeader.typ).toBe("sysop-job+jwt");
    expect(payload.job).toMatchObject({ id: t.job_id, task_id: t.id, attempt: 1, repo: TASK.repo, goal: TASK.goal, constraints: { commands: ["npm test"] } });
    expect((await task(org, t.id)).status).toBe("running");
    const jobId = t.job_id as string;

    const beat = await runnerCall(runner, "POST", `/v1/runner/jobs/${jobId}/heartbeat`, { lease_id: leased.lease.id });
    expect(await beat.json()).toMatchObject({ cancel: false });
    expect(
      (
        await runnerCall(runner, "POST", `/v1/runner/jobs/${jobId}/events`, {
          lease_id: leased.lease.id,
          events: [
            { type: "step_started", step: "agent" },
            { type: "log", step: "agent", stream: "stdout", line: "editing src/invoice.js" },
            { type: "step_finished", step: "agent", exit_code: 0, duration_ms: 1200 },
          ],
        })
      ).status,
    ).toBe(202);

    const diff = new TextEncoder().encode("--- a/src/invoice.js\n+++ b/src/invoice.js\n@@ -1 +1 @@\n-round(x)\n+roundHalfEven(x)\n");
    const hash = await sha256Hex(diff);
    const wrong = await runnerCall(runner, "PUT", `/v1/runner/jobs/${jobId}/artifacts/diff/${"0".repeat(64)}`, diff, { "x-sysop-lease": leased.lease.id, "content-type": "text/x-diff" });
    expect((await expectProblem(wrong, 422)).issues[0]).toMatchObject({ path: "path.sha256", code: "hash_mismatch" });
    const stored = await runnerCall(runner, "PUT", `/v1/runner/jobs/${jobId}/artifacts/diff/${hash}`, diff, { "x-sysop-lease": leased.lease.id, "content-type": "text/x-diff" });
    expect(stored.status).toBe(201);

    const outcome = {
      job_id: jobId,
      task_id: t.id,
      attempt: 1,
      status: "succeeded",
      exit_code: 0,
      duration_ms: 4000,
      steps: [{ name: "agent", kind: "agent", exit_code: 0, duration_ms: 1200 }, { name: "tests", kind: "tests", exit_code: 0, duration_ms: 2000 }],
      tests: { passed: 12, failed: 0, skipped: 1 },
      files_changed: ["src/invoice.js"],
      diff_stats: { files: 1, additions: 1, deletions: 1 },
      tokens_used: { input: 10_000, output: 2_000, model: "claude-sonnet-4-5" },
      artifacts: [{ kind: "diff", sha256: hash, size: diff.byteLength }],
    };
    const reported = await runnerCall(runner, "POST", `/v1/runner/jobs/${jobId}/outcome`, { lease_id: leased.lease.id, outcome: await signOutcome(runner, outcome) });
    expect(await reported.json()).toEqual({ accepted: true });
    const again = await runnerCall(runner, "POST", `/v1/runner/jobs/${jobId}/outcome`, { lease_id: leased.lease.id, outcome: await signOutcome(runner, { ...outcome, status: "failed" }) });
    expect(await again.json()).toEqual({ accepted: false, duplicate: true });

    const done = await task(org, t.id);
    expect(done).toMatchObject({ status: "succeeded", runner_id: runner.id, attempts: 1, outcome: { tests: { passed: 12 } } });
    // The hold is settled with the reported usage: one usage row for the task.
    await env.BUDGET_LEDGER.getByName(org.teamId).flush();
    const rows = (await env.DB.prepare("SELECT * FROM usage_records WHERE task_id = ?").bind(t.id).all<any>()).results;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ input_tokens: 10_000, output_tokens: 2_000, model: "claude-sonnet-4-5" });
    const budget = (await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body;
    expect(budget).toMatchObject({ held_micros: 0, spent_micros: rows[0].cost_micros });

    // The diff is downloadable by its hash; the evidence links every step and verifies.
    const download = await call({ path: `/v1/tasks/${t.id}/artifacts/${hash}`, key: org.key });
    expect(await download.text()).toBe(new TextDecoder().decode(diff));
    await flushAudit([org.orgId]);
    const evidence = (await callJson({ path: `/v1/tasks/${t.id}/evidence`, key: org.key }, 200)).body;
    expect(evidence).toMatchObject({ verified: true, links: { decisions: true, approval: true, outcome: true, artifacts: true }, artifacts: [{ kind: "diff", sha256: hash, hash_ok: true }] });
    expect(evidence.events.map((e: any) => e.action)).toEqual(
      expect.arrayContaining(["decision.made", "task.received", "task.queued", "task.running", "task.artifact_stored", "task.succeeded"]),
    );
    expect((await callJson({ path: "/v1/audit/verify", key: org.key }, 200)).body.ok).toBe(true);

    // The event stream replays what happened and ends with the final status.
    const sse = await (await call({ path: `/v1/tasks/${t.id}/events`, key: org.key })).text();
    expect(sse).toContain("event: log");
    expect(sse).toContain("editing src/invoice.js");
    expect(sse).toMatch(/event: end\ndata: \{"status":"succeeded"\}/);

    // The callback arrives signed with the org's secret.
    await runInDurableObject(env.RUNNER_BRIDGE.getByName(poolId), async (bridge) => {
      if (!(bridge instanceof RunnerBridge)) throw new Error("not a bridge");
      await bridge.alarm();
    });
    const sink = (await (await fetch(`${env.TEST_SINK_URL}/__sink/received`)).json()) as any[];
    const cb = sink.find((r) => r.body.includes(t.id));
    expect(cb).toBeDefined();
    expect(JSON.parse(cb.body)).toMatchObject({ type: "task.succeeded", task: { id: t.id, status: "succeeded" } });
    const secret = (await callJson({ path: "/v1/org/callback-secret", key: org.key }, 200)).body.secrets[0];
    expect(verifyCallback(secret, cb.headers["sysop-signature"], cb.body, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verifyCallback("whsec_wrong", cb.headers["sysop-signature"], cb.body, Math.floor(Date.now() / 1000))).toBe(false);
  });

  it("returns the same task for the same Idempotency-Key and body, 409 for another body", async () => {
    const { org } = await taskOrg();
    const key = unique("idem");
    const first = await (await createTask(org, TASK, key)).json<any>();
    const same = await createTask(org, TASK, key);
    expect(same.status).toBe(200);
    expect((await same.json<any>()).id).toBe(first.id);
    await expectProblem(await createTask(org, { ...TASK, goal: "something else" }, key), 409);
    const missing = await call({ method: "POST", path: "/v1/tasks", key: org.key, body: TASK });
    expect((await expectProblem(missing, 422)).issues[0].path).toBe("header.idempotency-key");
  });

  it("refuses malformed tasks with the field named, and a task no pool can run", async () => {
    const { org } = await taskOrg();
    const bad = await expectProblem(await createTask(org, { ...TASK, kind: "tests", steps: [{ name: "agent", kind: "agent" }] }), 422);
    expect(bad.issues.map((i: any) => i.path)).toContain("body.steps.0");
    const noRun = await expectProblem(await createTask(org, { ...TASK, steps: [{ name: "lint", kind: "command" }] }), 422);
    expect(noRun.issues[0].path).toBe("body.steps.0");
    const noPool = await signupOrg("no-pool");
    expect((await expectProblem(await createTask(noPool, TASK), 422)).issues[0].path).toBe("body.pool_id");
    expect((await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE org_id = ?").bind(noPool.orgId).first<any>()).n).toBe(0);
  });

  it("fails a task policy denies, with the reason", async () => {
    const { org } = await taskOrg({ policy: "none" });
    await callJson({ method: "POST", path: "/v1/policies", key: org.key, body: { layer: "org", document: { default_effect: "allow", rules: [{ id: "no-npm", effect: "deny", reason: "npm is not allowed here", when: { actions: ["run_command"], commands: ["npm *"] } }] } } }, 201);
    const t = await (await createTask(org)).json<any>();
    expect(t).toMatchObject({ status: "failed", status_reason: "policy denies it: npm is not allowed here", reservation_id: null });
  });

  it("waits in awaiting_approval when policy asks, and runs once approved", async () => {
    const { org, poolId } = await taskOrg({ policy: "none" });
    await callJson({ method: "POST", path: "/v1/policies", key: org.key, body: { layer: "org", document: { default_effect: "allow", rules: [{ id: "agents-ask", effect: "ask", reason: "agent edits need a yes", when: { actions: ["edit"] } }] } } }, 201);
    const dev = await memberWithKey(org, "member", { teamId: org.teamId, role: "member" });
    const t = await (await call({ method: "POST", path: "/v1/tasks", key: dev.key, body: TASK, headers: { "idempotency-key": "ask-1" } })).json<any>();
    expect(t).toMatchObject({ status: "awaiting_approval", status_reason: "agent edits need a yes" });
    const runner = await enrollRunner(org, poolId);
    expect(await lease(runner)).toBeNull(); // nothing queued yet
    const approval = (await callJson({ path: `/v1/approvals/${t.approval_id}`, key: org.key }, 200)).body;
    expect(approval).toMatchObject({ status: "pending", action: { action: "task:agent_run", repo: TASK.repo } });
    await callJson({ method: "POST", path: `/v1/approvals/${t.approval_id}/approve`, key: org.key, body: { reason: "go" } }, 200);
    expect((await task(org, t.id)).status).toBe("queued");
    expect(jobOf((await lease(runner))!.job).task_id).toBe(t.id);
  });

  it("ends a task whose approval is denied", async () => {
    const { org } = await taskOrg({ policy: "none" });
    await callJson({ method: "POST", path: "/v1/policies", key: org.key, body: { layer: "org", document: { default_effect: "ask", rules: [] } } }, 201);
    const dev = await memberWithKey(org, "member", { teamId: org.teamId, role: "member" });
    const t = await (await call({ method: "POST", path: "/v1/tasks", key: dev.key, body: TASK, headers: { "idempotency-key": "deny-1" } })).json<any>();
    await callJson({ method: "POST", path: `/v1/approvals/${t.approval_id}/deny`, key: org.key, body: { reason: "not during the freeze" } }, 200);
    expect(await task(org, t.id)).toMatchObject({ status: "failed", status_reason: "approval denied: not during the freeze" });
  });

  it("cancels a queued task at once (hold released) and a running one through its heartbeat", async () => {
    const { org, poolId } = await taskOrg();
    const queued = await (await createTask(org)).json<any>();
    const cancelled = (await callJson({ method: "POST", path: `/v1/tasks/${queued.id}/cancel`, key: org.key }, 200)).body;
    expect(cancelled).toMatchObject({ status: "cancelled", cancel_requested: false });
    expect((await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body.held_micros).toBe(0);

    const runner = await enrollRunner(org, poolId);
    expect(await lease(runner)).toBeNull(); // the cancelled job left the queue
    const running = await (await createTask(org)).json<any>();
    const leased = (await lease(runner))!;
    const asked = (await callJson({ method: "POST", path: `/v1/tasks/${running.id}/cancel`, key: org.key }, 200)).body;
    expect(asked).toMatchObject({ status: "running", cancel_requested: true });
    const beat = await (await runnerCall(runner, "POST", `/v1/runner/jobs/${running.job_id}/heartbeat`, { lease_id: leased.lease.id })).json<any>();
    expect(beat.cancel).toBe(true);
    const outcome = await signOutcome(runner, { job_id: running.job_id, task_id: running.id, attempt: 1, status: "cancelled", reason: "cancelled on request" });
    expect((await runnerCall(runner, "POST", `/v1/runner/jobs/${running.job_id}/outcome`, { lease_id: leased.lease.id, outcome })).status).toBe(200);
    expect((await task(org, running.id)).status).toBe("cancelled");
    await expectProblem(await call({ method: "POST", path: `/v1/tasks/${running.id}/cancel`, key: org.key }), 409);
  });

  it("gives a lost runner's job to another runner; the first runner's late report does not count", async () => {
    const { org, poolId } = await taskOrg();
    const [a, b] = [await enrollRunner(org, poolId, "a"), await enrollRunner(org, poolId, "b")];
    const t = await (await createTask(org)).json<any>();
    const first = (await lease(a))!;
    // a stops heartbeating: move its lease's expiry into the past and let the alarm run.
    await runInDurableObject(env.RUNNER_BRIDGE.getByName(poolId), async (bridge, state) => {
      if (!(bridge instanceof RunnerBridge)) throw new Error("not a bridge");
      state.storage.sql.exec("UPDATE jobs SET lease_expires_at = ? WHERE job_id = ?", Date.now() - 1, t.job_id);
      await bridge.alarm();
    });
    expect(await task(org, t.id)).toMatchObject({ status: "queued", status_reason: "the runner stopped heartbeating; queued again" });
    const second = (await lease(b))!;
    expect(jobOf(second.job)).toMatchObject({ id: t.job_id, attempt: 2 });
    await expectProblem(await runnerCall(a, "POST", `/v1/runner/jobs/${t.job_id}/heartbeat`, { lease_id: first.lease.id }), 409);
    const late = await signOutcome(a, { job_id: t.job_id, task_id: t.id, attempt: 1, status: "succeeded" });
    await expectProblem(await runnerCall(a, "POST", `/v1/runner/jobs/${t.job_id}/outcome`, { lease_id: first.lease.id, outcome: late }), 409);
    const good = await signOutcome(b, { job_id: t.job_id, task_id: t.id, attempt: 2, status: "succeeded" });
    expect(await (await runnerCall(b, "POST", `/v1/runner/jobs/${t.job_id}/outcome`, { lease_id: second.lease.id, outcome: good })).json()).toEqual({ accepted: true });
    expect(await task(org, t.id)).toMatchObject({ status: "succeeded", runner_id: b.id, attempts: 2 });
  });

  it("refuses a revoked runner with 401 and gives its job back to the queue", async () => {
    const { org, poolId } = await taskOrg();
    const runner = await enrollRunner(org, poolId);
    const t = await (await createTask(org)).json<any>();
    await lease(runner);
    await callJson({ method: "POST", path: `/v1/runners/${runner.id}/revoke`, key: org.key }, 200);
    await expectProblem(await runnerCall(runner, "POST", "/v1/runner/lease", { wait_seconds: 0 }), 401);
    expect((await task(org, t.id)).status).toBe("queued");
    const listed = (await callJson({ path: `/v1/runner-pools/${poolId}/runners`, key: org.key }, 200)).body.data;
    expect(listed[0]).toMatchObject({ id: runner.id, status: "revoked" });
  });

  it("gives a draining runner no new jobs, and retries a callback the receiver refused, with backoff", async () => {
    const { org, poolId } = await taskOrg();
    const runner = await enrollRunner(org, poolId);
    expect((await callJson({ method: "POST", path: `/v1/runners/${runner.id}/drain`, key: org.key }, 200)).body.status).toBe("draining");
    const t = await (await createTask(org, { ...TASK, callback_url: `${env.TEST_SINK_URL}/status/503/${unique("cb")}` })).json<any>();
    expect(await lease(runner)).toBeNull(); // draining: 204 even with a job queued
    await callJson({ method: "POST", path: `/v1/tasks/${t.id}/cancel`, key: org.key }, 200);
    const bridge = env.RUNNER_BRIDGE.getByName(poolId);
    await runInDurableObject(bridge, async (b) => {
      if (!(b instanceof RunnerBridge)) throw new Error("not a bridge");
      await b.alarm();
    });
    const state = await bridge.callbackState(t.id);
    expect(state).toMatchObject({ attempts: 1, deliveredAt: null, lastError: "HTTP 503" });
    // The next attempt waits (10 s): an alarm now does not send it again.
    await runInDurableObject(bridge, async (b) => {
      if (!(b instanceof RunnerBridge)) throw new Error("not a bridge");
      await b.alarm();
    });
    expect((await bridge.callbackState(t.id))!.attempts).toBe(1);
    const sent = ((await (await fetch(`${env.TEST_SINK_URL}/__sink/received`)).json()) as any[]).filter((r) => r.body.includes(t.id));
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0].body)).toMatchObject({ type: "task.cancelled" });
  });

  it("uses an enrolment token once, and refuses bad runner credentials", async () => {
    const { org, poolId } = await taskOrg();
    const { token } = (await callJson({ method: "POST", path: `/v1/runner-pools/${poolId}/enrolment-tokens`, key: org.key, body: {} }, 201)).body;
    const enroll = (public_key: unknown) =>
      call({ method: "POST", path: "/v1/runners/enroll", body: { token, name: "x", public_key } });
    const privateJwk = { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", d: "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A" };
    expect((await expectProblem(await enroll(privateJwk), 422)).issues[0].path).toBe("body.public_key");
    const { x, ...publicJwk } = privateJwk;
    void x;
    expect((await enroll({ ...publicJwk, x: privateJwk.x, d: undefined })).status).toBe(201);
    await expectProblem(await enroll({ kty: "OKP", crv: "Ed25519", x: privateJwk.x }), 401); // used
    await expectProblem(await call({ method: "POST", path: "/v1/runner/lease", body: {}, headers: { authorization: "Bearer not-a-jwt" } }), 401);
    const stranger = { id: "run_aaaaaaaaaaaaaaaaaaaa", poolId, privateKey: (await enrollRunner(org, poolId)).privateKey };
    await expectProblem(await runnerCall(stranger, "POST", "/v1/runner/lease", { wait_seconds: 0 }), 401);
  });

  it("keeps another org's runners and users away from this org's tasks and jobs", async () => {
    const { org, poolId } = await taskOrg();
    const t = await (await createTask(org)).json<any>();
    const mine = await enrollRunner(org, poolId);
    const leased = (await lease(mine))!;
    const other = await taskOrg();
    const theirs = await enrollRunner(other.org, other.poolId);
    expect(await lease(theirs)).toBeNull();
    await expectProblem(await runnerCall(theirs, "POST", `/v1/runner/jobs/${t.job_id}/heartbeat`, { lease_id: leased.lease.id }), 409);
    const forged = await signOutcome(theirs, { job_id: t.job_id, task_id: t.id, attempt: 1, status: "succeeded" });
    await expectProblem(await runnerCall(theirs, "POST", `/v1/runner/jobs/${t.job_id}/outcome`, { lease_id: leased.lease.id, outcome: forged }), 404);
    // A runner's outcome signed by another runner's key is refused.
    const wrongKey = await signOutcome({ ...theirs, id: mine.id }, { job_id: t.job_id, task_id: t.id, attempt: 1, status: "succeeded" });
    expect((await expectProblem(await runnerCall(mine, "POST", `/v1/runner/jobs/${t.job_id}/outcome`, { lease_id: leased.lease.id, outcome: wrongKey }), 422)).issues[0].path).toBe("body.outcome");
    await expectProblem(await call({ path: `/v1/tasks/${t.id}`, key: other.org.key }), 404);
    await expectProblem(await call({ method: "POST", path: `/v1/tasks/${t.id}/cancel`, key: other.org.key }), 404);
    expect((await callJson({ path: "/v1/tasks", key: other.org.key }, 200)).body.data).toEqual([]);
    expect((await task(org, t.id)).status).toBe("running");
  });
});
