// `npm run bench:signals`: sysop's business-signal ingest and outcome queries on a realistic
// history (issue #6), in one run:
//   1. start the local stack (test/e2e/stack.mjs: the Worker on workerd through Miniflare, D1
//      in a temp dir); sign up an org, create the teams, 2-3 repos each, secrets for all six
//      webhook sources and mapping rules (PagerDuty services, Zendesk tags, Jira components,
//      Linear labels and CRM blocking features -> team, trackers -> the team's main repo);
//   2. generate, from a seeded PRNG, a history of --days days per team: pull requests (some
//      agent-made: branch `sysop/`, label `sysop-agent` or a `Sysop-Task:` / co-author
//      trailer) with their pushes, reviews (changes requested sometimes), merges or closes,
//      reverts and follow-ups; deployments (in_progress then success or failure, redeploys);
//      PagerDuty incidents (some shortly after a deploy); Zendesk tickets; Jira or Linear
//      issues and GitHub issues (bugs, features, tech debt); CRM deals with ARR, some blocked
//      on a feature. Each event is built by test/fakes/provider-events.ts (bundled for Node)
//      and signed the provider's way when it is sent;
//   3. behind the agent pull requests that name a sysop task (branch `sysop/task_…` or a
//      `Sysop-Task:` trailer), real tasks: POST /v1/tasks (an allow-all org policy, a runner
//      pool, team budgets), leased and reported succeeded through the runner protocol by
//      runners the bench enrols (some after an abandoned lease, so attempts > 1), and their
//      model calls reserved and settled with the task id (POST /v1/budgets/reserve, /settle;
//      seeded token counts priced at claude-sonnet-4-5 rates); the real task ids replace the
//      stand-ins in the pull requests before anything is sent; wait for the usage rows in D1;
//   4. send everything, in time order, through POST /v1/webhooks/{source}/{org_id} from
//      --senders concurrent senders: events/s, accepted, duplicates, errors; then re-send a
//      sample with the same delivery ids (a provider's retry) and expect only duplicates;
//   5. check D1 against what was sent: signals, changes, deployments, deliveries, no dead
//      letters, each pull request's stored fields (its task id too) against the generated
//      truth, the tasks, their attempts, the usage rows and their cost;
//   6. time GET /v1/metrics over the whole period per team and for the org, and
//      GET /v1/priorities per team (p50/p99 over --runs rounds); print some metric values
//      beside the values the generated history implies; check cost per accepted change and
//      iterations per accepted change (org and per team) against what was sent;
//   7. stop workerd and everything else, also on error and Ctrl-C.
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import os from "node:os";
import { parseArgs } from "node:util";
import { startStack } from "../test/e2e/stack.mjs";
import { importBundled } from "./lib/bundle.mjs";
import { procs } from "./lib/dev-server.mjs";
import { latencyStats } from "./lib/stats.mjs";
import { HOUR, generateHistory, makeOrg, rngFrom } from "./lib/signals-history.mjs";

const HELP = `Usage: node bench/signals.mjs [options]   (or: npm run bench:signals -- [options])

  --teams <n>     teams, each with 2-3 repos                        (default 10)
  --days <n>      days of history per team, ending now              (default 90)
  --senders <n>   concurrent webhook senders                        (default 8)
  --runs <n>      rounds of metric and priority queries             (default 5)
  --seed <n>      PRNG seed: the same seed makes the same history   (default 6)
  --quick         a smaller history: 3 teams, 30 days, 3 rounds
  -h, --help      this text`;

const { values: flags } = parseArgs({
  options: {
    teams: { type: "string", default: "10" },
    days: { type: "string", default: "90" },
    senders: { type: "string", default: "8" },
    runs: { type: "string", default: "5" },
    seed: { type: "string", default: "6" },
    quick: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (flags.help) {
  console.log(HELP);
  process.exit(0);
}
const positive = (name, v, max) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer from 1 to ${max}, got ${v}`);
  return n;
};
const opts = {
  teams: flags.quick ? 3 : positive("teams", flags.teams, 26),
  days: flags.quick ? 30 : positive("days", flags.days, 365),
  senders: positive("senders", flags.senders, 256),
  runs: flags.quick ? 3 : positive("runs", flags.runs, 100),
  seed: positive("seed", flags.seed, 2 ** 31),
};

// ---------------------------------------------------------------- measuring

const stats = latencyStats;
/** Output-token price is what a hold is sized at, as the control plane sizes a task's. */
const PRICE = { model: "claude-sonnet-4-5", input: 3, output: 15 }; // micro-dollars per token ($3 / $15 per million)
const usd = (micros) => `$${(micros / 1e6).toFixed(2)}`;

/** A JWT signed with the runner's Ed25519 key (EdDSA), as sysop-runner signs its own. */
function signedJwt(runner, header, claims) {
  const now = Math.floor(Date.now() / 1000);
  const part = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${part({ alg: "EdDSA", kid: runner.id, ...header })}.${part({ iat: now, exp: now + 120, ...claims })}`;
  return `${input}.${sign(null, Buffer.from(input), runner.privateKey).toString("base64url")}`;
}
const runnerToken = (runner) => signedJwt(runner, { typ: "JWT" }, { iss: runner.id, sub: runner.id, aud: "sysop-runner", jti: randomBytes(12).toString("hex") });

/** fn over items, at most n at a time; the results in the items' order. */
async function inParallel(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "-");
const fmt = (v, digits = 2) => (v === null || v === undefined ? "-" : Number.isInteger(v) ? String(v) : v.toFixed(digits));
const row = (label, s) => `  ${label.padEnd(34)} ${String(s.n).padStart(6)} ${f1(s.p50).padStart(8)} ${f1(s.p90).padStart(8)} ${f1(s.p99).padStart(8)} ${f1(s.max).padStart(8)}`;

/** Every process's parent and CPU seconds so far (Linux /proc; empty elsewhere). */
const cpuSnapshot = () => new Map(procs().map((p) => [p.pid, { pid: p.pid, ppid: p.ppid, cpu: p.cpuSecs }]));

/** Cores kept busy between two snapshots: this bench, its workerd (a descendant), everything else. */
function cpuSplit(a, b, seconds) {
  const ours = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of b.values()) if (!ours.has(p.pid) && ours.has(p.ppid)) grew = ours.add(p.pid) !== null;
  }
  const split = { bench: 0, workerd: 0, other: 0 };
  for (const p of b.values()) {
    const used = p.cpu - (a.get(p.pid)?.cpu ?? 0);
    split[p.pid === process.pid ? "bench" : ours.has(p.pid) ? "workerd" : "other"] += used;
  }
  return Object.fromEntries(Object.entries(split).map(([k, v]) => [k, (v / seconds).toFixed(2)]));
}

