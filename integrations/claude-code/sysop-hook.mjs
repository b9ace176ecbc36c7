#!/usr/bin/env node
// sysop's Claude Code PreToolUse hook: reads the hook payload on stdin, asks sysop
// (POST {SYSOP_URL}/v1/decisions) whether the tool call may run, and prints Claude Code's
// hookSpecificOutput on stdout. Node >= 18, standard library only; see README.md.
// INVARIANT: every path ends in one JSON answer on stdout and exit code 0. Claude Code treats
// other exit codes (except 2) as non-blocking errors and would run the tool unchecked.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { readConfig } from "./config.mjs";
import { failureOutput, fromSysopDecision, hookOutput, mapToolCall, parseHookInput, repoFromDir, repoFromRemote } from "./map.mjs";

const GIT_TIMEOUT_MS = 2000;
const MAX_DETAIL_CHARS = 300;

/** @typedef {import("./config.mjs").HookConfig} HookConfig */
/** @typedef {{ kind: "unreachable" | "refused", detail: string }} Failure */

/** Set once the config is read, so that nothing printed contains the key (real keys are long;
 *  a toy key under 8 characters is not scrubbed, as it would mangle ordinary words). */
let secret = "";

async function main() {
  const parsed = parseHookInput(await readStdin());
  if (!parsed.ok) return emit(hookOutput("deny", `sysop hook: ${parsed.reason}; denying`));
  const cfg = readConfig(process.env);
  if (!cfg.ok) return emit(hookOutput("deny", `${cfg.reason}; denying`));
  const config = cfg.config;
  secret = config.apiKey;

  const { cwd } = parsed.input;
  const root = realish(git(cwd, ["rev-parse", "--show-toplevel"]) ?? cwd);
  const repo = config.repo ?? repoFromRemote(git(cwd, ["remote", "get-url", "origin"]) ?? "") ?? repoFromDir(root);
  const mapped = mapToolCall(
    parsed.input,
    { repo, root, team: config.team, contextTrust: config.contextTrust, unknownTools: config.unknownTools },
    realish,
  );
  if (mapped.kind === "local") return emit(hookOutput(mapped.decision, mapped.reason));

  const answer = await askSysop(config, mapped.body);
  if ("kind" in answer) return emit(failureOutput(answer, config.failMode));
  const decided = fromSysopDecision(answer.json);
  emit(decided.ok ? hookOutput(decided.decision, decided.reason) : failureOutput({ kind: "unreachable", detail: decided.reason }, config.failMode));
}

/**
 * POST the request; a parsed 200 body, or why there is none. 401/403 and other 4xx are
 * "refused" (never fail open); network errors, timeouts, 429 and 5xx are "unreachable".
 * @param {HookConfig} config @param {object} body @returns {Promise<{ json: unknown } | Failure>}
 */
async function askSysop(config, body) {
  const where = new URL(config.url).origin;
  let res;
  let text;
  try {
    res = await fetch(`${config.url}/v1/decisions`, {
      method: "POST",
      headers: { authorization: `Bearer ${config.apiKey}`, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      redirect: "error",
      signal: AbortSignal.timeout(config.timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    const e = /** @type {{ name?: string, message?: string, cause?: { code?: string, message?: string } }} */ (err);
    if (e?.name === "TimeoutError" || e?.name === "AbortError") return { kind: "unreachable", detail: `no answer from ${where} within ${config.timeoutMs} ms` };
    return { kind: "unreachable", detail: `could not reach ${where} (${e?.cause?.code ?? e?.cause?.message ?? e?.message ?? "network error"})` };
  }
  const status = `${res.status}${res.statusText ? ` ${res.statusText}` : ""}${problemDetail(text)}`;
  if (res.status === 401 || res.status === 403) return { kind: "refused", detail: `sysop rejected the API key (${status}); check SYSOP_API_KEY` };
  if (res.status === 429 || res.status >= 500) return { kind: "unreachable", detail: `sysop answered ${status}` };
  if (res.status !== 200) return { kind: "refused", detail: `sysop refused the request (${status})` };
  try {
    return { json: JSON.parse(text) };
  } catch {
    return { kind: "unreachable", detail: "sysop answered 200 with a body that is not JSON" };
  }
}

/** ": title: detail" from an RFC 9457 problem body, shortened; "" when there is none. @param {string} text */
function problemDetail(text) {
  try {
    const p = JSON.parse(text);
    const s = [p?.title, p?.detail].filter((x) => typeof x === "string" && x !== "").join(": ");
    return s === "" ? "" : `: ${s.length > MAX_DETAIL_CHARS ? `${s.slice(0, MAX_DETAIL_CHARS)}…` : s}`;
  } catch {
    return "";
  }
}

/** `git -C dir …` trimmed stdout, or null when git is missing, fails or is slow. @param {string} dir @param {string[]} args */
function git(dir, args) {
  try {
    const out = execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", timeout: GIT_TIMEOUT_MS, stdio: ["ignore", "pipe", "ignore"] }).trim();
    return out === "" ? null : out;
  } catch {
    return null;
  }
}

/** Resolves symlinks in the longest existing prefix of p (a file being written may not exist
 *  yet), so /tmp and /private/tmp, or a symlinked checkout, compare equal. @param {string} p */
function realish(p) {
  const abs = path.resolve(p);
  let dir = abs;
  const rest = [];
  while (!fs.existsSync(dir)) {
    const parent = path.dirname(dir);
    if (parent === dir) return abs;
    rest.unshift(path.basename(dir));
    dir = parent;
  }
  try {
    return path.join(fs.realpathSync.native(dir), ...rest);
  } catch {
    return abs;
  }
}

/** @returns {Promise<string>} */
async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** Prints the answer and exits 0 (also when an idle keep-alive socket would hold the loop). @param {object} out */
function emit(out) {
  const text = JSON.stringify(out, (_k, v) => (typeof v === "string" && secret.length >= 8 ? v.split(secret).join("[redacted]") : v));
  process.stdout.write(`${text}\n`, () => process.exit(0));
}

main().catch((err) => {
  const message = err instanceof Error ? err.message : String(err);
  emit(hookOutput("deny", `sysop hook failed unexpectedly (${message}); denying`));
});
