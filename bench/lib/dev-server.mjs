// What the benchmarks share: a `wrangler dev` of this repo in its own process group and
// state dir (start, stop, migrations), a small JSON API client, CPU accounting of the
// server's processes from /proc, and waiting for other workerd processes to finish.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { bin, root } from "../../scripts/env.mjs";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A `wrangler dev` serving this repo on host:port with its own --persist-to state dir.
 * `vars` become `--var NAME:VALUE` (split at the first colon, so URLs pass).
 * With `selfhost: true`, the self-hosted server instead (scripts/selfhost.mjs: the bundle in
 * dist/ on workerd through Miniflare, no wrangler in between; it applies its own migrations;
 * `vars` go in its environment).
 */
export function createDevServer({ host, port, stateDir, logFile, env, vars = {}, selfhost = false, selfhostArgs = [] }) {
  /** @type {import("node:child_process").ChildProcess | null} */
  let child = null;
  let exited = false;
  const what = selfhost ? "scripts/selfhost.mjs" : "wrangler dev";
  // stateDir is relative to the repo root (wrangler's cwd) or absolute (bench:gateway --state-dir).
  const dataDir = path.resolve(root, stateDir);

  const signal = (sig) => {
    if (!child || exited) return;
    try {
      process.kill(-child.pid, sig);
    } catch (err) {
      if (err.code !== "ESRCH") throw err;
    }
  };
  const killNow = () => {
    if (!child) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      /* group already gone */
    }
  };

  async function portInUse() {
    const net = await import("node:net");
    return new Promise((resolve) => {
      const sock = net.connect({ host, port });
      sock.once("connect", () => (sock.destroy(), resolve(true)));
      sock.once("error", () => resolve(false));
    });
  }

  return {
    get pid() {
      return child?.pid ?? null;
    },

    applyMigrations({ keepState = false } = {}) {
      if (!keepState) rmSync(dataDir, { recursive: true, force: true });
      if (selfhost) return; // scripts/selfhost.mjs applies them when it starts
      const t0 = Date.now();
      const r = spawnSync(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir], { cwd: root, env, encoding: "utf8" });
      if (r.status !== 0) {
        process.stderr.write(r.stdout ?? "");
        process.stderr.write(r.stderr ?? "");
        throw new Error(`wrangler d1 migrations apply failed (exit ${r.status})`);
      }
      console.log(`D1 migrations applied to ${stateDir} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    },

    async start() {
      // Otherwise the health poll below could be answered by someone else's server.
      if (await portInUse()) throw new Error(`something already listens on ${host}:${port}; stop it or pass --port`);
      mkdirSync(path.dirname(logFile), { recursive: true });
      const log = createWriteStream(logFile);
      await new Promise((r) => log.once("open", r));
      const args = ["dev", "--ip", host, "--port", String(port), "--log-level", "warn", "--persist-to", stateDir];
      for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
      // detached: the child calls setsid(), so it leads a new process group (pgid = pid) that
      // holds wrangler and workerd and that we can signal as a whole with kill(-pgid).
      child = selfhost
        ? spawn(process.execPath, [path.join(root, "scripts/selfhost.mjs"), "--data", dataDir, "--host", host, "--port", String(port), ...selfhostArgs], {
            cwd: root,
            env: { ...env, ...vars },
            detached: true,
            stdio: ["ignore", log, log],
          })
        : spawn(bin("wrangler"), args, { cwd: root, env, detached: true, stdio: ["ignore", log, log] });
      child.on("exit", () => {
        exited = true;
      });
      const t0 = Date.now();
      for (;;) {
        if (exited) throw new Error(`${what} exited before it answered; see ${logFile}`);
        if (Date.now() - t0 > 90_000) throw new Error(`${what} did not answer GET /healthz within 90 s; see ${logFile}`);
        try {
          const res = await fetch(`http://${host}:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
          if (res.ok) break;
        } catch {
          /* not listening yet */
        }
        await sleep(200);
      }
      console.log(`${what} (pgid ${child.pid}) answered GET /healthz after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    },

    async stop() {
      if (!child) return;
      if (!exited) {
        signal("SIGTERM");
        const deadline = Date.now() + 5000;
        while (!exited && Date.now() < deadline) await sleep(100);
      }
      // wrangler may exit before workerd does: make sure nothing of the group survives.
      killNow();
    },

    /** Last resort on a synchronous exit: never leave the group running. */
    killNow() {
      if (child && !exited) killNow();
    },

    /** The server's processes now (pid -> { comm, cpuSecs }), or null off Linux. */
    procs() {
      if (!child || !existsSync("/proc")) return null;
      return new Map(procs().filter((p) => p.pgrp === child.pid).map((p) => [p.pid, p]));
    },
  };
}

/** Stops everything on Ctrl-C, SIGTERM and exit. Returns whether a stop is under way. */
export function installCleanup(stopAll, killNow, what) {
  let stopping = false;
  const cleanupAndExit = async (code) => {
    if (stopping) return;
    stopping = true;
    await stopAll();
    process.exit(code);
  };
  process.on("SIGINT", () => {
    console.error(`\nInterrupted: stopping ${what}…`);
    void cleanupAndExit(130);
  });
  process.on("SIGTERM", () => void cleanupAndExit(143));
  process.on("exit", killNow);
  return () => stopping;
}

export function makeApi(base) {
  return async function api(method, pathname, { key, body } = {}) {
    const headers = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const t0 = performance.now();
    const res = await fetch(`${base}${pathname}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json, ms: performance.now() - t0 };
  };
}

