// The end-to-end harness: sysop's Worker bundled and served by workerd through Miniflare the way
// scripts/selfhost.mjs serves it (workerd.mjs: D1, Durable Objects and R2 in a fresh temp dir,
// migrations applied before the first request), a fake Slack and a callback sink on loopback,
// and real `sysop-runner` processes enrolled against it (runner-process.mjs). Plain ESM with
// JSDoc types (stack.d.mts types it for TypeScript), so test/e2e/*.test.ts and bench/*.mjs share
// it. Everything it starts, stop() stops: runners by process group, stray steps, servers, workerd.
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createFixtureRepo } from "./fixture-repo.mjs";
import { killGroup, stepPidsUnder } from "./processes.mjs";
import { startProxy } from "./proxy.mjs";
import { startRunnerProcess } from "./runner-process.mjs";
import { boundedLog, bundleWorker, importFakes, startWorkerd } from "./workerd.mjs";

export { FIXTURE_TEST_COMMAND, SCRIPTED_AGENT } from "./fixture-repo.mjs";
export { isAlive, waitFor } from "./processes.mjs";

/**
 * @typedef {object} StackOptions
 * @property {number} [leaseSeconds]   RUNNER_LEASE_SECONDS (default 4: heartbeats every 1 s, a lost lease noticed in ~4 s)
 * @property {boolean} [slack]         start the fake Slack and point SLACK_API_BASE / SLACK_HOOKS_BASE at it
 * @property {boolean} [sink]          start the callback sink (test/fakes/fake-sink.ts)
 * @property {"esbuild" | "wrangler"} [bundler]  esbuild (default, ~0.3 s) or `wrangler deploy --dry-run` (~1.2 s)
 * @property {Record<string, string>} [vars]     more bindings, over wrangler.toml's [vars]
 * @property {boolean} [keepTmp]       leave the temp dir (D1, R2, runner configs) for a post-mortem
 *
 * @typedef {object} ApiOptions
 * @property {string} [key]            API key (Authorization: Bearer)
 * @property {unknown} [body]          sent as JSON (a string is sent as is)
 * @property {Record<string, string>} [headers]
 * @property {number} [expect]         throw unless the status is this one
 *
 * @typedef {{status: number, headers: Headers, text: string, body: any}} ApiResult
 * @typedef {{orgId: string, ownerId: string, ownerEmail: string, teamId: string, key: string}} Org
 * @typedef {import("./runner-process.mjs").RunnerOptions} RunnerOptions
 * @typedef {import("./runner-process.mjs").Runner} Runner
 * @typedef {{path: string, headers: Record<string, string>, body: string, status: number, at: number}} SinkReceived
 */

/** @param {import("node:http").Server} server */
const serverUrl = (server) => `http://127.0.0.1:${/** @type {import("node:net").AddressInfo} */ (server.address()).port}`;
/** @param {import("node:http").Server} server */
const closeServer = (server) => () =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve(undefined));
  });

/**
 * @param {StackOptions} [opts]
 */