let stack = null;
const stopAll = async () => {
  const s = stack;
  stack = null;
  await s?.stop();
};
for (const sig of ["SIGINT", "SIGTERM"]) process.once(sig, () => stopAll().finally(() => process.exit(130)));

async function main() {
  console.log(`sysop signals benchmark: ${opts.teams} teams, ${opts.days} days, ${opts.senders} senders, ${opts.runs} query rounds, seed ${opts.seed}`);
  console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}); workerd and this process share them\n`);

  const { module: providers } = await importBundled({ name: "provider-events", resolveDir: "test/fakes", exports: ['export * from "./provider-events";'] });
  const rng = rngFrom(opts.seed);
  const org = makeOrg(rng, opts.teams);
  const now = Math.floor(Date.now() / 1000) * 1000;
  const g0 = performance.now();
  const { start, events, truth } = generateHistory(rng, org, now, opts.days);
  const bySource = {};
  for (const e of events) bySource[e.source] = (bySource[e.source] ?? 0) + 1;
  console.log(`history: ${events.length} events generated in ${f1(performance.now() - g0)} ms (${Object.entries(bySource).map(([s, n]) => `${s} ${n}`).join(", ")})`);
  console.log(`  ${truth.changes.size} pull requests, ${truth.deployments} finished deployments, ${truth.signals.size} signals, ${truth.deals.length} deals`);

  stack = await startStack();
  console.log(`stack up: bundled in ${stack.timings.bundleMs} ms, workerd ready in ${stack.timings.startMs} ms at ${stack.url}`);
  const api = stack.api;
  const owner = await stack.signup("signals");
  const key = owner.key;

  // -- set-up: teams, repos, secrets, mapping rules
  for (const team of org.teams) {
    team.id = (await api("POST", "/v1/teams", { key, body: { name: team.Name }, expect: 201 })).body.id;
    for (const name of team.repos) await api("POST", "/v1/repos", { key, body: { team_id: team.id, name }, expect: 201 });
  }
  const secrets = {};
  for (const source of ["github", "jira", "linear", "zendesk", "pagerduty", "crm"]) {
    secrets[source] = randomBytes(24).toString("hex");
    await api("PUT", `/v1/org/webhooks/${source}`, { key, body: { secrets: [secrets[source]] }, expect: 200 });
  }
  let rules = 0;
  const rule = async (body) => {
    await api("POST", "/v1/signal-mappings", { key, body, expect: 201 });
    rules++;
  };
  for (const team of org.teams) {
    await rule({ match: { sources: ["pagerduty"], services: team.services.map((s) => s.name) }, team_id: team.id });
    await rule({ match: { sources: ["zendesk"], labels: [team.zendeskTag] }, team_id: team.id });
    await rule(team.tracker === "jira" ? { match: { sources: ["jira"], components: [team.component] }, team_id: team.id, repo: team.repos[0] } : { match: { sources: ["linear"], labels: [team.linearLabel] }, team_id: team.id, repo: team.repos[0] });
    await rule({ match: { sources: ["crm"], components: team.features }, team_id: team.id });
  }
  console.log(`org ${owner.orgId}: ${org.teams.length} teams, ${org.teams.reduce((n, t) => n + t.repos.length, 0)} repos, 6 webhook sources, ${rules} mapping rules\n`);

  // -- sysop tasks and their usage behind the agent pull requests that name one, before any
  //    delivery: each task is created for real (POST /v1/tasks: policy decisions, a budget
  //    hold, queued on the org's pool), its real id replaces the stand-in in the pull request's
  //    branch or trailer, runners the bench enrols run it (below), and its model calls are
  //    reserved and settled against the team's budget with the task id (POST
  //    /v1/budgets/reserve, /settle), which the ledger's outbox writes to usage_records.
  await api("POST", "/v1/policies", { key, body: { layer: "org", document: { default_effect: "allow", rules: [] } }, expect: 201 });
  const poolId = (await api("POST", "/v1/runner-pools", { key, body: { name: "bench-signals" }, expect: 201 })).body.id;
  for (const team of org.teams) await api("PUT", `/v1/teams/${team.id}/budget`, { key, body: { period: "monthly", limit_micros: 1e12 }, expect: 200 });
  const linked = [...truth.changes.values()].filter((c) => c.task !== null);
  const urng = rngFrom(opts.seed ^ 0x7a5c); // its own stream: the history does not move
  for (const c of linked) {
    c.estimatedTokens = urng.int(40, 160) * 1000;
    // Runs it took: a lost lease (the runner stopped answering) puts the job back in the queue.
    c.attempts = urng.weighted([[1, 16], [2, 3], [3, 1]]);
    c.calls = Array.from({ length: urng.int(1, 3) }, () => {
      const input = urng.int(8_000, 40_000);
      const output = urng.int(1_500, 8_000);
      return { input, output, micros: input * PRICE.input + output * PRICE.output };
    });
    c.costMicros = c.calls.reduce((n, u) => n + u.micros, 0);
  }
  const callApi = async (method, path, body, headers) => {
    const res = await api(method, path, { key, body, headers });
    if (res.status !== 200 && res.status !== 201) throw new Error(`${method} ${path} -> ${res.status}: ${res.text.slice(0, 500)}`);
    return res.body;
  };
  const t0Tasks = performance.now();
  const taskLatencies = [];
  const created = await inParallel(linked, opts.senders, async (c) => {
    const s0 = performance.now();
    const task = await callApi("POST", "/v1/tasks", { team_id: c.team.id, repo: c.repo, ref: "main", kind: "agent_run", goal: c.title, estimated_tokens: c.estimatedTokens }, { "idempotency-key": `bench-${c.repo}#${c.number}` });
    taskLatencies.push(performance.now() - s0);
    return task;
  });
  const tasksMs = performance.now() - t0Tasks;
  const agentChanges = [...truth.changes.values()].filter((c) => c.origin === "agent").length;
  console.log(`tasks: ${linked.length} sysop tasks (kind agent_run), one per agent pull request that names a task (of ${agentChanges} agent pull requests), created in ${f1(tasksMs / 1000)} s, ${opts.senders} at a time`);
  const realId = new Map(linked.map((c, i) => [c.task, created[i].id]));
  for (const c of linked) c.taskId = realId.get(c.task);
  const swap = (text) => text.replace(/\btask_[a-z2-7]{20}\b/g, (m) => realId.get(m) ?? m);
  for (const ev of events) {
    const f = ev.fields;
    if (typeof f.body === "string") f.body = swap(f.body);
    if (typeof f.branch === "string") f.branch = swap(f.branch);
    if (f.pullRequest) f.pullRequest = { ...f.pullRequest, branch: swap(f.pullRequest.branch) };
    if (Array.isArray(f.commits)) f.commits = f.commits.map((m) => ({ ...m, message: swap(m.message) }));
  }

  // Runners, the bench acting as them through the runner protocol (sandbox-bridge/PROTOCOL.md):
  // each enrols its own Ed25519 key, leases the queued jobs and reports each one succeeded on
  // the attempt drawn for it; an earlier attempt is leased and abandoned, so its lease expires
  // and the job is queued again. Runs nothing, reports no tokens (the usage is settled below),
  // so each task's budget hold is released when it succeeds.
  const t0Runs = performance.now();
  const runnersUsed = await inParallel(Array.from({ length: Math.min(4, opts.senders) }, (_, i) => i), 4, async (i) => {
    const token = (await callApi("POST", `/v1/runner-pools/${poolId}/enrolment-tokens`, {})).token;
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const res = await api("POST", "/v1/runners/enroll", { body: { token, name: `bench-runner-${i + 1}`, public_key: publicKey.export({ format: "jwk" }) }, expect: 201 });
    return { id: res.body.runner_id, privateKey };
  });
  const byTask = new Map(linked.map((c) => [c.taskId, c]));
  const runs = { leases: 0, abandoned: 0, succeeded: 0 };
  const leaseRound = async () => {
    let leased = 0;
    await inParallel(Array.from({ length: opts.senders }, (_, i) => runnersUsed[i % runnersUsed.length]), opts.senders, async (runner) => {
      for (;;) {
        const res = await api("POST", "/v1/runner/lease", { key: runnerToken(runner), body: { wait_seconds: 0 } });
        if (res.status === 204) return;
        if (res.status !== 200) throw new Error(`POST /v1/runner/lease -> ${res.status}: ${res.text.slice(0, 500)}`);
        leased++;
        runs.leases++;
        const { job } = JSON.parse(Buffer.from(res.body.job.split(".")[1], "base64url").toString());
        const c = byTask.get(job.task_id);
        if (!c) throw new Error(`leased a job for a task the bench did not make: ${job.task_id}`);
        if (job.attempt < c.attempts) {
          runs.abandoned++; // no heartbeat, no outcome: the lease expires
          continue;
        }
        const duration = 60_000 + (c.estimatedTokens % 7) * 45_000;
        const outcome = { job_id: job.id, task_id: job.task_id, attempt: job.attempt, status: "succeeded", exit_code: 0, duration_ms: duration, steps: [{ name: "agent", kind: "agent", exit_code: 0, duration_ms: duration }], tests: null, files_changed: [`src/${c.number}.ts`], diff_stats: { files: 1, additions: 12, deletions: 3 }, tokens_used: null };
        const reported = await api("POST", `/v1/runner/jobs/${job.id}/outcome`, { key: runnerToken(runner), body: { lease_id: res.body.lease.id, outcome: signedJwt(runner, { typ: "sysop-outcome+jwt" }, { iss: runner.id, aud: "sysop", ...outcome }) } });
        if (reported.status !== 200 || !reported.body.accepted) throw new Error(`outcome of ${job.id} -> ${reported.status}: ${reported.text.slice(0, 500)}`);
        runs.succeeded++;
      }
    });
    return leased;
  };
  let idleMs = 0;
  while (runs.succeeded < linked.length && performance.now() - t0Runs < 120_000) {
    // Abandoned leases expire by the pool's alarm (RUNNER_LEASE_SECONDS, 4 s on the stack).
    const r0 = performance.now();
    if ((await leaseRound()) === 0) {
      await new Promise((r) => setTimeout(r, 250));
      idleMs += performance.now() - r0;
    }
  }
  const runsMs = performance.now() - t0Runs;
  console.log(`runs: ${runnersUsed.length} runners enrolled; ${runs.leases} leases, ${runs.abandoned} abandoned (the lease expired, the job was queued again), ${runs.succeeded} reported succeeded; ${f1(runsMs / 1000)} s, of which ${f1(idleMs / 1000)} s waiting for abandoned leases to expire`);

  const calls = linked.flatMap((c) => c.calls.map((u, k) => ({ ...u, change: c, k })));
  const t0Usage = performance.now();
  const usageLatencies = [];
  await inParallel(calls, opts.senders, async (u) => {
    const s0 = performance.now();
    const team_id = u.change.team.id;
    const tokens = u.input + u.output;
    const held = await callApi("POST", "/v1/budgets/reserve", { team_id, estimate_micros: tokens * PRICE.output, estimate_tokens: tokens, repo: u.change.repo, idempotency_key: `bench-${u.change.taskId}-${u.k}` });
    await callApi("POST", "/v1/budgets/settle", { team_id, reservation_id: held.id, actual_micros: u.micros, actual_tokens: tokens, model: PRICE.model, input_tokens: u.input, output_tokens: u.output, task_id: u.change.taskId });
    usageLatencies.push(performance.now() - s0);
  });
  const usageMs = performance.now() - t0Usage;
  const settledMicros = calls.reduce((n, u) => n + u.micros, 0);
  // The ledgers' outboxes write the usage rows to D1 by alarm, shortly after each settle.
  const t0Flush = performance.now();
  const usageRows = async () => (await stack.db.prepare("SELECT count(*) AS n, coalesce(sum(cost_micros), 0) AS micros FROM usage_records WHERE org_id = ? AND task_id IS NOT NULL").bind(owner.orgId).first());
  let usageStored = await usageRows();
  while (usageStored.n < calls.length && performance.now() - t0Flush < 60_000) {
    await new Promise((r) => setTimeout(r, 100));
    usageStored = await usageRows();
  }
  const flushMs = performance.now() - t0Flush;
  console.log(`usage: ${calls.length} model calls reserved and settled in ${f1(usageMs / 1000)} s (${fmt(calls.reduce((n, u) => n + u.input + u.output, 0) / 1e6)} M tokens at ${PRICE.model} rates, ${usd(settledMicros)}); ${usageStored.n} usage rows in D1 ${f1(flushMs)} ms later`);
  console.log("  request latency (ms)                    n      p50      p90      p99      max");
  console.log(row("POST /v1/tasks", stats(taskLatencies)));
  console.log(row("reserve + settle, one model call", stats(usageLatencies)));
  console.log();

  // -- ingest
  const webhookUrl = (source) => `${stack.url}/v1/webhooks/${source}/${owner.orgId}`;
  async function sendAll(list, progressEvery) {
    const out = { accepted: 0, duplicates: 0, records: 0, errors: new Map(), samples: [], latencies: [] };
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: opts.senders }, async () => {
        while (next < list.length) {
          const ev = list[next++];
          const delivery = await providers[ev.builder]({ ...ev.fields, secret: secrets[ev.source], ...(ev.deliveryId ? { deliveryId: ev.deliveryId } : {}) });
          ev.deliveryId = delivery.deliveryId;
          const s0 = performance.now();
          let status = "network";
          let text = "";
          try {
            const res = await fetch(webhookUrl(delivery.source), { method: "POST", headers: delivery.headers, body: delivery.body });
            status = res.status;
            text = await res.text();
          } catch (err) {
            text = String(err);
          }
          out.latencies.push(performance.now() - s0);
          if (status === 200) {
            const body = JSON.parse(text);
            if (body.duplicate) {
              out.duplicates++;
              if (out.samples.length < 5 && !ev.retry) out.samples.push(`${ev.builder} ${delivery.deliveryId}: answered as a duplicate`);
            }
            else out.accepted++;
            out.records += body.records;
          } else {
            out.errors.set(status, (out.errors.get(status) ?? 0) + 1);
            if (out.samples.length < 5) out.samples.push(`${ev.builder} -> ${status}: ${text.slice(0, 300)}`);
          }
          const done = out.accepted + out.duplicates + [...out.errors.values()].reduce((a, b) => a + b, 0);
          if (progressEvery && done % progressEvery === 0) console.log(`  ${done}/${list.length} sent, ${f1((done / (performance.now() - t0)) * 1000)} events/s`);
        }
      }),
    );
    return { ...out, ms: performance.now() - t0 };
  }

  // What building and signing costs this process, alone (it shares the cores with workerd).
  const probe = events.filter((_, i) => i % Math.max(1, Math.floor(events.length / 300)) === 0);
  const p0 = performance.now();
  for (const ev of probe) await providers[ev.builder]({ ...ev.fields, secret: secrets[ev.source] });
  const signMs = (performance.now() - p0) / probe.length;

  console.log(`ingest: ${events.length} deliveries through POST /v1/webhooks/{source}/{org_id}, ${opts.senders} senders, in time order`);
  const cpuBefore = cpuSnapshot();
  const ingest = await sendAll(events, Math.max(1000, Math.round(events.length / 8 / 1000) * 1000));
  const cpu = cpuSplit(cpuBefore, cpuSnapshot(), ingest.ms / 1000);
  const errorCount = [...ingest.errors.values()].reduce((a, b) => a + b, 0);
  const lat = stats(ingest.latencies);
  const rate = (events.length / ingest.ms) * 1000;
  console.log(`  ${events.length} in ${f1(ingest.ms / 1000)} s = ${f1(rate)} events/s; accepted ${ingest.accepted}, duplicates ${ingest.duplicates}, errors ${errorCount}${errorCount ? ` ${JSON.stringify(Object.fromEntries(ingest.errors))}` : ""}; ${ingest.records} records`);
  console.log(`  cores busy meanwhile (of ${os.cpus().length}): workerd ${cpu.workerd}, this bench ${cpu.bench}, other processes ${cpu.other}`);
  console.log(`  building and signing a delivery in the bench, one at a time: ${signMs.toFixed(2)} ms (${probe.length} measured)`);
  console.log("  request latency (ms)                    n      p50      p90      p99      max");
  console.log(row("one webhook delivery", lat));
  for (const s of ingest.samples) console.log(`  ! ${s}`);

  const countsNow = async () => {
    const one = async (sql) => (await stack.db.prepare(sql).bind(owner.orgId).first()).n;
    return {
      signals: await one("SELECT count(*) AS n FROM signals WHERE org_id = ?"),
      changes: await one("SELECT count(*) AS n FROM changes WHERE org_id = ?"),
      deployments: await one("SELECT count(*) AS n FROM deployments WHERE org_id = ?"),
      deliveries: await one("SELECT count(*) AS n FROM webhook_deliveries WHERE org_id = ?"),
      deadLetters: await one("SELECT count(*) AS n FROM webhook_dead_letters WHERE org_id = ?"),
      unmapped: await one("SELECT count(*) AS n FROM signals WHERE org_id = ? AND team_id IS NULL"),
    };
  };
  const before = await countsNow();

  // -- retries: the same deliveries again (same ids, signed anew): all duplicates, nothing stored twice
  const sampleSize = Math.min(events.length, Math.max(100, Math.round(events.length * 0.02)));
  const sample = Array.from({ length: sampleSize }, (_, i) => ({ ...events[Math.floor((i * events.length) / sampleSize)], retry: true }));
  const retry = await sendAll(sample, 0);
  const after = await countsNow();
  console.log(`\nretries: ${sample.length} deliveries re-sent with their delivery ids: duplicates ${retry.duplicates}, accepted ${retry.accepted}, errors ${[...retry.errors.values()].reduce((a, b) => a + b, 0)}`);

  // -- D1 against the truth
  const expectedBySource = {};
  for (const s of truth.signals.keys()) expectedBySource[s.split("|")[0]] = (expectedBySource[s.split("|")[0]] ?? 0) + 1;
  const storedStates = (await stack.db.prepare("SELECT source, external_id, state FROM signals WHERE org_id = ?").bind(owner.orgId).all()).results;
  const wrongStates = storedStates.filter((r) => truth.signals.get(`${r.source}|${r.external_id}`) !== r.state);
  const storedBySource = Object.fromEntries((await stack.db.prepare("SELECT source, count(*) AS n FROM signals WHERE org_id = ? GROUP BY source").bind(owner.orgId).all()).results.map((r) => [r.source, r.n]));
  const stored = (await stack.db.prepare("SELECT repo, number, origin, first_commit_at, first_review_at, approved_at, merged_at, closed_at, review_rounds, reverted_at, reworked_at, team_id, task_id FROM changes WHERE org_id = ?").bind(owner.orgId).all()).results;
  const storedBy = new Map(stored.map((c) => [`${c.repo}#${c.number}`, c]));
  const ms = (v) => (v === null || v === undefined ? null : Date.parse(v));
  const fields = {
    origin: (t, s) => t.origin === s.origin,
    merged_at: (t, s) => t.mergedAt === ms(s.merged_at),
    closed_at: (t, s) => t.closedAt === ms(s.closed_at),
    first_review_at: (t, s) => t.firstReviewAt === ms(s.first_review_at),
    approved_at: (t, s) => t.approvedAt === ms(s.approved_at),
    review_rounds: (t, s) => t.reviewRounds === s.review_rounds,
    first_commit_at: (t, s) => t.firstCommitAt === ms(s.first_commit_at),
    reverted: (t, s) => t.reverted === (s.reverted_at !== null),
    reworked: (t, s) => t.reworked === (s.reworked_at !== null),
    team: (_t, s) => s.team_id !== null,
    task_id: (t, s) => (t.taskId ?? null) === s.task_id,
  };
  const mismatches = Object.fromEntries(Object.keys(fields).map((k) => [k, 0]));
  const examples = {};
  let missingChanges = 0;
  for (const [id, t] of truth.changes) {
    const s = storedBy.get(id);
    if (!s) {
      missingChanges++;
      continue;
    }
    for (const [k, same] of Object.entries(fields)) {
      if (same(t, s)) continue;
      mismatches[k]++;
      const iso = (v) => (typeof v === "number" ? new Date(v).toISOString() : v);
      examples[k] ??= `${id} opened ${iso(t.openedAt)}: sent ${iso({ first_commit_at: t.firstCommitAt, first_review_at: t.firstReviewAt, task_id: t.taskId ?? null }[k] ?? "…")}, stored ${s[k] ?? "null"}`;
    }
  }
  const firstCommitStored = stored.filter((s) => s.first_commit_at !== null).length;

  const checks = [];
  const check = (ok, text) => checks.push(`  ${ok ? "OK  " : "FAIL"} ${text}`);
  check(errorCount === 0 && ingest.accepted === events.length, `every delivery accepted once (${ingest.accepted} of ${events.length}, ${errorCount} errors)`);
  check(retry.duplicates === sample.length, `every retry answered as a duplicate (${retry.duplicates} of ${sample.length})`);
  check(JSON.stringify(before) === JSON.stringify(after), `nothing stored twice: counts unchanged by the retries (${JSON.stringify(after)})`);
  check(after.deliveries === events.length, `webhook_deliveries = deliveries sent (${after.deliveries} = ${events.length})`);
  check(after.deadLetters === 0, `no dead letters (${after.deadLetters})`);
  check(after.signals === truth.signals.size, `signals = distinct things signalled (${after.signals} = ${truth.signals.size}; ${Object.entries(expectedBySource).map(([s, n]) => `${s} ${storedBySource[s] ?? 0}/${n}`).join(", ")})`);
  check(after.changes === truth.changes.size && missingChanges === 0, `changes = pull requests opened (${after.changes} = ${truth.changes.size})`);
  check(wrongStates.length === 0, `signals in the state their last delivery says: ${storedStates.length - wrongStates.length} of ${storedStates.length}${wrongStates.length ? ` (e.g. ${wrongStates.slice(0, 3).map((r) => `${r.source} ${r.external_id} ${r.state}`).join(", ")})` : ""}`);
  check(after.deployments === truth.deployments, `deployments = finished deployment statuses (${after.deployments} = ${truth.deployments})`);
  const unplaced = truth.deals.filter((d) => d.blockingFeature === null).length;
  check(after.unmapped === unplaced, `unmapped signals = deals naming no feature or repo (${after.unmapped} = ${unplaced})`);
  for (const [k, n] of Object.entries(mismatches)) check(n === 0, `pull requests whose ${k} is as sent: ${truth.changes.size - missingChanges - n} of ${truth.changes.size - missingChanges}${examples[k] ? ` (e.g. ${examples[k]})` : ""}`);
  // The tasks and usage behind the agent pull requests.
  const linkedIds = JSON.stringify(linked.map((c) => c.taskId));
  const taskRows = (await stack.db.prepare("SELECT status, count(*) AS n, sum(attempts) AS attempts FROM tasks WHERE org_id = ? AND id IN (SELECT value FROM json_each(?)) GROUP BY status").bind(owner.orgId, linkedIds).all()).results;
  const tasksFound = taskRows.reduce((n, r) => n + r.n, 0);
  const tasksInOrg = (await stack.db.prepare("SELECT count(*) AS n FROM tasks WHERE org_id = ?").bind(owner.orgId).first()).n;
  const taskStatuses = taskRows.map((r) => `${r.status} ${r.n}`).join(", ");
  const taskAttempts = taskRows.reduce((n, r) => n + r.attempts, 0);
  const costByTask = new Map((await stack.db.prepare("SELECT task_id, sum(cost_micros) AS micros, count(*) AS n FROM usage_records WHERE org_id = ? AND task_id IS NOT NULL GROUP BY task_id").bind(owner.orgId).all()).results.map((r) => [r.task_id, r]));
  const wrongCost = linked.filter((c) => costByTask.get(c.taskId)?.micros !== c.costMicros || costByTask.get(c.taskId)?.n !== c.calls.length);
  const attemptsSent = linked.reduce((n, c) => n + c.attempts, 0);
  check(new Set(linked.map((c) => c.taskId)).size === linked.length && tasksFound === linked.length && tasksInOrg === linked.length, `tasks created = agent pull requests naming a task (${tasksFound} = ${linked.length}; ${tasksInOrg} tasks in the org; ${taskStatuses})`);
  check(taskRows.length === 1 && taskRows[0].status === "succeeded" && taskAttempts === attemptsSent, `every task succeeded, after the attempts drawn for it (attempts ${taskAttempts} = ${attemptsSent})`);
  check(usageStored.n === calls.length, `usage rows with a task id = calls settled (${usageStored.n} = ${calls.length})`);
  check(usageStored.micros === settledMicros, `their cost = what was settled (${usageStored.micros} = ${settledMicros} micro-dollars)`);
  check(wrongCost.length === 0, `each task's usage rows and cost as settled: ${linked.length - wrongCost.length} of ${linked.length}${wrongCost.length ? ` (e.g. ${wrongCost[0].taskId}: sent ${wrongCost[0].costMicros}, stored ${costByTask.get(wrongCost[0].taskId)?.micros ?? "none"})` : ""}`);
  console.log(`\nchecks (D1 against what was sent):\n${checks.join("\n")}`);
  if (mismatches.first_commit_at) console.log(`  (${firstCommitStored} changes have a first_commit_at at all; the branch's first push is sent before its pull request is opened)`);

  // -- queries
  const from = new Date(start).toISOString();
  const timeGet = async (path) => {
    const t0 = performance.now();
    const res = await api("GET", path, { key });
    const took = performance.now() - t0;
    if (res.status !== 200) throw new Error(`GET ${path} -> ${res.status}: ${res.text.slice(0, 500)}`);
    return { took, body: res.body };
  };
  const teamMetrics = [];
  const orgMetrics = [];
  const priorities = [];
  let orgReport = null;
  let topPriority = null;
  const teamReports = new Map();
  for (let r = 0; r < opts.runs; r++) {
    const to = new Date().toISOString();
    for (const team of org.teams) {
      const m = await timeGet(`/v1/metrics?team_id=${team.id}&from=${from}&to=${to}&compare=agent,human`);
      teamMetrics.push(m.took);
      if (r === 0) teamReports.set(team, m.body);
      const p = await timeGet(`/v1/priorities?team_id=${team.id}`);
      priorities.push(p.took);
      if (r === 0 && team === org.teams[0]) topPriority = p.body.data[0];
    }
    const o = await timeGet(`/v1/metrics?from=${from}&to=${to}&compare=agent,human,all`);
    orgMetrics.push(o.took);
    orgReport = o.body;
  }
  console.log(`\nqueries over ${opts.days} days (${opts.runs} rounds; ms)          n      p50      p90      p99      max`);
  console.log(row("GET /v1/metrics, one team", stats(teamMetrics)));
  console.log(row("GET /v1/metrics, whole org", stats(orgMetrics)));
  console.log(row("GET /v1/priorities, one team", stats(priorities)));

  // -- what the metrics say, beside what the history implies
  const metric = (name) => orgReport.metrics.find((m) => m.name === name);
  const opened = [...truth.changes.values()].filter((c) => c.openedAt >= start);
  const accept = (origin) => {
    const mine = opened.filter((c) => c.origin === origin);
    return mine.filter((c) => c.mergedAt !== null).length / mine.length;
  };
  console.log("\nthe whole org over the period (agent | human | all, value (sample size)):");
  for (const name of ["acceptance_rate", "iterations_per_accepted_change", "time_to_first_review_median_hours", "cycle_time_median_hours", "rework_rate", "change_incident_rate", "deployment_frequency_per_day", "lead_time_for_changes_median_hours", "change_failure_rate", "time_to_restore_median_hours"]) {
    const m = metric(name);
    const cell = (c) => (c ? `${fmt(c.value)} (${c.sample_size})` : "-");
    console.log(`  ${name.padEnd(36)} ${cell(m.agent).padStart(14)} | ${cell(m.human).padStart(14)} | ${cell(m.all).padStart(14)}`);
  }
  // The same medians from the generated history (type 7 quantile, as domain/metrics/stats.ts).
  const median = (xs) => {
    const v = [...xs].sort((a, b) => a - b);
    const rank = 0.5 * (v.length - 1);
    return v.length ? v[Math.floor(rank)] + (v[Math.ceil(rank)] - v[Math.floor(rank)]) * (rank - Math.floor(rank)) : null;
  };
  const merged = (origin) => [...truth.changes.values()].filter((c) => c.origin === origin && c.mergedAt !== null && c.mergedAt >= start);
  const cycle = (origin, startOf) => median(merged(origin).map((c) => (c.mergedAt - startOf(c)) / HOUR));
  const review = (origin) => median(opened.filter((c) => c.origin === origin && c.firstReviewAt !== null).map((c) => (c.firstReviewAt - c.openedAt) / HOUR));
  console.log(`  generated: acceptance agent ${fmt(accept("agent"))}, human ${fmt(accept("human"))}; first review after ${fmt(review("agent"))} h | ${fmt(review("human"))} h; ${truth.deployments} finished deployments over ${opts.days} days`);
  console.log(`  generated cycle time median, opened -> merged: ${fmt(cycle("agent", (c) => c.openedAt))} h | ${fmt(cycle("human", (c) => c.openedAt))} h; first commit -> merged: ${fmt(cycle("agent", (c) => Math.min(c.firstCommitAt ?? c.openedAt, c.openedAt)))} h | ${fmt(cycle("human", (c) => Math.min(c.firstCommitAt ?? c.openedAt, c.openedAt)))} h`);
  if (topPriority) console.log(`  top priority of ${org.teams[0].Name}: "${topPriority.key.theme}" in ${topPriority.key.scope ?? "-"}, score ${topPriority.score} (${topPriority.explanation.map((e) => `${e.factor} ${e.contribution}`).join(", ")})`);

  // -- cost per accepted change and iterations, worked out from what was sent the way
  //    domain/metrics/flow.ts defines them: the spend of the changes that ended (merged or
  //    closed unmerged) in the period over the changes merged in it, rounded up; iterations are
  //    task attempts (leases) + approval rounds (0: policy allowed) + change requests, averaged
  //    over the changes merged.
  const all = [...truth.changes.values()];
  const inP = (t) => t !== null && t >= start;
  const mergedIn = (cs) => cs.filter((c) => inP(c.mergedAt));
  const costWanted = (cs) => {
    const n = BigInt(mergedIn(cs).length);
    const spent = cs.filter((c) => inP(c.mergedAt ?? c.closedAt)).reduce((t, c) => t + BigInt(c.costMicros ?? 0), 0n);
    return n === 0n ? null : Number((spent + n - 1n) / n);
  };
  const iterationsWanted = (cs) => (mergedIn(cs).length ? mergedIn(cs).reduce((t, c) => t + (c.attempts ?? 0) + c.reviewRounds, 0) / mergedIn(cs).length : null);
  const same = (got, want) => (got ?? null) === null ? want === null : want !== null && Math.abs(got - want) < 1e-9;
  const ofOrigin = (cs, origin) => (origin === "all" ? cs : cs.filter((c) => c.origin === origin));
  const costMetric = metric("cost_per_accepted_change_micros");
  const iterMetric = metric("iterations_per_accepted_change");
  const spentBy = (origin) => ofOrigin(all, origin).filter((c) => inP(c.mergedAt ?? c.closedAt)).reduce((t, c) => t + (c.costMicros ?? 0), 0);
  const costChecks = [];
  const costCheck = (ok, text) => {
    check(ok, text);
    costChecks.push(checks.at(-1));
  };
  console.log("\ncost per accepted change, the whole org (micro-dollars; reported | worked out from what was sent):");
  for (const origin of ["agent", "human", "all"]) {
    const mine = ofOrigin(all, origin);
    const spendOf = mine.filter((c) => inP(c.mergedAt ?? c.closedAt) && c.costMicros);
    console.log(`  ${origin.padEnd(6)} ${String(costMetric[origin]?.value ?? "-").padStart(8)} | ${String(costWanted(mine) ?? "-").padStart(8)}   = ${usd(spentBy(origin))} spent by ${spendOf.length} tasks' changes that ended (${spendOf.filter((c) => c.mergedAt === null).length} closed unmerged) / ${mergedIn(mine).length} merged`);
  }
  const linkedMerged = linked.filter((c) => inP(c.mergedAt));
  console.log(`  agent changes with a task: ${linked.length} of ${all.filter((c) => c.origin === "agent").length} (${linkedMerged.length} of ${mergedIn(ofOrigin(all, "agent")).length} merged); a task's spend ${usd(Math.min(...linked.map((c) => c.costMicros)))}–${usd(Math.max(...linked.map((c) => c.costMicros)))}, mean ${usd(linked.reduce((t, c) => t + c.costMicros, 0) / linked.length)}; task attempts ${taskAttempts} (${linked.filter((c) => c.attempts > 1).length} tasks took more than one)`);
  console.log(`  iterations_per_accepted_change: ${["agent", "human", "all"].map((o) => `${o} ${fmt(iterMetric[o]?.value)} (worked out ${fmt(iterationsWanted(ofOrigin(all, o)))})`).join(", ")}`);
  costCheck(costMetric.agent?.value > 0 && same(costMetric.agent?.value, costWanted(ofOrigin(all, "agent"))), `org cost_per_accepted_change_micros, agent: ${costMetric.agent?.value} > 0 and = ⌈spend of agent changes ended / agent changes merged⌉ = ${costWanted(ofOrigin(all, "agent"))}`);
  costCheck(same(costMetric.human?.value, costWanted(ofOrigin(all, "human"))) && same(costMetric.all?.value, costWanted(all)), `org cost_per_accepted_change_micros, human ${costMetric.human?.value} = ${costWanted(ofOrigin(all, "human"))}, all ${costMetric.all?.value} = ${costWanted(all)}`);
  costCheck(["agent", "human", "all"].every((o) => same(iterMetric[o]?.value, iterationsWanted(ofOrigin(all, o)))), `org iterations_per_accepted_change = mean(task attempts + approval rounds (0) + change requests) over the changes merged: ${["agent", "human", "all"].map((o) => `${o} ${fmt(iterMetric[o]?.value, 3)} = ${fmt(iterationsWanted(ofOrigin(all, o)), 3)}`).join(", ")}`);
  const teamsWrong = org.teams.filter((team) => {
    const report = teamReports.get(team);
    const m = (name) => report.metrics.find((x) => x.name === name);
    const mine = all.filter((c) => c.team === team);
    return !["agent", "human"].every((o) => same(m("cost_per_accepted_change_micros")[o]?.value, costWanted(ofOrigin(mine, o))) && same(m("iterations_per_accepted_change")[o]?.value, iterationsWanted(ofOrigin(mine, o))));
  });
  costCheck(teamsWrong.length === 0, `per team, cost per accepted change and iterations (agent, human) as worked out: ${org.teams.length - teamsWrong.length} of ${org.teams.length}${teamsWrong.length ? ` (not ${teamsWrong.map((t) => t.Name).join(", ")})` : ""}`);
  console.log(`\nchecks (metrics against what was sent):\n${costChecks.join("\n")}`);

  const failed = checks.filter((c) => c.includes("FAIL")).length;
  if (failed) {
    console.log(`\n${failed} check(s) failed`);
    process.exitCode = 1;
  }
}

main().then(stopAll, async (err) => {
  console.error(`bench failed: ${err?.stack ?? err}`);
  if (stack) console.error(stack.workerLog().slice(-3000));
  await stopAll();
  process.exitCode = 1;
});
