// @ts-check
// Pure checks of a job's signed constraints (PROTOCOL.md §4): may this step run (its kind, its
// command against the policy engine's wildcards), and which changed paths fall outside the
// globs the work may touch. No I/O, no clock: run-job.mjs calls in here.
import picomatch from "picomatch/posix.js";

/** @typedef {import("./job.mjs").Job} Job */
/** @typedef {import("./job.mjs").JobStep} JobStep */
/** @typedef {{ok: true, argv: string[]} | {ok: false, reason: string}} StepCheck */

export const STEP_KINDS = /** @type {const} */ (["agent", "tests", "command"]);
export const COMMAND_NOT_ALLOWED = "command not allowed by the job's constraints";

const REGEX_SPECIAL = /[.+^${}()|[\]\\]/g;

/** Commands compare after trimming and collapsing runs of whitespace, as the policy engine's do. */
export const normaliseCommand = (/** @type {string} */ command) => command.trim().replace(/\s+/g, " ");

/** A step's argv as patterns see it (§4): joined with single spaces, whitespace collapsed. */
export const commandLine = (/** @type {readonly string[]} */ argv) => normaliseCommand(argv.join(" "));

/**
 * "npm run test:*" → /^npm run test:.*$/s. Mirrors workers/src/domain/policy/patterns.ts:
 * `*` any run of characters, `?` one character, everything else literal, whole string.
 * @param {string} pattern
 */
export function wildcardToRegExp(pattern) {
  const body = normaliseCommand(pattern).replace(REGEX_SPECIAL, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
}

/**
 * @param {readonly string[]} argv
 * @param {readonly string[]} patterns
 */
export function commandAllowed(argv, patterns) {
  const line = commandLine(argv);
  return patterns.some((p) => wildcardToRegExp(p).test(line));
}

/**
 * The argv of the owner's agent command with `{goal}` replaced inside each element: the goal
 * stays inside the element it was put in (there is no shell), so it can never add arguments.
 * @param {readonly string[]} command
 * @param {string} goal
 */
export const agentArgv = (command, goal) => command.map((arg) => arg.replaceAll("{goal}", goal));

/**
 * Whether a step may run, and with which argv. The agent step runs the owner's configured
 * command (never one from the job) and only in an agent_run job; tests and command steps run
 * their own argv when it matches one of constraints.commands.
 * @param {JobStep} step
 * @param {Job} job
 * @param {readonly string[] | null} agentCommand  the runner owner's, from sysop-runner.json
 * @returns {StepCheck}
 */
export function checkStep(step, job, agentCommand) {
  switch (step.kind) {
    case "agent":
      if (job.kind !== "agent_run") return { ok: false, reason: `agent steps run only in agent_run jobs, not ${job.kind}` };
      if (agentCommand === null) return { ok: false, reason: "no agent command is configured on this runner" };
      return { ok: true, argv: agentArgv(agentCommand, job.goal) };
    case "tests":
    case "command":
      if (!step.run || step.run.length === 0) return { ok: false, reason: "the step has no command" };
      if (!commandAllowed(step.run, job.constraints.commands)) return { ok: false, reason: COMMAND_NOT_ALLOWED };
      return { ok: true, argv: [...step.run] };
    default:
      return { ok: false, reason: `unknown step kind '${String(step.kind)}'` };
  }
}

/**
 * The first step that may not run, if any. Every step is checked before any runs, so a job
 * with one forbidden step changes nothing at all.
 * @param {Job} job
 * @param {readonly string[] | null} agentCommand
 * @returns {{step: JobStep, reason: string} | null}
 */
export function firstRefusedStep(job, agentCommand) {
  for (const step of job.steps) {
    const check = checkStep(step, job, agentCommand);
    if (!check.ok) return { step, reason: check.reason };
  }
  return null;
}

/**
 * The changed paths that no glob of constraints.paths matches (picomatch, dotfiles included).
 * @param {readonly string[]} changed  repo-relative, "/"-separated, as git prints them
 * @param {readonly string[]} globs
 */
export function pathsOutside(changed, globs) {
  if (globs.length === 0) return [...changed];
  const inside = picomatch([...globs], { dot: true });
  return changed.filter((p) => !inside(p));
}
