// `npm run bench`: load-test the sysop Worker as `wrangler dev` serves it locally (workerd
// with local D1, Durable Objects and R2), in one run:
//   1. wipe .wrangler/bench-state, apply the D1 migrations there, start `wrangler dev` on
//      127.0.0.1:8797 in its own process group and wait for GET /healthz;
//   2. sign up one org and create a second team (the write target);
//   3. with autocannon: (a) GET /healthz, (b) GET /v1/teams with the API key,
//      (c) PATCH /v1/teams/{id} (D1 update + audit event through the AuditChain DO);
//   4. GET /v1/audit/verify: the chain must verify and hold every acknowledged write;
//   5. print a table (req/s, p50, p99, non-2xx, ratio to /healthz) and machine facts;
//   6. stop the server's whole process group, also on error and Ctrl-C.
// Flags and environment variables: see bench/README.md (or run with --help).
import autocannon from "autocannon";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureInstalled, root, wranglerEnv } from "../scripts/env.mjs";
import { createDevServer, expectStatus, installCleanup, makeApi, otherWorkerd, serverCpuBetween, sleep, waitQuiet as waitQuietFor } from "./lib/dev-server.mjs";

// ---------------------------------------------------------------- options

const HELP = `Usage: node bench/run.mjs [options]   (or: npm run bench -- [options])

  --quick               short run: 3 s per scenario, 1 s warm-up
  --duration <s>        seconds per measured scenario     (env BENCH_DURATION, default 10)
  --warmup <s>          unmeasured warm-up per scenario   (env BENCH_WARMUP, default 2; 0 = none)
  --connections <n>     concurrent connections            (env BENCH_CONNECTIONS, default 50)
  --port <n>            port for wrangler dev             (env BENCH_PORT, default 8797)
  --only <list>         comma list of scenarios: health,read,write,decide (health always runs: it is the baseline)
  --json <file>         also write the results as JSON to <file>
  --keep-state          do not wipe .wrangler/bench-state before the run
  --quiet-wait <s>      before each measured run, wait up to <s> for other workerd processes
                        (tests, other servers) to finish        (env BENCH_QUIET_WAIT, default 120; 0 = don't)
  -h, --help            this text
`;

function parseArgs(argv) {
  const opts = {
    quick: false,
    duration: undefined,
    warmup: undefined,
    connections: Number(process.env.BENCH_CONNECTIONS ?? 50),
    port: Number(process.env.BENCH_PORT ?? 8797),
    only: ["health", "read", "write", "decide"],
    json: undefined,
    keepState: false,
    quietWait: Number(process.env.BENCH_QUIET_WAIT ?? 120),
  };
  const num = (name, v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} needs a non-negative number, got ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--quick": opts.quick = true; break;
      case "--duration": opts.duration = num(flag, value()); break;
      case "--warmup": opts.warmup = num(flag, value()); break;
      case "--connections": opts.connections = num(flag, value()); break;
      case "--port": opts.port = num(flag, value()); break;
      case "--only": opts.only = value().split(",").map((s) => s.trim()).filter(Boolean); break;
      case "--json": opts.json = value(); break;
      case "--keep-state": opts.keepState = true; break;
      case "--quiet-wait": opts.quietWait = num(flag, value()); break;
      case "-h": case "--help": process.stdout.write(HELP); process.exit(0);
      default: throw new Error(`unknown option ${a}\n\n${HELP}`);
    }
  }
  opts.duration ??= Number(process.env.BENCH_DURATION ?? (opts.quick ? 3 : 10));
  opts.warmup ??= Number(process.env.BENCH_WARMUP ?? (opts.quick ? 1 : 2));
  for (const s of opts.only) if (!SCENARIO_NAMES.includes(s)) throw new Error(`unknown scenario ${s}`);
  if (!opts.only.includes("health")) opts.only.unshift("health");
  if (!(opts.connections >= 1)) throw new Error("--connections must be at least 1");
  if (!(opts.duration >= 1)) throw new Error("--duration must be at least 1 second");
  return opts;
}

