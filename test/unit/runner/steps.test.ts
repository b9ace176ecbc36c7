// Running one step as a real process (sandbox-bridge/src/steps.mjs and output.mjs): the
// environment allow-list, the output cap, the timeout, SIGTERM then SIGKILL for a step that
// ignores SIGTERM, and nothing of the step's process group left behind.
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { output, steps } from "./modules";
import { isAlive, waitFor } from "./harness";

const { runStep, stepEnv } = steps;
type Line = { stream: string; line: string };

const run = (argv: string[], over: Partial<Parameters<typeof runStep>[0]> = {}) => {
  const lines: Line[] = [];
  const result = runStep({
    argv,
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? "" },
    timeoutMs: 10_000,
    maxOutputBytes: 1_000_000,
    signal: new AbortController().signal,
    onLine: (stream, line) => lines.push({ stream, line }),
    ...over,
  });
  return { lines, result };
};
const node = (code: string) => [process.execPath, "-e", code];

describe("stepEnv", () => {
  it("passes only the allowed variables, the secrets and the job's SYSOP_* ones", () => {
    const env = stepEnv(
      { PATH: "/bin", HOME: "/h", NPM_TOKEN: "t0ken", AWS_SECRET_ACCESS_KEY: "no", LANG: undefined },
      { envAllow: ["PATH", "HOME", "LANG"], secretsEnv: ["NPM_TOKEN"], jobId: "job_1", taskId: "task_1", goal: "g", workdir: "/w" },
    );
    expect(env).toEqual({ PATH: "/bin", HOME: "/h", NPM_TOKEN: "t0ken", SYSOP_JOB_ID: "job_1", SYSOP_TASK_ID: "task_1", SYSOP_GOAL: "g", SYSOP_WORKDIR: "/w" });
  });
});

describe("runStep", () => {
  it("runs argv without a shell and reports lines and the exit code", async () => {
    const { lines, result } = run(node("console.log('a $HOME; b'); console.error('err'); process.exit(3)"));
    expect(await result).toMatchObject({ exitCode: 3, signal: null, timedOut: false, aborted: false, truncated: false });
    expect(lines).toEqual([{ stream: "stdout", line: "a $HOME; b" }, { stream: "stderr", line: "err" }]);
  });

  it("the step sees only the environment it is given", async () => {
    const { lines, result } = run(node("console.log(Object.keys(process.env).sort().join(','))"), { env: { PATH: process.env.PATH ?? "", ONLY: "1" } });
    await result;
    expect(lines[0]?.line).toBe("ONLY,PATH");
  });

  it("cuts output off at the cap and says so once", async () => {
    const { lines, result } = run(node("for (let i = 0; i < 2000; i++) console.log('x'.repeat(99))"), { maxOutputBytes: 1050 });
    expect(await result).toMatchObject({ exitCode: 0, truncated: true });
    // Ten whole 100-byte lines, the first 50 bytes of the eleventh, then the note.
    expect(lines.map((l) => l.line)).toEqual([...Array(10).fill("x".repeat(99)), "x".repeat(50), "[sysop-runner] output cut off after 1050 bytes (constraints.max_output_bytes)"]);
    expect(lines.at(-1)?.stream).toBe("stderr");
  });

  it("a step past its timeout is stopped with SIGTERM", async () => {
    const { result } = run(node("setTimeout(() => {}, 30000)"), { timeoutMs: 300 });
    const r = await result;
    expect(r).toMatchObject({ exitCode: null, signal: "SIGTERM", timedOut: true });
    expect(r.durationMs).toBeLessThan(5_000);
  });

  it("a step that ignores SIGTERM is killed with SIGKILL after the grace period", async () => {
    const abort = new AbortController();
    const { result } = run(node("process.on('SIGTERM', () => console.log('ignoring')); console.log('ready'); setInterval(() => {}, 1000)"), {
      signal: abort.signal,
      killGraceMs: 300,
      onLine: (_s, line) => line === "ready" && abort.abort("cancelled"),
    });
    expect(await result).toMatchObject({ exitCode: null, signal: "SIGKILL", aborted: true, timedOut: false });
  });

  it("kills what the step left running in its process group", async () => {
    let grandchild = 0;
    const { result } = run(
      node(`const c = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' }); console.log(c.pid); c.unref();`),
      { onLine: (_s, line) => (grandchild = Number(line)) },
    );
    expect(await result).toMatchObject({ exitCode: 0 });
    expect(grandchild).toBeGreaterThan(0);
    await waitFor("the grandchild to be gone", () => !isAlive(grandchild), 5_000);
  });

  it("a command that does not exist could not start", async () => {
    const { result } = run(["sysop-no-such-command-xyz"]);
    const r = await result;
    expect(r.spawnError).toMatch(/ENOENT/);
    expect(r.exitCode).toBeNull();
  });

  it("an already aborted job starts nothing that survives", async () => {
    const abort = new AbortController();
    abort.abort("shutdown");
    const { result } = run(node("setTimeout(() => {}, 30000)"), { signal: abort.signal });
    expect(await result).toMatchObject({ aborted: true, exitCode: null });
  });
});

describe("output capture", () => {
  it("joins lines split across chunks and characters split across chunks", () => {
    const lines: string[] = [];
    const cap = output.createOutputCapture(1000, (_s, l) => lines.push(l));
    const euro = Buffer.from("€");
    cap.push("stdout", Buffer.concat([Buffer.from("ab"), euro.subarray(0, 1)]));
    cap.push("stdout", Buffer.concat([euro.subarray(1), Buffer.from("c\r\nnext")]));
    cap.end();
    expect(lines).toEqual(["ab€c", "next"]);
  });

  it("splitUtf8 keeps pieces under the byte limit without splitting a character", () => {
    expect(output.splitUtf8("abc", 4096)).toEqual(["abc"]);
    const pieces = output.splitUtf8("é".repeat(5), 4);
    expect(pieces).toEqual(["éé", "éé", "é"]);
    expect(pieces.join("")).toBe("é".repeat(5));
  });
});
