// Self-hosted sysop on workerd (no Cloudflare account): runs the bundled Worker in workerd
// through Miniflare, with D1, Durable Objects and R2 persisted under one data directory,
// and applies pending D1 migrations first. For on-prem and air-gapped installs.
//
//   npm run build                      # bundles to dist/ (wrangler deploy --dry-run)
//   node scripts/selfhost.mjs --data /var/lib/sysop --host 0.0.0.0 --port 8787 \
//        --issuer https://sysop.internal.example --client-ip-header x-real-ip \
//        [--v8-flags="--max-semi-space-size=4 --heap-growing-percent=300"]
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import workerd from "workerd";
import { root } from "./env.mjs";
import { parseV8Flags } from "./workerd-v8-flags.mjs";

// V8 sizes the young generation from the machine's RAM unless told (32 MB semi-spaces on a
// 24 GiB host): scavenges then come every few seconds and pause every call in flight for
// 10-20 ms. With 4 MB they take under 5 ms; more objects reach the old generation instead.
// workerd turns incremental marking off, so every full collection stops the thread, and the
// runtime objects it found dead are then destroyed on that thread too: each costs calls in
// flight 30-60 ms, whatever the heap's size. Letting the old generation grow to 4x what was
// live (not V8's ~1.3x for a small heap) makes them a third as frequent (bench/RESULTS.md).
// `--v8-flags=` runs workerd with V8's defaults (the = form: a value that starts with a dash
// needs it).
const DEFAULT_V8_FLAGS = "--max-semi-space-size=4 --heap-growing-percent=300";

const { values: opts } = parseArgs({
  options: {
    data: { type: "string", default: path.join(root, ".sysop-data") },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8787" },
    issuer: { type: "string" },
    audience: { type: "string" },
    script: { type: "string", default: path.join(root, "dist/index.js") },
    // The header the TLS-terminating proxy in front sets to the caller's address (nginx:
    // `proxy_set_header X-Real-IP $remote_addr;`): the evidence log trusts that one only.
    "client-ip-header": { type: "string", default: process.env.CLIENT_IP_HEADER ?? "x-real-ip" },
    "v8-flags": { type: "string", default: process.env.SYSOP_V8_FLAGS ?? DEFAULT_V8_FLAGS },
  },
});

if (!/^[A-Za-z0-9-]+$/.test(opts["client-ip-header"])) {
  console.error(`--client-ip-header must be a header name, not ${JSON.stringify(opts["client-ip-header"])}`);
  process.exit(1);
}
let v8Flags;
try {
  v8Flags = parseV8Flags(opts["v8-flags"]);
} catch (err) {
  console.error(`--v8-flags: ${err.message}`);
  process.exit(1);
}
if (v8Flags.length > 0 && process.platform === "win32") {
  // The wrapper is a POSIX shell script.
  console.warn("--v8-flags: not supported on Windows; workerd runs with V8's defaults");
  v8Flags = [];
}
if (v8Flags.length > 0) {
  // Miniflare has no option for workerd's v8Flags: it runs this wrapper instead, which adds
  // them to the config and execs the real binary (or the one MINIFLARE_WORKERD_PATH named).
  const wrapper = path.join(root, "scripts/workerd-v8-flags.sh");
  if (process.env.MINIFLARE_WORKERD_PATH !== wrapper) process.env.SYSOP_WORKERD_BIN = process.env.MINIFLARE_WORKERD_PATH ?? workerd.default;
  process.env.SYSOP_V8_FLAGS = v8Flags.join(" ");
  process.env.SYSOP_NODE = process.execPath;
  process.env.MINIFLARE_WORKERD_PATH = wrapper;
}
if (!existsSync(opts.script)) {
  console.error(`No bundle at ${opts.script}: run \`npm run build\` first.`);
  process.exit(1);
}