const SCENARIO_NAMES = ["health", "read", "write", "decide"];
/** POST /v1/decisions must reach this share of the health route's req/s (issue #3). */
const DECIDE_TARGET_RATIO = 0.3;

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(String(err.message ?? err));
  process.exit(2);
}

const HOST = "127.0.0.1";
const BASE = `http://${HOST}:${opts.port}`;
const STATE_DIR = ".wrangler/bench-state"; // relative to the repo root (wrangler's cwd)
const LOG_FILE = path.join(root, ".wrangler/bench-logs/wrangler-dev.log");
const env = { ...wranglerEnv, CI: "1" };

// ---------------------------------------------------------------- server, API, CPU (bench/lib)

const dev = createDevServer({ host: HOST, port: opts.port, stateDir: STATE_DIR, logFile: LOG_FILE, env });
const isStopping = installCleanup(() => dev.stop(), () => dev.killNow(), "the server");
const applyMigrations = () => dev.applyMigrations({ keepState: opts.keepState });
const startServer = () => dev.start();
const stopServer = () => dev.stop();
const api = makeApi(BASE);
const serverProcs = () => dev.procs();
const countWorkerd = () => otherWorkerd(dev.pid);
const waitQuiet = () => waitQuietFor(opts.quietWait, dev.pid);

// ---------------------------------------------------------------- load

async function cannon(scenario, duration) {
  const request = { method: scenario.method, path: scenario.path, headers: scenario.headers };
  // A fresh body per request goes through setupRequest, so autocannon computes the real
  // Content-Length. (Its `idReplacement` option does not: autocannon 8.0.0 declares 27
  // bytes per [<id>] more than its hyperid 3.x ids add, so the server waits for bytes that
  // never come and every request hangs until the connection is closed.)
  if (scenario.makeBody) request.setupRequest = (req) => ({ ...req, body: scenario.makeBody() });
  return autocannon({
    url: BASE,
    requests: [request],
    connections: opts.connections,
    duration,
    timeout: 30,
  });
}

async function runScenario(scenario) {
  // One request first: a misconfigured scenario fails fast instead of measuring errors.
  const probe = await fetch(`${BASE}${scenario.path}`, {
    method: scenario.method,
    headers: scenario.headers,
    body: scenario.makeBody?.(),
  });
  const probeText = await probe.text();
  if (!probe.ok) throw new Error(`${scenario.name}: probe request got ${probe.status}: ${probeText}`);
  scenario.onProbe?.();

  await waitQuiet();
  let warm = null;
  if (opts.warmup > 0) {
    process.stdout.write(`  ${scenario.name}: warm-up ${opts.warmup} s… `);
    warm = await cannon(scenario, opts.warmup);
    process.stdout.write(`${warm["2xx"]} ok, ${warm.non2xx} non-2xx\n`);
  }
  process.stdout.write(`  ${scenario.name}: measuring ${opts.duration} s with ${opts.connections} connections… `);
  const procs0 = serverProcs();
  const own0 = process.cpuUsage();
  let contended = 0; // samples that saw another workerd running
  const sampler = setInterval(() => {
    if (countWorkerd() > 0) contended++;
  }, 500);
  let r;
  try {
    r = await cannon(scenario, opts.duration);
  } finally {
    clearInterval(sampler);
  }
  const own = process.cpuUsage(own0);
  // Cores busy on average during the measured run (1.0 = one core fully used).
  const { cpu, reloaded } = serverCpuBetween(procs0, serverProcs(), r.duration);
  if (cpu) cpu.bench = +((own.user + own.system) / 1e6 / r.duration).toFixed(2);
  process.stdout.write(`${r.requests.total} requests${reloaded ? " (the server reloaded meanwhile!)" : ""}\n`);
  return {
    name: scenario.name,
    label: scenario.label,
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    total: r.requests.total,
    ok2xx: r["2xx"],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, Number(v.count)])),
    durationS: r.duration,
    warmup2xx: warm ? warm["2xx"] : 0,
    warmupNon2xx: warm ? warm.non2xx : 0,
    cpu,
    contended: contended > 0,
    reloaded,
  };
}

