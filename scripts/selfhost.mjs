// Self-hosted sysop on workerd (no Cloudflare account): runs the bundled Worker in workerd
// through Miniflare, with D1, Durable Objects and R2 persisted under one data directory,
// and applies pending D1 migrations first. For on-prem and air-gapped installs.
//
//   npm run build                      # bundles to dist/ (wrangler deploy --dry-run)
//   node scripts/selfhost.mjs --data /var/lib/sysop --host 0.0.0.0 --port 8787 \
//        --issuer https://sysop.internal.example
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import { root } from "./env.mjs";

const { values: opts } = parseArgs({
  options: {
    data: { type: "string", default: path.join(root, ".sysop-data") },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8787" },
    issuer: { type: "string" },
    audience: { type: "string" },
    script: { type: "string", default: path.join(root, "dist/index.js") },
  },
});

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

// Outbound fetches go straight out: Miniflare's default routes each one through a small
// worker that strips CF-Connecting-IP, a hop per model call; sysop builds every outbound
// request's headers itself and never forwards that one.
const mf = new Miniflare({ ...config, host: opts.host, port: Number(opts.port), stripCfConnectingIp: false });
const url = await mf.ready;
console.log(`sysop (self-hosted workerd) on ${url} — data in ${opts.data}`);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => mf.dispose().then(() => process.exit(0)));
