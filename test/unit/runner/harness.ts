// Shared fixtures for the runner's end-to-end tests: a temp directory with a real git repo and
// an agent script, the real CLI run as a child process, and a job spec with sensible defaults.
// Each test makes its own; nothing is shared between tests.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FakeControlPlane, JobSpec } from "./fake-control-plane";

export const BIN = path.resolve(import.meta.dirname, "../../../sandbox-bridge/bin/sysop-runner.mjs");
/** A secrets_env value: not token-shaped, so only the declared-secret redaction can catch it. */
export const SECRET = "hunter2-Blue-Zebra-7731";

export type CliRun = { code: number | null; stdout: string; stderr: string; ms: number };

/**
 * Starts the CLI without blocking this process (the fake control plane lives here): the child,
 * its output so far, and a promise of how it ended (killed if it outlives timeoutMs).
 */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 45_000) {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (c) => (out.stdout += c));
  child.stderr.on("data", (c) => (out.stderr += c));
  const done = new Promise<CliRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sysop-runner ${args[0]} did not exit within ${timeoutMs} ms\n${out.stderr}`));
    }, timeoutMs);
    // 'close' comes after the pipes drain, so the output is complete.
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, ...out, ms: Date.now() - started });
    });
  });
  return { child, out, done };
}

export const runCli = (args: string[], env: NodeJS.ProcessEnv, timeoutMs?: number) => spawnCli(args, env, timeoutMs).done;

const gitIn = (cwd: string, args: string[]) =>
  execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", ...args], { cwd, encoding: "utf8" });

export type Fixture = {
  root: string;
  repo: string;
  configDir: string;
  agentScript: string;
  marker: string;
  pidFile: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
  git(args: string[]): string;
};

/**
 * A temp dir holding a git repo (src/invoice.js, README.md on main), an agent script that fixes
 * the rounding (and touches infra/ when the goal says so), and the runner's environment.
 * `base` is where the temp dir goes (the bwrap test keeps it out of /tmp, which bwrap replaces).
 */
export function makeFixture(base = tmpdir()): Fixture {
  const root = mkdtempSync(path.join(base, "sysop-runner-test-"));
  const repo = path.join(root, "repo");
  mkdirSync(path.join(repo, "src"), { recursive: true });
  writeFileSync(path.join(repo, "src/invoice.js"), "export const total = (xs) => Math.floor(xs.reduce((a, b) => a + b, 0));\n");
  writeFileSync(path.join(repo, "README.md"), "# fixture\n");
  gitIn(repo, ["init", "--quiet", "--initial-branch=main"]);
  gitIn(repo, ["add", "-A"]);
  gitIn(repo, ["commit", "--quiet", "-m", "initial"]);

  const agentScript = path.join(root, "agent.mjs");
  writeFileSync(
    agentScript,
    `import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
const goal = process.argv[2];
const file = "src/invoice.js";
writeFileSync(file, readFileSync(file, "utf8").replace("Math.floor", "Math.round"));
if (goal.includes("infra")) { mkdirSync("infra", { recursive: true }); writeFileSync("infra/main.tf", "resource {}\\n"); }
writeFileSync("sysop-usage.json", JSON.stringify({ input: 1200, output: 800, model: "claude-test" }));
console.log("agent: goal is " + goal);
console.log("agent: deploy token " + process.env.DEPLOY_TOKEN);
console.error("agent: NOT_ALLOWED=" + (process.env.NOT_ALLOWED ?? "unset") + " SYSOP_JOB_ID=" + process.env.SYSOP_JOB_ID);
`,
  );
  const home = path.join(root, "home");
  mkdirSync(home);
  return {
    root,
    repo,
    configDir: path.join(root, "runner-config"),
    agentScript,
    marker: path.join(root, "marker"),
    pidFile: path.join(root, "step.pid"),
    env: { PATH: process.env.PATH, HOME: home, LANG: "C.UTF-8", DEPLOY_TOKEN: SECRET, NOT_ALLOWED: "leaked" },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
    git: (args) => gitIn(repo, args),
  };
}

/** Enrols through the real CLI, then sets secrets_env and sandbox as an owner would. */
export async function enrollRunner(cp: FakeControlPlane, fx: Fixture, sandbox: "none" | "bwrap" = "none") {
  const run = await runCli(
    [
      "enroll", "--url", cp.url, "--token", cp.issueEnrolmentToken(), "--pool", cp.poolId, "--name", "test-box",
      "--config-dir", fx.configDir, "--label", "os=linux", "--repo", `fixture=${fx.repo}`,
      "--agent-command", JSON.stringify([process.execPath, fx.agentScript, "{goal}"]),
    ],
    fx.env,
  );
  if (run.code !== 0) throw new Error(`enroll failed (${run.code}): ${run.stderr}`);
  const file = path.join(fx.configDir, "sysop-runner.json");
  const config = JSON.parse(readFileSync(file, "utf8"));
  writeFileSync(file, JSON.stringify({ ...config, secrets_env: ["DEPLOY_TOKEN"], sandbox }, null, 2));
  return { runnerId: config.runner_id as string, config };
}

export const startOnce = (fx: Fixture) => runCli(["start", "--config-dir", fx.configDir, "--once"], fx.env);

/** A job with permissive-enough defaults; tests override what they are about. */
export function jobSpec(over: Partial<JobSpec> = {}): JobSpec {
  return {
    id: `job_${randomBytes(6).toString("hex")}`,
    task_id: "task_1",
    org_id: "org_fake",
    team_id: "team_1",
    attempt: 1,
    repo: "fixture",
    ref: "main",
    kind: "agent_run",
    goal: "Fix the rounding bug in invoice totals",
    steps: [{ name: "agent", kind: "agent" }],
    constraints: {
      commands: ["node -e *"],
      network: "egress",
      paths: ["src/**", "test/**"],
      max_duration_seconds: 120,
      step_timeout_seconds: 60,
      max_output_bytes: 1_048_576,
      artifacts: ["diff", "test_report", "log"],
    },
    ...over,
  };
}

/** Polls until the condition holds; no fixed sleeps in the tests. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Whether a process is alive: signal 0 checks without signalling. A killed process whose parent
 * is gone stays a zombie until init reaps it; it runs nothing, so it counts as dead.
 */
export function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
