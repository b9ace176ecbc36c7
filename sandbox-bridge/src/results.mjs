// @ts-check
// What a job produced, read after its steps: the changes against the base commit (files,
// additions, deletions, the binary diff), the tests summary and the agent's token usage from
// the files and lines the steps leave (PROTOCOL.md §4 outcome). The parsers are pure.
import { open } from "node:fs/promises";
import { constants } from "node:fs";
import path from "node:path";
import { git } from "./git.mjs";

/** @typedef {{passed: number, failed: number, skipped: number}} TestsSummary */
/** @typedef {{input: number, output: number, model: string}} TokensUsed */
/** @typedef {{files: number, additions: number, deletions: number}} DiffStats */

export const TEST_REPORT_FILE = "sysop-test-report.json";
export const USAGE_FILE = "sysop-usage.json";
/** The runner's own hand-over files are not part of the work. */
const EXCLUDED = [TEST_REPORT_FILE, USAGE_FILE].map((f) => `:(top,exclude)${f}`);
const MAX_SIDE_FILE_BYTES = 1024 * 1024;

const TESTS_LINE = /^\s*SYSOP_TESTS\s+passed=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s*$/;

/** @param {unknown} v */
const isCount = (v) => Number.isSafeInteger(v) && /** @type {number} */ (v) >= 0;

/** `SYSOP_TESTS passed=3 failed=0 skipped=1` → the summary; anything else → null. @param {string} line @returns {TestsSummary | null} */
export function parseTestsLine(line) {
  const m = TESTS_LINE.exec(line);
  return m ? { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3]) } : null;
}

/** @param {string} text @returns {TestsSummary | null} */
export function parseTestReport(text) {
  try {
    const r = JSON.parse(text);
    return isCount(r?.passed) && isCount(r?.failed) && isCount(r?.skipped) ? { passed: r.passed, failed: r.failed, skipped: r.skipped } : null;
  } catch {
    return null;
  }
}

/** @param {string} text @returns {TokensUsed | null} */
export function parseUsage(text) {
  try {
    const u = JSON.parse(text);
    return isCount(u?.input) && isCount(u?.output) && typeof u?.model === "string" ? { input: u.input, output: u.output, model: u.model } : null;
  } catch {
    return null;
  }
}

/**
 * `git diff --numstat -z` output → the paths and line counts (binary files count 0 lines). Pure.
 * @param {string} text
 * @returns {{files: string[], stats: DiffStats}}
 */
export function parseNumstat(text) {
  const files = [];
  let additions = 0;
  let deletions = 0;
  for (const record of text.split("\0")) {
    const m = /^(-|\d+)\t(-|\d+)\t([\s\S]+)$/.exec(record);
    if (!m) continue;
    additions += m[1] === "-" ? 0 : Number(m[1]);
    deletions += m[2] === "-" ? 0 : Number(m[2]);
    files.push(/** @type {string} */ (m[3]));
  }
  return { files, stats: { files: files.length, additions, deletions } };
}

/**
 * A hand-over file a step wrote in the workdir: a regular file (not a symlink, which could make
 * the runner read something outside the sandbox), at most 1 MiB. Null when absent or refused.
 * @param {string} dir
 * @param {string} name
 * @returns {Promise<Buffer | null>}
 */
export async function readSideFile(dir, name) {
  let handle;
  try {
    handle = await open(path.join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_SIDE_FILE_BYTES) return null;
    return await handle.readFile();
  } catch {
    return null;
  } finally {
    await handle?.close();
  }
}

/**
 * Stages everything the steps changed and reads it back against the base commit. Renames show
 * as delete + add, so a path moved out of bounds is checked under both names.
 * @param {import("./workspace.mjs").Workspace} ws
 * @returns {Promise<{files: string[], stats: DiffStats, diff: Buffer}>}
 */
export async function collectChanges(ws) {
  const where = { cwd: ws.dir, gitDir: ws.gitDir, workTree: ws.dir };
  await git(["add", "-A", "--", ".", ...EXCLUDED], where);
  const numstat = await git(["diff", "--cached", "--no-ext-diff", "--no-textconv", "--no-renames", "--numstat", "-z", ws.baseCommit], where);
  const { files, stats } = parseNumstat(numstat.toString("utf8"));
  const diff = await git(["diff", "--cached", "--no-ext-diff", "--no-textconv", "--binary", ws.baseCommit], where);
  return { files, stats, diff };
}
