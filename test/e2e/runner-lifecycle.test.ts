// sysop's execution plane end to end, when runners fail or are stopped (stack.mjs: the Worker
// on workerd, real sysop-runner processes, a real git repo, a scripted agent): a runner killed
// mid-job loses its lease and the job completes exactly once on another; a revoked runner gets
// 401, stops its step and exits 3, also when revoked while it waits for a job; cancel stops a
// running step; a drained runner takes no new job and does not poll in a tight loop.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SignJWT, importJWK } from "jose";
import { isAlive, waitFor } from "./stack.mjs";
import { agentPid, agentRuns, count, REPO, taskBody, useStack } from "./helpers";

const { stack, setUp, startRunner, createTask, getTask, taskWhen, evidenceOf, settledBudget, longPollOpen } = useStack({ leaseSeconds: 4 });

/** Records the answers to POST /v1/runner/lease that pass through a proxy, and when they came. */
async function leaseRecorder() {
  const answers: { status: number; at: number }[] = [];
  const proxy = await stack().startProxy({
    wants: (method, p, status) => {
      if (method === "POST" && p === "/v1/runner/lease") answers.push({ status, at: Date.now() });
      return false;
    },
    rewrite: (body) => body,
  });
  return { url: proxy.url, answers };
}

describe("runners that fail, are revoked, cancelled or drained", () => {
  it("gives a job whose runner was killed mid-step to the other runner, and it completes exactly once", async () => {
    const s = await setUp();
    const t = await createTask(s.org, taskBody({ goal: "Fix the rounding [sleep-once=60]" }));
    const pid = await agentPid(s, t.id);
    const running = await taskWhen(s.org, t.id, (x) => x.status === "running");
    const first = s.runners.find((r) => r.id === running.runner_id)!;
    const second = s.runners.find((r) => r.id !== running.runner_id)!;
    // The box dies: the runner's process group, and the agent step (its own process group).
    first.kill("SIGKILL");
    process.kill(-pid, "SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");

    const done = await taskWhen(s.org, t.id, undefined, 30_000);
    expect(done, done.status_reason).toMatchObject({ status: "succeeded", attempts: 2, runner_id: second.id, outcome: { files_changed: ["src/invoice.js"], tests: { passed: 3 } } });
    expect(agentRuns(s, t.id)).toBe(2);

    const actions: string[] = (await evidenceOf(s.org, t.id)).events.map((e: any) => e.action);
    expect(count(actions, "task.succeeded")).toBe(1);
    expect(count(actions, "task.running")).toBe(2);
    const requeued = (await evidenceOf(s.org, t.id)).events.filter((e: any) => e.action === "task.queued" && e.details.lost_runner_id === first.id);
    expect(requeued).toHaveLength(1);
    expect(requeued[0].details.reason).toBe("the runner stopped heartbeating; queued again");

    // One usage row for the task, whatever the attempts.
    await settledBudget(s.org);
    // Usage rows reach D1 from the team's ledger in the background.
    const rows = await waitFor(async () => {
      const r = await stack().db.prepare("SELECT input_tokens, output_tokens FROM usage_records WHERE task_id = ?").bind(t.id).all();
      return r.results.length > 0 ? r.results : null;
    }, { what: "the task's usage row" });
    expect(rows).toEqual([{ input_tokens: 12_000, output_tokens: 3_400 }]);
    expect((await stack().api("GET", "/v1/usage?group_by=repo", { key: s.org.key, expect: 200 })).body.totals.requests).toBe(1);
  });

  it("refuses a revoked runner with 401: it stops its step, says so and exits 3; its job goes back to the queue", async () => {
    const s = await setUp({ runners: 1 });
    const runner = s.runners[0]!;
    const t = await createTask(s.org, taskBody({ goal: "Fix the rounding [sleep=60]" }));
    const pid = await agentPid(s, t.id);
    await stack().api("POST", `/v1/runners/${runner.id}/revoke`, { key: s.org.key, expect: 200 });

    expect(await runner.exited).toEqual({ code: 3, signal: null });
    expect(runner.logs.some((l) => l.level === "error" && /refused this runner \(401\)/.test(l.msg))).toBe(true);
    expect(runner.logs.find((l) => l.msg === "job stopped without an outcome")).toMatchObject({ job_id: t.job_id, why: "revoked" });
    await waitFor(() => !isAlive(pid), { what: "the step to be killed" });
    expect(await getTask(s.org, t.id)).toMatchObject({ status: "queued", status_reason: "the runner was revoked; queued again" });

    // Its own key, a fresh token: still 401.
    const jwk = JSON.parse(readFileSync(path.join(runner.configDir, "runner-key.jwk"), "utf8"));
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: "EdDSA", kid: runner.id, typ: "JWT" })
      .setIssuer(runner.id)
      .setSubject(runner.id)
      .setAudience("sysop-runner")
      .setIssuedAt()
      .setExpirationTime("2m")
      .setJti(randomBytes(8).toString("hex"))
      .sign(await importJWK(jwk, "EdDSA"));
    const lease = await stack().api("POST", "/v1/runner/lease", { headers: { authorization: `Bearer ${jwt}` }, body: { wait_seconds: 0 } });
    expect(lease.status).toBe(401);
    expect(lease.headers.get("content-type")).toContain("application/problem+json");
    const listed = (await stack().api("GET", `/v1/runner-pools/${s.poolId}/runners`, { key: s.org.key, expect: 200 })).body.data;
    expect(listed).toEqual([expect.objectContaining({ id: runner.id, status: "revoked" })]);
  });

  it("cancels a running job: the step process is stopped and the task ends cancelled", async () => {
    const s = await setUp({ runners: 1 });
    const t = await createTask(s.org, taskBody({ goal: "Fix the rounding [sleep=30]" }));
    const pid = await agentPid(s, t.id);
    await taskWhen(s.org, t.id, (x) => x.status === "running");
    const asked = (await stack().api("POST", `/v1/tasks/${t.id}/cancel`, { key: s.org.key, expect: 200 })).body;
    expect(asked).toMatchObject({ status: "running", cancel_requested: true });
    const cancelled = await taskWhen(s.org, t.id, undefined, 10_000);
    expect(cancelled).toMatchObject({ status: "cancelled", status_reason: "cancelled by the control plane", outcome: { status: "cancelled" } });
    expect(isAlive(pid)).toBe(false);
    expect(Date.parse(cancelled.finished_at) - Date.parse(cancelled.created_at)).toBeLessThan(20_000);
    expect((await settledBudget(s.org)).spent_micros).toBe(0); // released: the agent was stopped before it reported usage
    // The runner carries on: its next job runs.
    const next = await createTask(s.org, taskBody());
    expect(await taskWhen(s.org, next.id)).toMatchObject({ status: "succeeded", runner_id: s.runners[0]!.id });
  });


  it("hands no job to a runner revoked while it waits for one", async () => {
    const s = await setUp({ runners: 1 });
    const runner = s.runners[0]!;
    await longPollOpen(s.org, s.poolId, runner);
    await stack().api("POST", `/v1/runners/${runner.id}/revoke`, { key: s.org.key, expect: 200 });
    const t = await createTask(s.org, taskBody());
    // It learns it was revoked when its open long-poll ends (at the latest after 25 s): exit 3.
    expect(await runner.exited).toEqual({ code: 3, signal: null });
    expect(runner.logs.filter((l) => l.msg === "job leased"), "a job was handed to the revoked runner").toEqual([]);
    expect(agentRuns(s, t.id), "the revoked runner ran the agent").toBe(0);
    expect(await getTask(s.org, t.id)).toMatchObject({ status: "queued", attempts: 0, runner_id: null });
    // A runner enrolled now takes it, as its first attempt.
    const next = await startRunner({ poolId: s.poolId, key: s.org.key, name: "box-2", repos: { [REPO]: s.repoPath }, env: { E2E_MARKERS: s.markers } });
    expect(await taskWhen(s.org, t.id)).toMatchObject({ status: "succeeded", runner_id: next.id, attempts: 1 });
  }, 60_000);

  it("hands no new job to a runner drained while it waits for one", async () => {
    const leases = await leaseRecorder();
    const s = await setUp({ runners: 1, runnerUrl: leases.url });
    const runner = s.runners[0]!;
    await longPollOpen(s.org, s.poolId, runner);
    expect((await stack().api("POST", `/v1/runners/${runner.id}/drain`, { key: s.org.key, expect: 200 })).body.status).toBe("draining");
    const t = await createTask(s.org, taskBody());
    // The open long-poll ends (at the latest after its 25 s) without a job.
    const first = await waitFor(() => leases.answers[0], { timeoutMs: 35_000, what: "the open long-poll to end" });
    expect(first.status, "the drained runner's open long-poll was answered with a job").toBe(204);
    expect(runner.logs.filter((l) => l.msg === "job leased")).toEqual([]);
    expect(agentRuns(s, t.id)).toBe(0);
    expect(await getTask(s.org, t.id)).toMatchObject({ status: "queued", attempts: 0, runner_id: null });
  }, 60_000);

  it("keeps a drained runner from polling the control plane in a tight loop", async () => {
    const leases = await leaseRecorder();
    const s = await setUp({ runners: 0 });
    const runner = await startRunner({
      poolId: s.poolId,
      key: s.org.key,
      url: leases.url,
      beforeStart: async (id) => void (await stack().api("POST", `/v1/runners/${id}/drain`, { key: s.org.key, expect: 200 })),
    });
    await runner.waitForLog((l) => l.msg === "runner started");
    // A rate, so a fixed window: a long-polling runner makes a call or two in 2 s, not hundreds.
    const from = Date.now();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(leases.answers.filter((a) => a.at >= from).length, "lease calls in 2 s").toBeLessThanOrEqual(4);
    expect(leases.answers.every((a) => a.status === 204)).toBe(true);
    expect(runner.logs.filter((l) => l.msg === "job leased")).toEqual([]);
  });
});
