// A small real git repository for e2e runs: src/invoice.js with a rounding bug (Math.floor
// where Math.round belongs) and test.js, which fails until scripted-agent.mjs fixes it and
// prints the `SYSOP_TESTS passed=N failed=N skipped=N` line the runner reads
// (sandbox-bridge/src/results.mjs). Used by stack.mjs.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The scripted agent: `agent.command` is [node, SCRIPTED_AGENT, "{goal}"]. */
export const SCRIPTED_AGENT = path.join(import.meta.dirname, "scripted-agent.mjs");
/** The fixture's tests step, as a task's `run`. */
export const FIXTURE_TEST_COMMAND = ["node", "test.js"];

const INVOICE = `// Invoice totals in cents: the lines plus tax, to a whole cent.
function total(lines, taxRate) {
  const cents = lines.reduce((sum, l) => sum + l.qty * l.unitCents, 0) * (1 + taxRate);
  return Math.floor(cents);
}
module.exports = { total };
`;

const TESTS = `const { total } = require("./src/invoice.js");
const cases = [
  [[{ qty: 2, unitCents: 500 }], 0, 1000],
  [[{ qty: 1, unitCents: 999 }], 0.2, 1199],
  [[{ qty: 3, unitCents: 333 }], 0.075, 1074],
];
let passed = 0;
let failed = 0;
for (const [lines, rate, want] of cases) {
  const got = total(lines, rate);
  if (got === want) passed++;
  else {
    failed++;
    console.log("FAIL total(" + JSON.stringify(lines) + ", " + rate + ") = " + got + ", want " + want);
  }
}
console.log("SYSOP_TESTS passed=" + passed + " failed=" + failed + " skipped=0");
process.exit(failed === 0 ? 0 : 1);
`;

/** @param {string} cwd @param {string[]} args */
const git = (cwd, args) =>
  execFileSync("git", ["-c", "user.name=sysop e2e", "-c", "user.email=e2e@example.com", "-c", "commit.gpgsign=false", ...args], { cwd, encoding: "utf8" });

/**
 * Creates the repo at `dir` (which must not exist yet) with one commit on `main`.
 * @param {string} dir
 * @returns {{path: string, ref: string, head: string}}
 */
export function createFixtureRepo(dir) {
  mkdirSync(path.join(dir, "src"), { recursive: true });
  writeFileSync(path.join(dir, "src/invoice.js"), INVOICE);
  writeFileSync(path.join(dir, "test.js"), TESTS);
  writeFileSync(path.join(dir, "README.md"), "# payments-api (e2e fixture)\n");
  git(dir, ["init", "--quiet", "--initial-branch=main"]);
  git(dir, ["add", "-A"]);
  git(dir, ["commit", "--quiet", "-m", "invoice totals"]);
  return { path: dir, ref: "main", head: git(dir, ["rev-parse", "HEAD"]).trim() };
}