export function expectStatus(r, status, what) {
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status}: ${JSON.stringify(r.json)}`);
}

// ---------------------------------------------------------------- CPU accounting (Linux)

const CLK_TCK = 100; // jiffies per second on Linux (USER_HZ)

/** Every process: pid, command name, parent, process group, CPU seconds used (utime + stime). */
export function procs() {
  if (!existsSync("/proc")) return [];
  const out = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const f = stat.slice(close + 2).split(" "); // f[0] = state (field 3), so field n is f[n - 3]
    out.push({ pid: Number(pid), comm, ppid: Number(f[1]), pgrp: Number(f[2]), cpuSecs: (Number(f[11]) + Number(f[12])) / CLK_TCK });
  }
  return out;
}

/**
 * Cores busy on average between two server process snapshots, split workerd / wrangler (node),
 * and whether the server's workerd processes changed in between: wrangler dev restarts the
 * runtime when a source file changes, which drops in-flight requests (503s) and makes the
 * figures of that run unreliable.
 */
export function serverCpuBetween(a, b, seconds) {
  if (!a || !b) return { cpu: null, reloaded: false };
  const workerdPids = (m) => [...m.values()].filter((p) => p.comm === "workerd").map((p) => p.pid).sort().join(",");
  const reloaded = workerdPids(a) !== workerdPids(b);
  const cpu = {};
  for (const [pid, p] of b) {
    const before = a.get(pid);
    if (!before) continue;
    const name = p.comm === "workerd" ? "workerd" : "wrangler";
    cpu[name] = (cpu[name] ?? 0) + (p.cpuSecs - before.cpuSecs);
  }
  for (const k of Object.keys(cpu)) cpu[k] = +(cpu[k] / seconds).toFixed(2);
  return { cpu: reloaded ? null : cpu, reloaded };
}

/** workerd processes outside our server's group (other servers or test pools competing for the CPUs). */
export const otherWorkerd = (ourPgid) => procs().filter((p) => p.comm === "workerd" && p.pgrp !== ourPgid).length;

/** Before measuring, wait (up to `seconds`) until no other workerd is running. */
export async function waitQuiet(seconds, ourPgid) {
  if (seconds <= 0) return;
  const t0 = Date.now();
  let said = false;
  while (otherWorkerd(ourPgid) > 0 && Date.now() - t0 < seconds * 1000) {
    if (!said) process.stdout.write(`(another workerd is running; waiting up to ${seconds} s) `);
    said = true;
    await sleep(1000);
  }
  if (said) process.stdout.write(otherWorkerd(ourPgid) > 0 ? "gave up; " : `quiet after ${((Date.now() - t0) / 1000).toFixed(0)} s; `);
}
