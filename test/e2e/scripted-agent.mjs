// The e2e tests' stand-in for a coding agent: the `agent` step of sysop-runner.json runs
// `node scripted-agent.mjs "{goal}"` in the job's work tree. It fixes the fixture's rounding bug
// and writes sysop-usage.json; directives in the goal (in brackets) script the rest:
//   [sleep=N]        sleep N seconds first (cancel, revoke)
//   [sleep-once=N]   sleep N seconds only the first time this task runs (a killed runner)
//   [also-edit=P]    also change repo path P (paths constraints)
// With E2E_MARKERS set (the runner's env_allow passes it), it records that it ran
// (<task>.ran, one line per run), its pid (<task>.pid) and, for sleep-once, <task>.slept.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const goal = process.argv[2] ?? process.env.SYSOP_GOAL ?? "";
const task = process.env.SYSOP_TASK_ID ?? "unknown-task";
const markers = process.env.E2E_MARKERS;
const directive = (/** @type {string} */ name) => new RegExp(`\\[${name}=([^\\]]+)\\]`).exec(goal)?.[1];
const marker = (/** @type {string} */ suffix) => path.join(/** @type {string} */ (markers), `${task}.${suffix}`);

if (markers) {
  writeFileSync(marker("pid"), String(process.pid));
  appendFileSync(marker("ran"), `${process.pid} ${process.env.SYSOP_WORKDIR}\n`);
}
console.log(`agent: working on ${JSON.stringify(goal)}`);

let sleepSeconds = Number(directive("sleep") ?? 0);
const once = directive("sleep-once");
if (once !== undefined && markers && !existsSync(marker("slept"))) {
  writeFileSync(marker("slept"), String(process.pid));
  sleepSeconds = Number(once);
}
if (sleepSeconds > 0) {
  console.log(`agent: thinking for ${sleepSeconds} s`);
  await new Promise((resolve) => setTimeout(resolve, sleepSeconds * 1000));
}

const file = "src/invoice.js";
writeFileSync(file, readFileSync(file, "utf8").replace("Math.floor(cents)", "Math.round(cents)"));
console.log(`agent: edited ${file}`);
const extra = directive("also-edit");
if (extra) {
  mkdirSync(path.dirname(extra), { recursive: true });
  writeFileSync(extra, "changed by the agent\n");
  console.log(`agent: edited ${extra}`);
}
writeFileSync("sysop-usage.json", JSON.stringify({ input: 12_000, output: 3_400, model: "claude-sonnet-4-5" }));
