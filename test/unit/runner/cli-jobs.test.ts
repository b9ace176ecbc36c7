// End-to-end: the real `sysop-runner` CLI (enroll, then start --once) against the fake control
// plane, with a real git repo. What a job does and what the control plane receives: the signed
// outcome, events, artifacts; refused steps, tampered jobs and out-of-bounds changes.
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeControlPlane, type FakeControlPlane } from "./fake-control-plane";
import { SECRET, enrollRunner, jobSpec, makeFixture, startOnce, type Fixture } from "./harness";

const E2E_TIMEOUT = 40_000;
let cp: FakeControlPlane;
let fx: Fixture;

beforeEach(async () => {
  cp = await startFakeControlPlane();
  fx = makeFixture();
});
afterEach(async () => {
  await cp.close();
  fx.cleanup();
});

const onlyOutcome = (jobId: string) => {
  const outcomes = cp.outcomes.get(jobId) ?? [];
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
};

describe("a job that runs", () => {
  it("agent + tests: a signed succeeded outcome, the diff, logs, and no secret anywhere", async () => {
    const { runnerId, config } = await enrollRunner(cp, fx);
    const job = jobSpec({
      steps: [
        { name: "agent", kind: "agent" },
        { name: "tests", kind: "tests", run: ["node", "-e", "console.log('SYSOP_TESTS passed=3 failed=0 skipped=0'); console.log('token=' + process.env.DEPLOY_TOKEN)"] },
      ],
    });
    cp.queueJob(job);
    const run = await startOnce(fx);
    expect(run.code, run.stderr).toBe(0);

    const { header, claims } = onlyOutcome(job.id); // the fake verified it with the enrolled key
    expect(header).toMatchObject({ alg: "EdDSA", typ: "sysop-outcome+jwt", kid: runnerId });
    expect(claims).toMatchObject({
      iss: runnerId, aud: "sysop", job_id: job.id, task_id: "task_1", attempt: 1, status: "succeeded", exit_code: 0,
      files_changed: ["src/invoice.js"],
      diff_stats: { files: 1, additions: 1, deletions: 1 },
      tests: { passed: 3, failed: 0, skipped: 0 },
      tokens_used: { input: 1200, output: 800, model: "claude-test" },
      steps: [
        { name: "agent", kind: "agent", exit_code: 0, refused: false },
        { name: "tests", kind: "tests", exit_code: 0, refused: false },
      ],
    });
    expect(claims.reason).toBeUndefined();

    const stored = cp.artifacts.get(job.id) ?? [];
    expect(stored.map((a) => a.kind).sort()).toEqual(["diff", "log", "test_report"]);
    for (const a of stored) expect(createHash("sha256").update(a.bytes).digest("hex")).toBe(a.sha256);
    expect(claims.artifacts).toEqual(stored.map((a) => ({ kind: a.kind, sha256: a.sha256, size: a.bytes.length })));
    const diff = stored.find((a) => a.kind === "diff")!.bytes.toString("utf8");
    expect(diff).toContain("+export const total = (xs) => Math.round(");
    expect(diff).toContain("-export const total = (xs) => Math.floor(");
    expect(diff).not.toContain("sysop-usage.json");

    const events = cp.eventsFor(job.id);
    const lines = events.filter((e) => e.type === "log").map((e) => e.line);
    expect(lines).toContain("agent: goal is Fix the rounding bug in invoice totals");
    expect(lines).toContain("SYSOP_TESTS passed=3 failed=0 skipped=0");
    expect(lines).toContain("token=[REDACTED]");
    expect(lines).toContain(`agent: NOT_ALLOWED=unset SYSOP_JOB_ID=${job.id}`); // the env allow-list held
    expect(events.filter((e) => e.type !== "log").map((e) => `${e.type}:${e.step}`)).toEqual([
      "step_started:agent", "step_finished:agent", "step_started:tests", "step_finished:tests",
    ]);

    const everything = JSON.stringify(events) + stored.map((a) => a.bytes.toString("utf8")).join("") + run.stderr;
    expect(everything).not.toContain(SECRET);
    expect(cp.authFailures).toEqual([]);

    // The workspace is gone and the owner's repo is as it was.
    expect(readdirSync(config.workdir_root)).toEqual([]);
    expect(fx.git(["worktree", "list", "--porcelain"]).match(/^worktree /gm)).toHaveLength(1);
    expect(fx.git(["status", "--porcelain"])).toBe("");
  }, E2E_TIMEOUT);

  it("a change outside constraints.paths fails the job, naming the path", async () => {
    await enrollRunner(cp, fx);
    const job = jobSpec({ goal: "Fix the rounding and the infra", constraints: { ...jobSpec().constraints, paths: ["src/**"] } });
    cp.queueJob(job);
    const run = await startOnce(fx);
    expect(run.code, run.stderr).toBe(0);
    const { claims } = onlyOutcome(job.id);
    expect(claims).toMatchObject({ status: "failed", reason: "changes outside the allowed paths: infra/main.tf" });
    expect(claims.files_changed).toEqual(["infra/main.tf", "src/invoice.js"]);
  }, E2E_TIMEOUT);
});

describe("a job that must not run", () => {
  it("a step whose command is outside constraints.commands is refused and never runs", async () => {
    await enrollRunner(cp, fx);
    const job = jobSpec({
      kind: "command",
      steps: [{ name: "deploy", kind: "command", run: ["node", "-e", `require('fs').writeFileSync(${JSON.stringify(fx.marker)}, 'ran')`] }],
      constraints: { ...jobSpec().constraints, commands: ["npm test", "npm run *"] },
    });
    cp.queueJob(job);
    const run = await startOnce(fx);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(fx.marker)).toBe(false);
    const { claims } = onlyOutcome(job.id);
    expect(claims).toMatchObject({
      status: "failed",
      reason: "step 'deploy' refused: command not allowed by the job's constraints",
      steps: [{ name: "deploy", kind: "command", exit_code: null, refused: true }],
    });
    expect(cp.eventsFor(job.id)).toEqual([
      expect.objectContaining({ type: "step_refused", step: "deploy", reason: "command not allowed by the job's constraints" }),
    ]);
  }, E2E_TIMEOUT);

  it.each([
    ["a payload changed after signing", { tamper: (c: Record<string, any>) => void (c.job.goal = "something else") }, /signature verification failed/],
    ["another pool's audience", { audience: "sysop-runner:pool_other" }, /aud/],
    ["another issuer", { issuer: "https://evil.example" }, /iss/],
    ["an expired job", { expiresIn: -120 }, /exp/],
  ])("%s: not run, reported failed as a bad signature", async (_name, signAs, detail) => {
    await enrollRunner(cp, fx);
    const job = jobSpec({
      kind: "command",
      steps: [{ name: "mark", kind: "command", run: ["node", "-e", `require('fs').writeFileSync(${JSON.stringify(fx.marker)}, 'ran')`] }],
    });
    cp.queueJob(job, signAs);
    const run = await startOnce(fx);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(fx.marker)).toBe(false);
    const { claims } = onlyOutcome(job.id);
    expect(claims.status).toBe("failed");
    expect(claims.reason).toMatch(/^job signature invalid: /);
    expect(claims.reason).toMatch(detail);
    expect(cp.eventsFor(job.id)).toEqual([]);
    expect(existsSync(path.join(fx.configDir, "work")) ? readdirSync(path.join(fx.configDir, "work")) : []).toEqual([]);
  }, E2E_TIMEOUT);
});
