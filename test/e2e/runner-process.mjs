// A real sysop-runner for the e2e harness: enrolled with the CLI (`sysop-runner enroll`), its
// sysop-runner.json edited as an owner would (sandbox, env_allow, url), then `sysop-runner
// start` in its own process group, its JSON log lines (stderr) parsed as they come. Used by
// stack.mjs (startRunner).
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SCRIPTED_AGENT } from "./fixture-repo.mjs";
import { killGroup, waitFor } from "./processes.mjs";

const RUNNER_BIN = path.resolve(import.meta.dirname, "../../sandbox-bridge/bin/sysop-runner.mjs");
const STOP_GRACE_MS = 5_000;

/**
 * @typedef {object} RunnerOptions
 * @property {string} poolId
 * @property {string} [token]          a one-time enrolment token; else one is issued with `key`
 * @property {string} [key]            an API key allowed runners:manage
 * @property {string} [name]
 * @property {Record<string, string>} [repos]   repo name → local path
 * @property {string[] | null} [agentCommand]   default [node, scripted-agent.mjs, "{goal}"]; null: none
 * @property {Record<string, string>} [env]     extra variables for the runner, also added to env_allow
 * @property {"none" | "bwrap" | "auto"} [sandbox]  default "none" (fast; bwrap is installed here)
 * @property {string} [url]            the control plane URL the runner uses after enrolment (a proxy)
 * @property {(runnerId: string) => Promise<void>} [beforeStart]  called once enrolled, before `start`
 *
 * @typedef {{code: number | null, signal: string | null}} ExitStatus
 * @typedef {object} Runner
 * @property {string} id
 * @property {string} name
 * @property {string} configDir
 * @property {import("node:child_process").ChildProcess} proc
 * @property {number} pid               also its process group id
 * @property {Array<Record<string, any>>} logs   its JSON log lines, parsed
 * @property {Promise<ExitStatus>} exited        after its stderr is drained
 * @property {() => ExitStatus | null} exitStatus
 * @property {(match: (line: Record<string, any>) => boolean, timeoutMs?: number) => Promise<Record<string, any>>} waitForLog
 * @property {(signal?: NodeJS.Signals) => void} kill   signals the runner's whole process group
 * @property {() => Promise<void>} stop  SIGTERM to the group, SIGKILL after 5 s
 */

/**
 * @param {Omit<RunnerOptions, "token" | "key"> & {controlPlane: string, token: string, name: string, configDir: string, home: string}} o
 * @returns {Promise<Runner>}
 */
export async function startRunnerProcess(o) {
  const extraEnv = o.env ?? {};
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: o.home, LANG: "C.UTF-8", ...extraEnv };
  const agentCommand = o.agentCommand === undefined ? [process.execPath, SCRIPTED_AGENT, "{goal}"] : o.agentCommand;
  const args = ["enroll", "--url", o.controlPlane, "--token", o.token, "--pool", o.poolId, "--name", o.name, "--config-dir", o.configDir, "--label", "e2e=true"];
  for (const [repo, where] of Object.entries(o.repos ?? {})) args.push("--repo", `${repo}=${where}`);
  if (agentCommand) args.push("--agent-command", JSON.stringify(agentCommand));
  const enrolled = await runCli(args, env);
  if (enrolled.code !== 0) throw new Error(`sysop-runner enroll exited ${enrolled.code}: ${enrolled.stderr}`);

  const file = path.join(o.configDir, "sysop-runner.json");
  const config = JSON.parse(readFileSync(file, "utf8"));
  config.sandbox = o.sandbox ?? "none";
  config.env_allow = [...new Set([...config.env_allow, ...Object.keys(extraEnv)])];
  if (o.url) config.url = o.url;
  writeFileSync(file, JSON.stringify(config, null, 2));
  await o.beforeStart?.(config.runner_id);

  const proc = spawn(process.execPath, [RUNNER_BIN, "start", "--config-dir", o.configDir], { cwd: o.configDir, env, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  const pid = /** @type {number} */ (proc.pid);
  /** @type {Array<Record<string, any>>} */
  const logs = [];
  let pending = "";
  proc.stderr?.setEncoding("utf8");
  proc.stderr?.on("data", (chunk) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines.filter(Boolean)) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ level: "raw", msg: line });
      }
    }
  });
  /** @type {ExitStatus | null} */
  let status = null;
  // 'close', not 'exit': by then its stderr is drained, so `logs` is complete.
  /** @type {Promise<ExitStatus>} */
  const exited = new Promise((resolve) => proc.on("close", (code, signal) => resolve((status = { code, signal }))));
  return {
    id: config.runner_id,
    name: o.name,
    configDir: o.configDir,
    proc,
    pid,
    logs,
    exited,
    exitStatus: () => status,
    waitForLog(match, timeoutMs = 15_000) {
      return waitFor(() => logs.find(match), { timeoutMs, intervalMs: 50, what: `a log line of runner ${o.name} (last: ${JSON.stringify(logs.slice(-5))})` });
    },
    kill(sig = "SIGKILL") {
      killGroup(pid, sig);
    },
    async stop() {
      if (status) return;
      killGroup(pid, "SIGTERM");
      const timer = setTimeout(() => killGroup(pid, "SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      killGroup(pid, "SIGKILL"); // anything left in its group
    },
  };
}

/**
 * Runs the runner CLI to completion (enroll), with a timeout.
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<{code: number | null, stdout: string, stderr: string}>}
 */
function runCli(args, env, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER_BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sysop-runner ${args[0]} did not finish within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
