// `npm run bench:dispatch`: how fast sysop hands tasks to runners, in one run:
//   1. start the local stack (test/e2e/stack.mjs: the Worker bundled and served by workerd
//      through Miniflare, D1/DO/R2 in a temp dir) and a small git repository;
//   2. sign up an org (a policy that allows, a budget), a pool, and N real `sysop-runner`
//      processes (default 4) enrolled and started;
//   3. serial: one task at a time, each a `command` task with one no-op step (`true`), and
//      measure dispatch latency = task created (the client sends POST /v1/tasks) → the step
//      started on a runner (the runner's step_started event; same machine, same clock);
//   4. load: submit many such tasks from several concurrent clients and measure dispatch
//      latency again and tasks per minute (first submit → last task succeeded);
//   5. check that every task succeeded exactly once (one task.succeeded each, attempts = 1)
//      and nothing is left held in the budget; print p50/p90/p99 and throughput;
//   6. stop the runners, workerd and everything else, also on error and Ctrl-C.
import { parseArgs } from "node:util";
import os from "node:os";
import { startStack, waitFor } from "../test/e2e/stack.mjs";
import { latencyStats } from "./lib/stats.mjs";

const { values: flags } = parseArgs({
  options: {
    runners: { type: "string", default: "4" },
    serial: { type: "string", default: "30" },
    tasks: { type: "string", default: "200" },
    clients: { type: "string", default: "8" },
    quick: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (flags.help) {
  console.log(`Usage: node bench/dispatch.mjs [--runners 4] [--serial 30] [--tasks 200] [--clients 8] [--quick]
  --runners   real sysop-runner processes in the pool
  --serial    tasks created one at a time (dispatch latency on an idle system)
  --tasks     tasks submitted under load, by --clients concurrent clients
  --quick     10 serial, 60 under load`);
  process.exit(0);
}
const positive = (name, v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
};
const opts = {
  runners: positive("runners", flags.runners),
  serial: flags.quick ? 10 : positive("serial", flags.serial),
  tasks: flags.quick ? 60 : positive("tasks", flags.tasks),
  clients: positive("clients", flags.clients),
};

const REPO = "acme/bench-repo";
const stats = latencyStats;
const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : "-");

let stack = null;
const stopAll = async () => {
  const s = stack;
  stack = null;
  await s?.stop();
};
for (const sig of ["SIGINT", "SIGTERM"]) process.once(sig, () => stopAll().finally(() => process.exit(130)));

async function main() {
  console.log(`sysop dispatch benchmark: ${opts.runners} runners, ${opts.serial} serial tasks, ${opts.tasks} tasks from ${opts.clients} clients`);
  console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}); the runners, workerd and this process share them\n`);
  stack = await startStack({ leaseSeconds: 30 });
  console.log(`stack up: bundled in ${stack.timings.bundleMs.toFixed(0)} ms, workerd ready in ${stack.timings.startMs.toFixed(0)} ms at ${stack.url}`);
  const org = await stack.signup("dispatch");
  await stack.api("POST", "/v1/policies", { key: org.key, body: { layer: "org", document: { default_effect: "allow", rules: [] } }, expect: 201 });
  await stack.api("PUT", `/v1/teams/${org.teamId}/budget`, { key: org.key, body: { period: "monthly", limit_micros: 1e12 }, expect: 200 });
  const pool = (await stack.api("POST", "/v1/runner-pools", { key: org.key, body: { name: "bench" }, expect: 201 })).body.id;
  const repo = stack.fixtureRepo();
  const runners = [];
  for (let i = 0; i < opts.runners; i++) runners.push(await stack.startRunner({ poolId: pool, key: org.key, name: `bench-${i + 1}`, repos: { [REPO]: repo.path }, agentCommand: null }));
  console.log(`${runners.length} runners enrolled and started\n`);

  const body = (i) => ({ team_id: org.teamId, repo: REPO, ref: repo.ref, kind: "command", goal: `no-op ${i}`, steps: [{ name: "noop", kind: "command", run: ["true"] }], estimated_tokens: 0 });
  const submit = async (i) => {
    const sentAt = Date.now();
    const res = await stack.api("POST", "/v1/tasks", { key: org.key, body: body(i), headers: { "idempotency-key": `bench-${i}` } });
    if (res.status !== 201) throw new Error(`POST /v1/tasks: ${res.status} ${res.text}`);
    return { id: res.body.id, sentAt };
  };
  const stepStartedAt = async (taskId) => {
    const row = await stack.db.prepare("SELECT at FROM task_events WHERE task_id = ? AND type = 'step_started' ORDER BY id LIMIT 1").bind(taskId).first();
    return row ? Date.parse(row.at) : null;
  };
  /** When the control plane handed the job out (the task's 'running' event). */
  const leasedAt = async (taskId) => {
    const row = await stack.db.prepare("SELECT at FROM task_events WHERE task_id = ? AND type = 'status' AND json_extract(data, '$.status') = 'running' ORDER BY id LIMIT 1").bind(taskId).first();
    return row ? Date.parse(row.at) : null;
  };
  const statusOf = async (taskId) => (await stack.db.prepare("SELECT status, attempts FROM tasks WHERE id = ?").bind(taskId).first()) ?? null;

  // Serial: one task at a time, each waited for to the end.
  const serial = [];
  const serialLeased = [];
  for (let i = 0; i < opts.serial; i++) {
    const t = await submit(`s${i}`);
    const started = await waitFor(() => stepStartedAt(t.id), { timeoutMs: 30_000, intervalMs: 5, what: `step start of ${t.id}` });
    serial.push(started - t.sentAt);
    serialLeased.push((await leasedAt(t.id)) - t.sentAt);
    await waitFor(async () => (await statusOf(t.id))?.status === "succeeded", { timeoutMs: 30_000, intervalMs: 10, what: `${t.id} succeeded` });
  }

  // Load: clients submit back to back; runners drain the queue.
  const loadStart = Date.now();
  const submitted = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: opts.clients }, async () => {
      while (next < opts.tasks) submitted.push(await submit(`l${next++}`));
    }),
  );
  const submitMs = Date.now() - loadStart;
  // D1 binds at most 100 variables: the ids go in as one JSON array.
  const idList = JSON.stringify(submitted.map((t) => t.id));
  await waitFor(
    async () => {
      const row = await stack.db.prepare("SELECT count(*) AS n FROM tasks WHERE id IN (SELECT value FROM json_each(?)) AND status IN ('succeeded', 'failed', 'cancelled', 'expired')").bind(idList).first();
      return row.n === submitted.length;
    },
    { timeoutMs: 15 * 60_000, intervalMs: 100, what: "every load task finished" },
  );
  const lastFinish = await stack.db.prepare("SELECT max(finished_at) AS at FROM tasks WHERE id IN (SELECT value FROM json_each(?))").bind(idList).first();
  const loadMs = Date.parse(lastFinish.at) - loadStart;
  const loaded = [];
  const loadedLeased = [];
  for (const t of submitted) {
    loaded.push((await stepStartedAt(t.id)) - t.sentAt);
    loadedLeased.push((await leasedAt(t.id)) - t.sentAt);
  }

  // Exactly once, nothing held.
  const all = [...submitted.map((t) => t.id)];
  const bad = await stack.db.prepare(`SELECT id, status, attempts FROM tasks WHERE org_id = ? AND (status != 'succeeded' OR attempts != 1)`).bind(org.orgId).all();
  const succeededEvents = await stack.db.prepare("SELECT count(*) AS n FROM task_events WHERE org_id = ? AND type = 'status' AND json_extract(data, '$.status') = 'succeeded'").bind(org.orgId).first();
  const budget = (await stack.api("GET", `/v1/teams/${org.teamId}/budget`, { key: org.key, expect: 200 })).body;

  const s = stats(serial);
  const l = stats(loaded);
  const perMinute = (submitted.length / loadMs) * 60_000;
  console.log("dispatch latency: POST /v1/tasks sent → the step started on a runner (ms)");
  console.log("  phase                         n     p50     p90     p99     max");
  console.log(`  serial (idle)            ${String(s.n).padStart(6)} ${ms(s.p50).padStart(7)} ${ms(s.p90).padStart(7)} ${ms(s.p99).padStart(7)} ${ms(s.max).padStart(7)}`);
  console.log(`  load (${opts.clients} clients)          ${String(l.n).padStart(6)} ${ms(l.p50).padStart(7)} ${ms(l.p90).padStart(7)} ${ms(l.p99).padStart(7)} ${ms(l.max).padStart(7)}`);
  const sl = stats(serialLeased);
  const ll = stats(loadedLeased);
  console.log("of which the control plane's part: POST /v1/tasks sent → job leased to a runner (the task's 'running' event)");
  console.log(`  serial (idle)            ${String(sl.n).padStart(6)} ${ms(sl.p50).padStart(7)} ${ms(sl.p90).padStart(7)} ${ms(sl.p99).padStart(7)} ${ms(sl.max).padStart(7)}`);
  console.log(`  load (${opts.clients} clients)          ${String(ll.n).padStart(6)} ${ms(ll.p50).padStart(7)} ${ms(ll.p90).padStart(7)} ${ms(ll.p99).padStart(7)} ${ms(ll.max).padStart(7)}`);
  console.log("  (the rest is the runner: verifying the job, a fresh git worktree, spawning the step)");
  console.log(`\nthroughput: ${submitted.length} tasks through ${opts.runners} runners in ${(loadMs / 1000).toFixed(1)} s = ${perMinute.toFixed(0)} tasks/minute (submitting took ${(submitMs / 1000).toFixed(1)} s)`);
  console.log("\nchecks:");
  console.log(`  ${bad.results.length === 0 ? "OK  " : "FAIL"} every task succeeded on its first attempt (${all.length + serial.length - bad.results.length} of ${all.length + serial.length})`);
  console.log(`  ${succeededEvents.n === all.length + serial.length ? "OK  " : "FAIL"} one 'succeeded' per task (${succeededEvents.n})`);
  console.log(`  ${budget.held_micros === 0 ? "OK  " : "FAIL"} nothing held in the budget (${budget.held_micros})`);
  const perRunner = await stack.db.prepare("SELECT runner_id, count(*) AS n FROM tasks WHERE org_id = ? GROUP BY runner_id ORDER BY n DESC").bind(org.orgId).all();
  console.log(`  tasks per runner: ${perRunner.results.map((r) => r.n).join(", ")}`);
  if (bad.results.length) console.log(bad.results.slice(0, 5));
}

main()
  .then(stopAll, async (err) => {
    console.error(`bench failed: ${err?.stack ?? err}`);
    if (stack) console.error(stack.workerLog().slice(-3000));
    await stopAll();
    process.exitCode = 1;
  });