// ---------------------------------------------------------------- report

function machineFacts() {
  const cpus = os.cpus();
  let wrangler = "?";
  try {
    wrangler = JSON.parse(readFileSync(path.join(root, "node_modules/wrangler/package.json"), "utf8")).version;
  } catch {
    /* not installed */
  }
  return {
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? "?",
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    wrangler,
    autocannon: JSON.parse(readFileSync(path.join(root, "node_modules/autocannon/package.json"), "utf8")).version,
    loadavg1m: +os.loadavg()[0].toFixed(2),
    git: gitFacts(),
    otherWorkerd: countWorkerd(),
  };
}

/** The commit measured, and whether the Worker's sources differ from it. */
function gitFacts() {
  const git = (...args) => spawnSync("git", args, { cwd: root, encoding: "utf8" });
  const head = git("rev-parse", "--short", "HEAD");
  if (head.status !== 0) return null;
  const dirty = git("status", "--porcelain", "--", "workers", "durable-objects", "wrangler.toml", "d1-migrations").stdout.trim();
  return { commit: head.stdout.trim(), dirty: dirty ? dirty.split("\n").length : 0 };
}

function table(rows) {
  const head = ["scenario", "req/s", "p50 ms", "p99 ms", "requests", "non-2xx", "errors", "vs /healthz"];
  const body = rows.map((r) => r.map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

function serverLogSummary() {
  if (!existsSync(LOG_FILE)) return { errorLines: 0, sample: [] };
  // eslint-disable-next-line no-control-regex
  const lines = readFileSync(LOG_FILE, "utf8").replace(/\x1b\[[0-9;]*m/g, "").split("\n");
  // Offline noise (STACK.md): the Request.cf fetch and the update check fail harmlessly.
  const harmless = /Request\.cf|update available|ENOTFOUND workers\.cloudflare\.com/i;
  const bad = lines.filter((l) => /error|exception|uncaught|✘/i.test(l) && !harmless.test(l));
  return { errorLines: bad.length, sample: bad.slice(0, 5) };
}

// ---------------------------------------------------------------- main

async function main() {
  ensureInstalled();
  const facts = machineFacts();
  console.log(`sysop benchmark: ${opts.connections} connections, ${opts.duration} s per scenario (+${opts.warmup} s warm-up)`);
  console.log(`node ${facts.node}, ${facts.cpus} CPUs (${facts.cpuModel}), ${facts.memGiB} GiB, ${facts.os}, wrangler ${facts.wrangler}, autocannon ${facts.autocannon}`);
  if (facts.git) console.log(`commit ${facts.git.commit}${facts.git.dirty ? `, plus ${facts.git.dirty} uncommitted change(s) under workers/, durable-objects/, d1-migrations/ or wrangler.toml` : ", Worker sources clean"}`);
  console.log(`load average (1 min) before start: ${facts.loadavg1m}; other workerd processes running: ${facts.otherWorkerd}` +
    (facts.otherWorkerd > 0 ? "  <- something else is using the CPUs; figures will be lower" : "") + "\n");

  applyMigrations();
  await startServer();

  // Set up: one org (its owner key has every scope), and a second team to rename.
  const stamp = Date.now().toString(36);
  const signup = await api("POST", "/v1/signup", {
    body: { org_name: `Bench ${stamp}`, owner_email: `bench-${stamp}@bench.example`, owner_name: "Bench Owner" },
  });
  expectStatus(signup, 201, "POST /v1/signup");
  const key = signup.json.api_key.key;
  const team = await api("POST", "/v1/teams", { key, body: { name: `Bench writes ${stamp}` } });
  expectStatus(team, 201, "POST /v1/teams");
  const teamId = team.json.id;
  console.log(`org ${signup.json.org.id}, write target ${teamId} (signup ${signup.ms.toFixed(0)} ms, team ${team.ms.toFixed(0)} ms)\n`);
  let expectedEvents = 2; // org.signup + team.created

  // Governance: an org policy of 50 rules and a registered repo, so decisions do real work.
  const rules = [
    { id: "allow-reads", effect: "allow", reason: "Reading is safe", when: { actions: ["read"] } },
    ...Array.from({ length: 49 }, (_, i) => ({
      id: `rule-${i}`,
      effect: ["allow", "ask", "deny"][i % 3],
      reason: `generated rule ${i}`,
      when: { actions: [["run_command", "edit", "deploy", "git_push"][i % 4]], commands: [`tool-${i} *`], repos: [`acme/service-${i % 7}`] },
    })),
  ];
  expectStatus(await api("POST", "/v1/policies", { key, body: { layer: "org", document: { rules } } }), 201, "POST /v1/policies");
  expectStatus(await api("POST", "/v1/repos", { key, body: { team_id: teamId, name: "acme/payments-api", path_scopes: [{ path: "infra/**", read: ["member", "owner"], write: ["owner"] }] } }), 201, "POST /v1/repos");
  expectedEvents += 3; // policy.version_created + policy.activated + repo.registered

  const auth = { authorization: `Bearer ${key}` };
  let writeSeq = 0;
  const scenarios = {
    health: { name: "health", label: "GET /healthz", method: "GET", path: "/healthz" },
    read: { name: "read", label: "GET /v1/teams", method: "GET", path: "/v1/teams", headers: auth },
    write: {
      name: "write",
      label: "PATCH /v1/teams/{id}",
      method: "PATCH",
      path: `/v1/teams/${teamId}`,
      headers: { ...auth, "content-type": "application/json" },
      makeBody: () => JSON.stringify({ name: `bench ${++writeSeq}` }),
      onProbe: () => expectedEvents++,
    },
    decide: {
      name: "decide",
      label: "POST /v1/decisions",
      method: "POST",
      path: "/v1/decisions",
      headers: { ...auth, "content-type": "application/json" },
      makeBody: () => JSON.stringify({ repo: "acme/payments-api", action: "read", paths: ["src/index.ts"], context_trust: "trusted" }),
      onProbe: () => expectedEvents++,
    },
  };

  console.log("Load:");
  const results = [];
  for (const name of SCENARIO_NAMES) {
    if (opts.only.includes(name)) results.push(await runScenario(scenarios[name]));
  }

  let verify = null;
  const write = results.find((r) => r.name === "write");
  const decide = results.find((r) => r.name === "decide");
  if (write || decide) {
    for (const r of [write, decide]) if (r) expectedEvents += r.warmup2xx + r.ok2xx;
    const v = await api("GET", "/v1/audit/verify", { key });
    expectStatus(v, 200, "GET /v1/audit/verify");
    verify = { ...v.json, ms: v.ms, expectedAtLeast: expectedEvents };
  }

  // ---- report
  const base = results.find((r) => r.name === "health");
  const rows = results.map((r) => [
    r.label,
    r.reqPerSec.toFixed(0),
    r.p50.toFixed(0),
    r.p99.toFixed(0),
    r.total,
    r.non2xx,
    r.timeouts ? `${r.errors} (${r.timeouts} timeouts)` : r.errors,
    r === base ? "1.00" : (r.reqPerSec / base.reqPerSec).toFixed(2),
  ]);
  console.log(`\nResults (${opts.connections} connections, ${opts.duration} s each, req/s = autocannon's mean of per-second samples):\n`);
  console.log(table(rows));
  if (results.some((r) => r.cpu)) {
    console.log("\nCPU during each measured run (cores busy on average; the machine has " + facts.cpus + "):");
    for (const r of results) {
      if (r.cpu) console.log(`  ${r.label.padEnd(20)}  workerd ${r.cpu.workerd ?? "?"}  wrangler (node) ${r.cpu.wrangler ?? "?"}  autocannon (this process) ${r.cpu.bench}`);
      else console.log(`  ${r.label.padEnd(20)}  n/a`);
    }
  }
  for (const r of results) {
    if (r.reloaded) console.log(`  NOTE: wrangler dev reloaded the Worker during ${r.label} (a source file changed): its figures, and any 503s, come from that restart`);
    if (r.contended) console.log(`  NOTE: another workerd ran during ${r.label}: its figures are lower than the machine can do`);
  }
  for (const r of results) {
    const odd = Object.entries(r.statusCodes).filter(([code]) => !code.startsWith("2"));
    if (odd.length) console.log(`  ${r.label}: non-2xx status codes ${JSON.stringify(Object.fromEntries(odd))}`);
  }
  if (write && results.find((r) => r.name === "read")) {
    const read = results.find((r) => r.name === "read");
    console.log(`\nAudited write vs authenticated read: ${(write.reqPerSec / read.reqPerSec).toFixed(2)}x the throughput, ${(write.p50 / read.p50).toFixed(1)}x the p50`);
  }
  if (decide) {
    const ratio = decide.reqPerSec / base.reqPerSec;
    console.log(`\nPOST /v1/decisions vs GET /healthz: ${ratio.toFixed(2)}x (target >= ${DECIDE_TARGET_RATIO}): ${ratio >= DECIDE_TARGET_RATIO ? "PASS" : "FAIL"}`);
  }
  if (verify) {
    const enough = verify.events_checked >= verify.expectedAtLeast;
    console.log(
      `\nGET /v1/audit/verify (${verify.ms.toFixed(0)} ms, includes flushing the outbox): ok=${verify.ok}, ` +
        `events_checked=${verify.events_checked}, head seq=${verify.head.seq}` +
        (verify.ok ? "" : `, first_broken_seq=${verify.first_broken_seq}, reason=${verify.reason}`),
    );
    console.log(
      `  acknowledged audited requests: ${verify.expectedAtLeast} (setup + probes + warm-up and measured 2xx writes and decisions) -> ` +
        (enough ? "all recorded" : `MISSING ${verify.expectedAtLeast - verify.events_checked}`) +
        (verify.events_checked > verify.expectedAtLeast
          ? ` (${verify.events_checked - verify.expectedAtLeast} more: writes still in flight when autocannon stopped counting, or non-2xx after the append)`
          : ""),
    );
  }
  const logs = serverLogSummary();
  console.log(`\nServer log (${path.relative(root, LOG_FILE)}): ${logs.errorLines} error line(s)`);
  for (const l of logs.sample) console.log(`  ${l.slice(0, 300)}`);
  console.log(`\nMachine: node ${facts.node}, ${facts.cpus} CPUs (${facts.cpuModel}); load generator and server share these CPUs.`);

  if (opts.json) {
    writeFileSync(
      path.resolve(opts.json),
      JSON.stringify({ date: new Date().toISOString(), options: opts, machine: facts, results, verify, serverLog: logs }, null, 2) + "\n",
    );
    console.log(`JSON written to ${opts.json}`);
  }

  for (const r of results) if (r.total === 0) console.log(`\nWARNING: ${r.label} completed no request in ${opts.duration} s (the server hung?)`);
  const failed =
    results.some((r) => r.reloaded || r.total === 0 || r.non2xx > 0 || r.errors > 0) || (verify && (!verify.ok || verify.events_checked < verify.expectedAtLeast));
  return failed ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`\nbench failed: ${err?.stack ?? err}`);
  code = 1;
} finally {
  await stopServer();
}
if (!isStopping()) process.exit(code);
