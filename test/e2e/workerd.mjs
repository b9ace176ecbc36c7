// The Worker as the e2e harness serves it: bundled (esbuild, or `wrangler deploy --dry-run` as
// `npm run build` does) and run by workerd through Miniflare the way scripts/selfhost.mjs runs
// it: wrangler.toml's bindings, D1/DO/R2 persisted under a data dir, d1-migrations/ applied
// before anyone gets the URL. Also bundles the TypeScript fakes for plain Node. Used by stack.mjs.
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";

export const ROOT = path.resolve(import.meta.dirname, "../..");
const MAX_LOG_CHARS = 200_000;

/** The configuration wrangler.toml gives the Worker (read as scripts/selfhost.mjs reads it). */
function wranglerConfig() {
  const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const varsBlock = toml.split("[vars]")[1]?.split(/^\[/m)[0] ?? "";
  const vars = Object.fromEntries([...varsBlock.matchAll(/^\s*([A-Z_]+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1], m[2]]));
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const compatibilityFlags = JSON.parse(/^compatibility_flags\s*=\s*(\[[^\]]*\])/m.exec(toml)?.[1] ?? "[]");
  const durableObjects = Object.fromEntries(
    [...toml.matchAll(/\[\[durable_objects\.bindings\]\]\s*name\s*=\s*"([^"]+)"\s*class_name\s*=\s*"([^"]+)"/g)].map((m) => [m[1], { className: m[2], useSQLite: true }]),
  );
  return { vars, compatibilityDate, compatibilityFlags, durableObjects };
}

/**
 * The Worker as one ESM file in `outdir`: esbuild with workerd's export conditions and Node
 * built-ins left to nodejs_compat, or wrangler's own dry-run build.
 * @param {"esbuild" | "wrangler"} bundler
 * @param {string} outdir
 */
export async function bundleWorker(bundler, outdir) {
  if (bundler === "wrangler") {
    const { wranglerEnv, bin } = await import(pathToFileURL(path.join(ROOT, "scripts/env.mjs")).href);
    const r = spawnSync(bin("wrangler"), ["deploy", "--dry-run", "--outdir", outdir], { cwd: ROOT, env: wranglerEnv, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return path.join(outdir, "index.js");
  }
  const { builtinModules } = await import("node:module");
  const outfile = path.join(outdir, "index.js");
  await build({
    entryPoints: [path.join(ROOT, "workers/src/index.ts")],
    absWorkingDir: ROOT,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*", "node:*", ...builtinModules],
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

/**
 * test/fakes/fake-slack.ts and fake-sink.ts, bundled for plain Node and imported.
 * @param {string} outdir
 * @returns {Promise<{startFakeSlack(port: number): Promise<import("node:http").Server>, startFakeSink(port: number): Promise<import("node:http").Server>}>}
 */
export async function importFakes(outdir) {
  const outfile = path.join(outdir, "fakes.mjs");
  await build({
    stdin: { contents: 'export { startFakeSlack } from "./test/fakes/fake-slack.ts";\nexport { startFakeSink } from "./test/fakes/fake-sink.ts";\n', resolveDir: ROOT, loader: "ts", sourcefile: "e2e-fakes.ts" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "warning",
  });
  return import(pathToFileURL(outfile).href);
}

/**
 * Applies d1-migrations/*.sql the way `wrangler d1 migrations apply` and scripts/selfhost.mjs
 * do (same d1_migrations table).
 * @param {Miniflare} mf
 */
async function applyMigrations(mf) {
  const db = await mf.getD1Database("DB");
  await db.exec("CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)");
  const dir = path.join(ROOT, "d1-migrations");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql")).sort()) {
    const sql = readFileSync(path.join(dir, file), "utf8");
    const statements = sql.split(/;\s*$/m).map((s) => s.replace(/^\s*--.*$/gm, "").trim()).filter(Boolean);
    await db.batch([...statements.map((s) => db.prepare(s)), db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(file)]);
  }
  return db;
}

/**
 * workerd serving `script` on 127.0.0.1 (a port the kernel picks) straight from its own socket,
 * as scripts/selfhost.mjs serves it (the caller's address from X-Real-IP), with wrangler.toml's
 * bindings and `vars` over them; its output is kept for `log()`.
 * @param {{script: string, dataDir: string, vars: Record<string, string>, log: (chunk: string) => void}} p
 */
export async function startWorkerd({ script, dataDir, vars, log }) {
  const toml = wranglerConfig();
  const mf = new Miniflare({
    scriptPath: script,
    modulesRoot: path.dirname(script), // the bundle lives outside the repo; module names are relative to it
    modules: true,
    modulesRules: [{ type: "ESModule", include: ["**/*.js"] }],
    compatibilityDate: toml.compatibilityDate,
    compatibilityFlags: toml.compatibilityFlags,
    bindings: { ...toml.vars, CLIENT_IP_HEADER: "x-real-ip", ...vars },
    d1Databases: { DB: "sysop" },
    r2Buckets: { ARTIFACTS: "sysop-artifacts" },
    durableObjects: toml.durableObjects,
    d1Persist: path.join(dataDir, "d1"),
    r2Persist: path.join(dataDir, "r2"),
    durableObjectsPersist: path.join(dataDir, "do"),
    host: "127.0.0.1",
    port: 0,
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    /** @param {import("node:stream").Readable} stdout @param {import("node:stream").Readable} stderr */
    handleRuntimeStdio(stdout, stderr) {
      stdout.on("data", (chunk) => log(String(chunk)));
      stderr.on("data", (chunk) => log(String(chunk)));
    },
  });
  try {
    // INVARIANT: the schema is in place before the URL is handed to anyone.
    const db = await applyMigrations(mf);
    await mf.ready;
    const url = (await mf.unsafeGetDirectURL()).toString().replace(/\/$/, "");
    return { mf, db, url };
  } catch (err) {
    await mf.dispose().catch(() => {});
    throw err;
  }
}

/** A log of bounded size: keeps the newer half when it grows past MAX_LOG_CHARS. */
export function boundedLog() {
  let text = "";
  return {
    /** @param {string} chunk */
    append(chunk) {
      text += chunk;
      if (text.length > MAX_LOG_CHARS) text = text.slice(-MAX_LOG_CHARS / 2);
    },
    text: () => text,
  };
}