// The same configuration wrangler.toml gives the Worker; vars can be overridden here.
const toml = readFileSync(path.join(root, "wrangler.toml"), "utf8");
const varsBlock = toml.split("[vars]")[1]?.split(/^\[/m)[0] ?? "";
const vars = Object.fromEntries([...varsBlock.matchAll(/^\s*([A-Z_]+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1], m[2]]));
if (opts.issuer) vars.TOKEN_ISSUER = opts.issuer;
if (opts.audience) vars.TOKEN_AUDIENCE = opts.audience;
vars.CLIENT_IP_HEADER = opts["client-ip-header"].toLowerCase();
const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
// Every Durable Object binding wrangler.toml declares, SQLite-backed.
const durableObjects = Object.fromEntries(
  [...toml.matchAll(/\[\[durable_objects\.bindings\]\]\s*name\s*=\s*"([^"]+)"\s*class_name\s*=\s*"([^"]+)"/g)].map((m) => [m[1], { className: m[2], useSQLite: true }]),
);
// Secrets come from the environment, never from a file in the repo; so may the providers'
// base URLs (an air-gapped install points them at its own egress proxy).
for (const name of ["SECRETS_KEY", "SLACK_SIGNING_SECRETS", "ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"]) if (process.env[name]) vars[name] = process.env[name];

const config = {
  scriptPath: opts.script,
  modules: true,
  modulesRules: [{ type: "ESModule", include: ["**/*.js"] }],
  compatibilityDate,
  compatibilityFlags: ["nodejs_compat"],
  bindings: vars,
  d1Databases: { DB: "sysop" },
  r2Buckets: { ARTIFACTS: "sysop-artifacts" },
  durableObjects,
  d1Persist: path.join(opts.data, "d1"),
  r2Persist: path.join(opts.data, "r2"),
  durableObjectsPersist: path.join(opts.data, "do"),
};

// Apply migrations the way `wrangler d1 migrations apply` does (same d1_migrations table),
// from a private instance on a loopback port the kernel picks: the public port opens only
// once the schema is in place, so no request meets a missing table.
const migrator = new Miniflare({ ...config, host: "127.0.0.1", port: 0 });
const db = await migrator.getD1Database("DB");
await db.exec("CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)");
const applied = new Set((await db.prepare("SELECT name FROM d1_migrations").all()).results.map((r) => r.name));
const dir = path.join(root, "d1-migrations");
for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql")).sort()) {
  if (applied.has(file)) continue;
  const sql = readFileSync(path.join(dir, file), "utf8");
  const statements = sql.split(/;\s*$/m).map((s) => s.replace(/^\s*--.*$/gm, "").trim()).filter(Boolean);
  await db.batch([...statements.map((s) => db.prepare(s)), db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(file)]);
  console.log(`applied ${file}`);
}
await migrator.dispose();

// Requests come straight from workerd's own socket to the Worker. Miniflare's default door is
// a proxy worker in a second isolate, which copies every request (and its headers) twice to
// add `cf` and CF-Connecting-IP: destroying those copies in batches after its collections
// stalled the whole process for up to ~100 ms (bench/RESULTS.md). The caller's address comes
// from the proxy's header instead (--client-ip-header). Miniflare's own door stays on a
// loopback port the kernel picks, unused.
// Outbound fetches go straight out too: Miniflare's default routes each one through a small
// worker that strips CF-Connecting-IP, a hop per model call; sysop builds every outbound
// request's headers itself and never forwards that one.
const mf = new Miniflare({
  ...config,
  host: "127.0.0.1",
  port: 0,
  unsafeDirectSockets: [{ host: opts.host, port: Number(opts.port) }],
  stripCfConnectingIp: false,
});
await mf.ready;
const url = await mf.unsafeGetDirectURL();
console.log(`sysop (self-hosted workerd) on ${url} — data in ${opts.data}; caller addresses from ${opts["client-ip-header"]}; V8 flags: ${v8Flags.join(" ") || "(none)"}`);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => mf.dispose().then(() => process.exit(0)));
