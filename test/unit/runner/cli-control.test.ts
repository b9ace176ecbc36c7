// End-to-end: the real `sysop-runner` CLI against the fake control plane when the control plane
// steers: cancel (heartbeat cancel: true), a lost lease (heartbeat 409), a revoked runner
// (401), and enrolment refusals. A long step proves the runner stops it, not waits for it.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeControlPlane, type FakeControlPlane } from "./fake-control-plane";
import { enrollRunner, isAlive, jobSpec, makeFixture, runCli, spawnCli, startOnce, waitFor, type Fixture } from "./harness";

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

/** A command step that records its pid and then would sleep for 30 s. */
const longJob = (pidFile: string) =>
  jobSpec({
    kind: "command",
    steps: [{ name: "long", kind: "command", run: ["node", "-e", `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 30000)`] }],
  });

/** Answers the heartbeat with `reply` once the long step is running, cancel: false before. */
const onceRunning = (reply: { cancel: true } | 409) => () => (existsSync(fx.pidFile) ? reply : { cancel: false });

describe("the control plane stops a running job", () => {
  it("heartbeat cancel: true kills the step quickly and reports cancelled", async () => {
    await enrollRunner(cp, fx);
    const job = longJob(fx.pidFile);
    cp.onHeartbeat = onceRunning({ cancel: true });
    cp.queueJob(job);
    const run = await startOnce(fx);
    expect(run.code, run.stderr).toBe(0);
    expect(run.ms).toBeLessThan(15_000); // the step alone would take 30 s
    expect(isAlive(Number(readFileSync(fx.pidFile, "utf8")))).toBe(false);
    const outcomes = cp.outcomes.get(job.id) ?? [];
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.claims).toMatchObject({ status: "cancelled", reason: "cancelled by the control plane", steps: [{ name: "long", exit_code: null }] });
  }, E2E_TIMEOUT);

  it("heartbeat 409 (lease lost) kills the step and reports nothing", async () => {
    await enrollRunner(cp, fx);
    const job = longJob(fx.pidFile);
    cp.onHeartbeat = onceRunning(409);
    cp.queueJob(job);
    const run = await startOnce(fx);
    expect(run.code, run.stderr).toBe(0);
    expect(run.ms).toBeLessThan(15_000);
    expect(isAlive(Number(readFileSync(fx.pidFile, "utf8")))).toBe(false);
    expect(cp.outcomes.get(job.id)).toBeUndefined();
    expect(cp.artifacts.get(job.id)).toBeUndefined();
    expect(run.stderr).toMatch(/lease lost/);
  }, E2E_TIMEOUT);

  it("SIGTERM stops leasing and lets the running job finish; a second one abandons it", async () => {
    await enrollRunner(cp, fx);
    const job = longJob(fx.pidFile);
    cp.queueJob(job);
    const runner = spawnCli(["start", "--config-dir", fx.configDir], fx.env);
    await waitFor("the long step to start", () => existsSync(fx.pidFile));
    runner.child.kill("SIGTERM");
    await waitFor("the runner to say it is stopping", () => runner.out.stderr.includes("no new leases"));
    expect(isAlive(Number(readFileSync(fx.pidFile, "utf8")))).toBe(true); // still finishing
    runner.child.kill("SIGTERM");
    expect((await runner.done).code).toBe(0);
    expect(isAlive(Number(readFileSync(fx.pidFile, "utf8")))).toBe(false);
    expect(cp.outcomes.get(job.id)).toBeUndefined(); // abandoned: the lease lapses, the job is retried
  }, E2E_TIMEOUT);
});

