// What the e2e test files share: one stack per file (started in beforeAll, stopped in
// afterAll), issue #5's per-org set-up (policy, budget, pool, enrolment tokens, real runners),
// the fixture task, and polling helpers. Each test makes its own org, pool and runners.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, onTestFailed } from "vitest";
import { FIXTURE_TEST_COMMAND, startStack, waitFor, type Org, type Runner, type RunnerOptions, type Stack, type StackOptions } from "./stack.mjs";

export const REPO = "acme/payments-api";
export const ALLOW_ALL = { default_effect: "allow", rules: [] };
const TERMINAL = ["succeeded", "failed", "cancelled", "expired"];

export interface Setup {
  org: Org;
  poolId: string;
  repoPath: string;
  /** Where the scripted agent records its runs and pid (E2E_MARKERS). */
  markers: string;
  runners: Runner[];
}

export interface SetUpOptions {
  runners?: number;
  policy?: unknown;
  /** The URL the runners use after enrolment (a proxy in front of the stack). */
  runnerUrl?: string;
  agentCommand?: string[] | null;
}

/**
 * Starts a stack for this file; the returned object's helpers use it. The runners a test
 * starts (setUp, startRunner) are stopped when it ends, so none outlives its test.
 */
export function useStack(opts: StackOptions = { leaseSeconds: 4, slack: true, sink: true }) {
  let current: Stack | undefined;
  const started: Runner[] = [];
  beforeAll(async () => {
    current = await startStack(opts);
    console.log(`e2e stack: bundle ${current.timings.bundleMs} ms, workerd + migrations ${current.timings.startMs} ms`);
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((r) => r.stop()));
  });
  afterAll(async () => {
    await current?.stop();
  });
  const stack = (): Stack => {
    if (!current) throw new Error("the e2e stack is not started");
    return current;
  };

  async function startRunner(o: RunnerOptions): Promise<Runner> {
    const runner = await stack().startRunner(o);
    started.push(runner);
    return runner;
  }

  /** Issue #5 (A): an org that allows agent work (or `policy`), a team budget, a pool, a one-time token per runner, runners enrolled and started. */
  async function setUp(o: SetUpOptions = {}): Promise<Setup> {
    const s = stack();
    const org = await s.signup();
    await s.api("POST", "/v1/policies", { key: org.key, body: { layer: "org", document: o.policy ?? ALLOW_ALL }, expect: 201 });
    await s.api("PUT", `/v1/teams/${org.teamId}/budget`, { key: org.key, body: { period: "monthly", limit_micros: 50_000_000 }, expect: 200 });
    const pool = (await s.api("POST", "/v1/runner-pools", { key: org.key, body: { name: `pool-${randomBytes(3).toString("hex")}` }, expect: 201 })).body;
    const repo = s.fixtureRepo();
    const markers = mkdtempSync(path.join(s.tmp, "markers-"));
    const runners: Runner[] = [];
    for (let i = 1; i <= (o.runners ?? 2); i++) {
      const { token } = (await s.api("POST", `/v1/runner-pools/${pool.id}/enrolment-tokens`, { key: org.key, body: { ttl_seconds: 600 }, expect: 201 })).body;
      runners.push(
        await startRunner({
          poolId: pool.id,
          token,
          name: `box-${i}`,
          repos: { [REPO]: repo.path },
          env: { E2E_MARKERS: markers },
          ...(o.runnerUrl ? { url: o.runnerUrl } : {}),
          ...(o.agentCommand !== undefined ? { agentCommand: o.agentCommand } : {}),
        }),
      );
    }
    onTestFailed(() => {
      for (const r of runners) console.error(`--- runner ${r.name} (${r.id}), exit ${JSON.stringify(r.exitStatus())}:\n${r.logs.map((l) => JSON.stringify(l)).join("\n")}`);
      console.error(`--- workerd (tail):\n${s.workerLog().slice(-4000)}`);
    });
    await Promise.all(runners.map((r) => r.waitForLog((l) => l.msg === "runner started")));
    return { org, poolId: pool.id, repoPath: repo.path, markers, runners };
  }

  async function createTask(org: Org, body: Record<string, unknown>, key = org.key) {
    return (await stack().api("POST", "/v1/tasks", { key, body, headers: { "idempotency-key": `e2e-${randomBytes(6).toString("hex")}` }, expect: 201 })).body;
  }

  const getTask = async (org: Org, id: string) => (await stack().api("GET", `/v1/tasks/${id}`, { key: org.key, expect: 200 })).body;

  /** Polls the task until `done` holds (default: a terminal status). */
  const taskWhen = (org: Org, id: string, done: (t: any) => boolean = (t) => TERMINAL.includes(t.status), timeoutMs = 20_000) =>
    waitFor(
      async () => {
        const t = await getTask(org, id);
        return done(t) ? t : null;
      },
      { timeoutMs, what: `task ${id}` },
    );

  const evidenceOf = async (org: Org, id: string) => (await stack().api("GET", `/v1/tasks/${id}/evidence`, { key: org.key, expect: 200 })).body;
  const budgetOf = async (org: Org) => (await stack().api("GET", `/v1/teams/${org.teamId}/budget`, { key: org.key, expect: 200 })).body;
  /** The team's budget once no hold is left (a task's hold is settled or released just after its final status). */
  const settledBudget = (org: Org) =>
    waitFor(
      async () => {
        const b = await budgetOf(org);
        return b.held_micros === 0 ? b : null;
      },
      { what: `no hold left in team ${org.teamId}'s budget` },
    );

  /** Polls until the runner's first lease call has passed authentication: its long-poll is open. */
  const longPollOpen = (org: Org, poolId: string, runner: Runner) =>
    waitFor(
      async () => (await stack().api("GET", `/v1/runner-pools/${poolId}/runners`, { key: org.key, expect: 200 })).body.data.find((r: any) => r.id === runner.id)?.last_seen_at,
      { what: `runner ${runner.name} to call in` },
    );

  return { stack, setUp, startRunner, createTask, getTask, taskWhen, evidenceOf, budgetOf, settledBudget, longPollOpen };
}

/** The fixture task: the agent fixes the rounding, `node test.js` checks it. */
export const taskBody = (over: Record<string, unknown> = {}) => ({
  repo: REPO,
  ref: "main",
  kind: "agent_run",
  goal: "Fix the rounding bug in invoice totals",
  steps: [{ name: "tests", kind: "tests", run: FIXTURE_TEST_COMMAND }],
  estimated_tokens: 20_000,
  ...over,
});

/** Polls until the task's agent has started and written its pid. */
export const agentPid = (s: Setup, taskId: string) => {
  const file = path.join(s.markers, `${taskId}.pid`);
  return waitFor(() => existsSync(file) && Number(readFileSync(file, "utf8")), { what: `the agent of ${taskId} to start` });
};

/** How many times the task's agent ran (on any runner). */
export const agentRuns = (s: Setup, taskId: string) => {
  const file = path.join(s.markers, `${taskId}.ran`);
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").length : 0;
};

export const count = (actions: string[], action: string) => actions.filter((a) => a === action).length;
