// What a job produced, parsed (sandbox-bridge/src/results.mjs, outcome.mjs, run-job.mjs's
// stepFailure): git numstat, the tests summary line and report, agent usage, hand-over files
// that must not be symlinks, and the outcome claims built from the facts.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { outcome, results, runJob } from "./modules";

const { parseNumstat, parseTestsLine, parseTestReport, parseUsage, readSideFile } = results;

describe("parsers", () => {
  it("parseNumstat: text and binary files, paths with tabs and newlines", () => {
    const text = "3\t1\tsrc/a.js\0-\t-\tassets/logo.png\0" + "1\t0\tdocs/odd\tname\nx.md\0";
    expect(parseNumstat(text)).toEqual({
      files: ["src/a.js", "assets/logo.png", "docs/odd\tname\nx.md"],
      stats: { files: 3, additions: 4, deletions: 1 },
    });
    expect(parseNumstat("")).toEqual({ files: [], stats: { files: 0, additions: 0, deletions: 0 } });
  });

  it.each([
    ["SYSOP_TESTS passed=3 failed=0 skipped=1", { passed: 3, failed: 0, skipped: 1 }],
    ["  SYSOP_TESTS  passed=12 failed=2 skipped=0  ", { passed: 12, failed: 2, skipped: 0 }],
    ["SYSOP_TESTS passed=3 failed=0", null],
    ["echo SYSOP_TESTS passed=3 failed=0 skipped=0", null],
    ["SYSOP_TESTS passed=-1 failed=0 skipped=0", null],
  ])("parseTestsLine(%j)", (line, expected) => {
    expect(parseTestsLine(line)).toEqual(expected);
  });

  it("parseTestReport and parseUsage take whole non-negative counts only", () => {
    expect(parseTestReport('{"passed":5,"failed":1,"skipped":0,"suites":[]}')).toEqual({ passed: 5, failed: 1, skipped: 0 });
    expect(parseTestReport('{"passed":5,"failed":1}')).toBeNull();
    expect(parseTestReport("not json")).toBeNull();
    expect(parseUsage('{"input":1200,"output":800,"model":"claude-sonnet-4-5"}')).toEqual({ input: 1200, output: 800, model: "claude-sonnet-4-5" });
    expect(parseUsage('{"input":1.5,"output":800,"model":"m"}')).toBeNull();
    expect(parseUsage('{"input":1,"output":2}')).toBeNull();
  });

  it("readSideFile reads a regular file and refuses a symlink (it could point outside the sandbox)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sysop-side-"));
    try {
      writeFileSync(path.join(dir, "secret"), "private");
      writeFileSync(path.join(dir, "report.json"), "{}");
      symlinkSync(path.join(dir, "secret"), path.join(dir, "link.json"));
      expect((await readSideFile(dir, "report.json"))?.toString()).toBe("{}");
      expect(await readSideFile(dir, "link.json")).toBeNull();
      expect(await readSideFile(dir, "absent.json")).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("outcome claims", () => {
  const ids = { jobId: "job_1", taskId: "task_1", attempt: 2 };
  it("a failure carries its reason and the failing step's exit code", () => {
    const steps = [{ name: "tests", kind: "tests", exit_code: 1, duration_ms: 10, refused: false }];
    expect(outcome.outcomeClaims({ ids, status: "failed", reason: "step 'tests' exited with code 1", durationMs: 20, steps })).toEqual({
      job_id: "job_1", task_id: "task_1", attempt: 2, status: "failed", reason: "step 'tests' exited with code 1", exit_code: 1, duration_ms: 20,
      steps, tests: null, files_changed: [], diff_stats: { files: 0, additions: 0, deletions: 0 }, tokens_used: null, artifacts: [],
    });
  });
  it("success has exit code 0 and no reason", () => {
    const claims = outcome.outcomeClaims({ ids, status: "succeeded", reason: null, durationMs: 5 });
    expect(claims).toMatchObject({ status: "succeeded", exit_code: 0 });
    expect(claims).not.toHaveProperty("reason");
  });

  it("a step of an unknown kind is left out of steps (the reason names it); a long reason is clipped", () => {
    const steps = [{ name: "deploy", kind: "deploy", exit_code: null, duration_ms: 0, refused: true }];
    const claims = outcome.outcomeClaims({ ids, status: "failed", reason: "x".repeat(5000), durationMs: 0, steps });
    expect(claims.steps).toEqual([]);
    expect(claims.reason).toHaveLength(outcome.MAX_REASON_CHARS);
    expect(claims.reason.endsWith("…")).toBe(true);
  });

  it("outsidePathsReason names at most 20 paths", () => {
    expect(outcome.outsidePathsReason(["a", "b"])).toBe("changes outside the allowed paths: a, b");
    const many = Array.from({ length: 25 }, (_, i) => `p${i}`);
    expect(outcome.outsidePathsReason(many)).toBe(`changes outside the allowed paths: ${many.slice(0, 20).join(", ")} and 5 more`);
  });

  const r = { exitCode: 0, signal: null, durationMs: 1, timedOut: false, aborted: false, truncated: false };
  const limit = { byDeadline: false, stepTimeoutSeconds: 300 };
  it.each([
    ["exit 0", r, limit, null],
    ["exit 2", { ...r, exitCode: 2 }, limit, "step 's' exited with code 2"],
    ["a signal", { ...r, exitCode: null, signal: "SIGSEGV" }, limit, "step 's' was killed by SIGSEGV"],
    ["its timeout", { ...r, exitCode: null, signal: "SIGTERM", timedOut: true }, limit, "step 's' timed out after 300 s"],
    ["the job's deadline", { ...r, exitCode: null, timedOut: true }, { ...limit, byDeadline: true }, "step 's' ran past the job's deadline (exp or max_duration_seconds)"],
    ["no start", { ...r, exitCode: null, spawnError: "spawn x ENOENT" }, limit, "step 's' could not start: spawn x ENOENT"],
  ])("stepFailure: %s", (_name, result, l, expected) => {
    expect(runJob.stepFailure("s", result, l)).toBe(expected);
  });
});