describe("the runner's loop", () => {
  it("--concurrency 2 runs two jobs side by side, then SIGTERM ends it", async () => {
    await enrollRunner(cp, fx);
    // Each step waits until both have started, so the two only finish if they overlap.
    const both = (name: string) => [
      "node", "-e",
      `const fs = require('fs'), d = ${JSON.stringify(fx.root)}; fs.writeFileSync(d + '/${name}.started', ''); ` +
        `const t = setInterval(() => { if (fs.existsSync(d + '/a.started') && fs.existsSync(d + '/b.started')) clearInterval(t); }, 20);`,
    ];
    const jobs = ["a", "b"].map((name) => jobSpec({ kind: "command", steps: [{ name, kind: "command", run: both(name) }], constraints: { ...jobSpec().constraints, step_timeout_seconds: 15 } }));
    for (const j of jobs) cp.queueJob(j);
    const runner = spawnCli(["start", "--config-dir", fx.configDir, "--concurrency", "2"], fx.env);
    await waitFor("both outcomes", () => jobs.every((j) => cp.outcomes.has(j.id)), 20_000);
    runner.child.kill("SIGTERM");
    expect((await runner.done).code).toBe(0);
    for (const j of jobs) expect(cp.outcomes.get(j.id)![0]!.claims.status).toBe("succeeded");
  }, E2E_TIMEOUT);
});

describe("runner identity", () => {
  it("a revoked runner is refused with 401; the runner says so and exits 3", async () => {
    const { runnerId } = await enrollRunner(cp, fx);
    cp.revoke(runnerId);
    cp.queueJob(jobSpec());
    const run = await startOnce(fx);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/revoked/);
    expect(cp.revokedCalls).toBeGreaterThan(0);
    expect(cp.queue).toHaveLength(1); // it leased nothing
  }, E2E_TIMEOUT);

  it("revoked while a job runs: the step is stopped, nothing is reported, exit 3", async () => {
    const { runnerId } = await enrollRunner(cp, fx);
    const job = longJob(fx.pidFile);
    cp.onHeartbeat = () => {
      if (existsSync(fx.pidFile)) cp.revoke(runnerId); // the next call is refused
      return { cancel: false };
    };
    cp.queueJob(job);
    const run = await startOnce(fx);
    expect(run.code).toBe(3);
    expect(run.ms).toBeLessThan(15_000);
    expect(run.stderr).toMatch(/revoked/);
    expect(isAlive(Number(readFileSync(fx.pidFile, "utf8")))).toBe(false);
    expect(cp.outcomes.get(job.id)).toBeUndefined();
  }, E2E_TIMEOUT);

  it("enrol writes a 0600 key and refuses to overwrite an existing enrolment", async () => {
    const { runnerId, config } = await enrollRunner(cp, fx);
    const keyFile = path.join(fx.configDir, config.private_key_file);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = JSON.parse(readFileSync(keyFile, "utf8"));
    expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", x: cp.runners.get(runnerId)!.publicKey.x });
    expect(cp.runners.get(runnerId)!.publicKey).not.toHaveProperty("d");
    expect(config).toMatchObject({
      url: cp.url, pool_id: cp.poolId, issuer: cp.issuer, audience: "sysop-runner",
      repos: { fixture: { path: fx.repo } }, env_allow: ["PATH", "HOME", "LANG"], workdir_root: path.join(fx.configDir, "work"), sandbox: "auto",
    });
    const again = await runCli(["enroll", "--url", cp.url, "--token", cp.issueEnrolmentToken(), "--pool", cp.poolId, "--config-dir", fx.configDir], fx.env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists.*--force/);
  }, E2E_TIMEOUT);

  it("enrol refuses a used token and a token of another pool, writing nothing", async () => {
    const used = await runCli(["enroll", "--url", cp.url, "--token", "sysop_enr_nope_nope", "--pool", cp.poolId, "--config-dir", fx.configDir], fx.env);
    expect(used.code).toBe(2);
    expect(used.stderr).toMatch(/used, expired or unknown/);
    cp.enrolPoolId = "pool_other";
    const other = await runCli(["enroll", "--url", cp.url, "--token", cp.issueEnrolmentToken(), "--pool", cp.poolId, "--config-dir", fx.configDir], fx.env);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/into pool pool_other, not pool_fake/);
    expect(existsSync(fx.configDir)).toBe(false);
  }, E2E_TIMEOUT);

  it("bad usage: a clear message and exit 2", async () => {
    const missing = await runCli(["enroll", "--url", cp.url], fx.env);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toMatch(/enroll needs --token/);
    const unknown = await runCli(["start", "--config-dir", fx.configDir], fx.env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/sysop-runner\.json.*enroll/);
    const help = await runCli(["--help"], fx.env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/sysop-runner enroll --url/);
  }, E2E_TIMEOUT);
});