export async function startStack(opts = {}) {
  const { leaseSeconds = 4, slack = false, sink = false, bundler = "esbuild", vars = {}, keepTmp = false } = opts;
  const tmp = mkdtempSync(path.join(tmpdir(), "sysop-e2e-"));
  /** @type {Array<() => unknown>} run in reverse order by stop() */
  const closers = [];
  /** @type {Set<Runner>} */
  const runners = new Set();
  const workerLog = boundedLog();
  let stopped = false;

  // If the process ends without stop(), no runner or step is left behind (Miniflare's own exit
  // hook stops workerd, and turns SIGINT/SIGTERM into an exit).
  const onExit = () => {
    for (const r of runners) killGroup(r.pid, "SIGKILL");
    for (const pid of stepPidsUnder(tmp)) killGroup(pid, "SIGKILL");
    if (!keepTmp) rmSync(tmp, { recursive: true, force: true });
  };
  process.once("exit", onExit);

  async function stop() {
    if (stopped) return;
    stopped = true;
    await Promise.allSettled([...runners].map((r) => r.stop()));
    for (const pid of stepPidsUnder(tmp)) killGroup(pid, "SIGKILL");
    for (const close of closers.reverse()) await Promise.resolve().then(close).catch(() => {});
    process.removeListener("exit", onExit);
    if (!keepTmp) rmSync(tmp, { recursive: true, force: true });
  }

  try {
    const t0 = performance.now();
    mkdirSync(path.join(tmp, "bundle"));
    const script = await bundleWorker(bundler, path.join(tmp, "bundle"));
    const bundleMs = performance.now() - t0;

    const fakes = slack || sink ? await importFakes(path.join(tmp, "bundle")) : null;
    /** @type {{url: string, addUser(u: {userId: string, token: string, email: string}): Promise<void>, received(): Promise<any[]>} | null} */
    let fakeSlack = null;
    const slackSigningSecret = randomBytes(16).toString("hex");
    if (fakes && slack) {
      const server = await fakes.startFakeSlack(0);
      closers.push(closeServer(server));
      const url = serverUrl(server);
      fakeSlack = {
        url,
        async addUser({ userId, token, email }) {
          const res = await fetch(`${url}/__fake/users`, { method: "POST", body: JSON.stringify({ user_id: userId, token, email }) });
          if (!res.ok) throw new Error(`fake Slack: ${res.status}`);
        },
        received: async () => (await fetch(`${url}/__fake/received`)).json(),
      };
    }
    /** @type {{url: string, received(): Promise<SinkReceived[]>} | null} */
    let callbackSink = null;
    if (fakes && sink) {
      const server = await fakes.startFakeSink(0);
      closers.push(closeServer(server));
      const url = serverUrl(server);
      callbackSink = { url, received: async () => (await fetch(`${url}/__sink/received`)).json() };
    }

    const { mf, db, url } = await startWorkerd({
      script,
      dataDir: path.join(tmp, "data"),
      log: workerLog.append,
      vars: {
        SECRETS_KEY: randomBytes(32).toString("base64"),
        RUNNER_LEASE_SECONDS: String(leaseSeconds),
        ...(fakeSlack ? { SLACK_SIGNING_SECRETS: slackSigningSecret, SLACK_API_BASE: `${fakeSlack.url}/api`, SLACK_HOOKS_BASE: fakeSlack.url } : {}),
        ...vars,
      },
    });
    closers.unshift(() => mf.dispose()); // workerd goes last
    const startMs = performance.now() - t0 - bundleMs;

    /**
     * A call to the control plane; the body is parsed when it is JSON.
     * @param {string} method
     * @param {string} pathname
     * @param {ApiOptions} [o]
     * @returns {Promise<ApiResult>}
     */
    async function api(method, pathname, o = {}) {
      const headers = new Headers(o.headers);
      if (o.key) headers.set("authorization", `Bearer ${o.key}`);
      if (o.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
      const res = await fetch(`${url}${pathname}`, { method, headers, body: o.body === undefined ? undefined : typeof o.body === "string" ? o.body : JSON.stringify(o.body) });
      const text = await res.text();
      let body = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: the text
      }
      if (o.expect !== undefined && res.status !== o.expect) throw new Error(`${method} ${pathname} -> ${res.status}, expected ${o.expect}: ${text.slice(0, 2000)}`);
      return { status: res.status, headers: res.headers, text, body };
    }

    let orgs = 0;
    /** A fresh org: its owner, first team and an owner API key. @param {string} [label] @returns {Promise<Org>} */
    async function signup(label = "e2e") {
      const name = `${label}-${process.pid}-${++orgs}-${randomBytes(3).toString("hex")}`;
      const ownerEmail = `${name}@example.com`;
      const { body } = await api("POST", "/v1/signup", { body: { org_name: name, owner_email: ownerEmail, owner_name: `Owner of ${name}` }, expect: 201 });
      return { orgId: body.org.id, ownerId: body.owner.id, ownerEmail, teamId: body.team.id, key: body.api_key.key };
    }

    let repos = 0;
    /** A fresh fixture repository under the stack's temp dir. */
    const fixtureRepo = () => createFixtureRepo(path.join(tmp, "repos", `payments-api-${++repos}`));

    /**
     * Enrols a runner with the real CLI and starts it in its own process group (stop() stops it).
     * @param {RunnerOptions} o
     * @returns {Promise<Runner>}
     */
    async function startRunner(o) {
      const name = o.name ?? `runner-${runners.size + 1}`;
      const token = o.token ?? (await api("POST", `/v1/runner-pools/${o.poolId}/enrolment-tokens`, { key: o.key, body: {}, expect: 201 })).body.token;
      const runner = await startRunnerProcess({ ...o, token, name, controlPlane: url, configDir: mkdtempSync(path.join(tmp, `runner-${name}-`)), home: process.env.HOME ?? tmp });
      runners.add(runner);
      return runner;
    }

    /** A request to `pathname` signed as Slack signs them (v0), form-encoded `body`. @param {string} pathname @param {string} body */
    function slackPost(pathname, body) {
      const ts = String(Math.floor(Date.now() / 1000));
      const signature = `v0=${createHmac("sha256", slackSigningSecret).update(`v0:${ts}:${body}`).digest("hex")}`;
      return api("POST", pathname, { body, headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts, "x-slack-signature": signature } });
    }

    /**
     * A proxy to this control plane that may rewrite chosen responses (stop() closes it).
     * @param {Omit<import("./proxy.mjs").ProxyOptions, "target">} p
     */
    async function proxy(p) {
      const started = await startProxy({ target: url, ...p });
      closers.push(() => started.close());
      return started;
    }

    return {
      url,
      tmp,
      timings: { bundleMs: Math.round(bundleMs), startMs: Math.round(startMs) },
      mf,
      db,
      api,
      signup,
      fixtureRepo,
      startRunner,
      startProxy: proxy,
      slackPost,
      fakeSlack,
      sink: callbackSink,
      workerLog: workerLog.text,
      stop,
    };
  } catch (err) {
    await stop();
    const log = workerLog.text();
    throw log ? new Error(`the stack did not start: ${err}\n--- workerd output ---\n${log.slice(-8000)}`, { cause: err }) : err;
  }
}

/** @typedef {Awaited<ReturnType<typeof startStack>>} Stack */
