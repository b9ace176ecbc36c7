// From a task request to what policy is asked and what the job may do: the steps the kind
// implies, one decision per thing the job would do (the kind's action, and each command
// step as a command), and the constraints signed into the job.
import type { ActionKind } from "../policy/types";
import { anyGlob, normaliseCommand } from "../policy/patterns";
import type { JobConstraints, TaskKind, TaskStep } from "./types";

/** What policy is asked about the task as a whole. */
export const KIND_ACTION: Record<TaskKind, ActionKind> = {
  agent_run: "edit",
  tests: "run_command",
  command: "run_command",
  migration_dry_run: "db_migration",
  preview: "deploy",
};

/** An agent_run starts with the agent; other kinds run only the steps they name. */
export function planSteps(kind: TaskKind, steps: TaskStep[]): TaskStep[] {
  const hasAgent = steps.some((s) => s.kind === "agent");
  return kind === "agent_run" && !hasAgent ? [{ name: "agent", kind: "agent" }, ...steps] : steps;
}

/** A command step's argv as policy sees it (and as the runner matches it). */
export const commandLine = (run: readonly string[]): string => normaliseCommand(run.join(" "));

export interface PlannedDecision {
  action: ActionKind;
  command: string | null;
  paths: string[];
}

/** One decision for the kind's action, one per command step (deduplicated). */
export function planDecisions(kind: TaskKind, steps: TaskStep[], paths: string[]): PlannedDecision[] {
  const out: PlannedDecision[] = [{ action: KIND_ACTION[kind], command: null, paths: kind === "agent_run" ? paths.filter((p) => !/[*?[{]/.test(p)) : [] }];
  const seen = new Set<string>();
  for (const s of steps) {
    if (!s.run) continue;
    const line = commandLine(s.run);
    if (seen.has(line)) continue;
    seen.add(line);
    out.push({ action: "run_command", command: line, paths: [] });
  }
  return out;
}

/** The strictest of several decisions: one deny denies, else one ask asks. */
export function strictest(decisions: readonly ("allow" | "ask" | "deny")[]): "allow" | "ask" | "deny" {
  return decisions.includes("deny") ? "deny" : decisions.includes("ask") ? "ask" : "allow";
}

export const DEFAULT_LIMITS = { maxDurationSeconds: 1800, stepTimeoutSeconds: 900, maxOutputBytes: 1 << 20 } as const;

/**
 * What the job may do: exactly the commands that were decided (as literal patterns), the
 * paths the task named (default: the whole repo), network only when policy allowed it.
 */
export function jobConstraints(steps: TaskStep[], opts: { paths: string[]; network: boolean; timeoutSeconds?: number }): JobConstraints {
  const maxDuration = Math.min(opts.timeoutSeconds ?? DEFAULT_LIMITS.maxDurationSeconds, 3600);
  return {
    commands: [...new Set(steps.filter((s) => s.run).map((s) => commandLine(s.run!)))],
    network: opts.network ? "egress" : "none",
    paths: opts.paths.length > 0 ? opts.paths : ["**"],
    max_duration_seconds: maxDuration,
    step_timeout_seconds: Math.min(DEFAULT_LIMITS.stepTimeoutSeconds, maxDuration),
    max_output_bytes: DEFAULT_LIMITS.maxOutputBytes,
    artifacts: ["diff", "test_report", "log"],
  };
}

/** Changed paths that no glob of the job's constraints allows (checked again at the outcome). */
export function pathsOutside(changed: readonly string[], globs: readonly string[]): string[] {
  const allowed = anyGlob(globs);
  return changed.filter((p) => !allowed(p));
}
