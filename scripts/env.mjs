// Shared by the npm scripts: keep wrangler offline and inside the project (STACK.md), and
// install dependencies when a fresh clone has none.
import { existsSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";

export const root = path.resolve(import.meta.dirname, "..");

export const wranglerEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  // No fetch of Cloudflare's request.cf sample: offline it only fails and logs a stack.
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_LOG_PATH: path.join(root, ".wrangler/logs"),
  XDG_CONFIG_HOME: path.join(root, ".wrangler/xdg"),
};

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: wranglerEnv, ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** `npm ci` when node_modules is missing or older than the lockfile. */
export function ensureInstalled() {
  const marker = path.join(root, "node_modules/.package-lock.json");
  const lock = path.join(root, "package-lock.json");
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log("Installing dependencies (npm ci)…");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}

export const bin = (name) => path.join(root, "node_modules/.bin", name);
