// Tasks and the jobs runners execute: kinds, statuses, steps, the constraints a job carries
// (what policy allowed, signed with it), and the outcome a runner reports. See
// sandbox-bridge/PROTOCOL.md for the wire shapes.

export const TASK_KINDS = ["agent_run", "tests", "command", "migration_dry_run", "preview"] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const TASK_STATUSES = ["received", "awaiting_approval", "queued", "running", "succeeded", "failed", "cancelled", "expired"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const STEP_KINDS = ["agent", "tests", "command"] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface TaskStep {
  name: string;
  kind: StepKind;
  /** argv, no shell; absent for the agent step (the runner's owner configures the agent). */
  run?: string[];
}

export const ARTIFACT_KINDS = ["diff", "test_report", "log"] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

export interface JobConstraints {
  /** Wildcard patterns (the policy engine's: `*` any run, `?` one character) a step's argv must match. */
  commands: string[];
  network: "none" | "egress";
  /** Globs the work may change; checked on the diff by the runner and again here. */
  paths: string[];
  max_duration_seconds: number;
  step_timeout_seconds: number;
  max_output_bytes: number;
  artifacts: ArtifactKind[];
}

export interface JobSpec {
  id: string;
  task_id: string;
  org_id: string;
  team_id: string;
  attempt: number;
  repo: string;
  ref: string;
  kind: TaskKind;
  goal: string;
  steps: TaskStep[];
  constraints: JobConstraints;
  deadline: string;
}

export interface StepResult {
  name: string;
  kind: StepKind;
  exit_code: number | null;
  duration_ms: number;
  refused?: boolean;
}

export interface JobOutcome {
  job_id: string;
  task_id: string;
  attempt: number;
  status: "succeeded" | "failed" | "cancelled";
  reason?: string | null;
  exit_code?: number | null;
  duration_ms?: number;
  steps?: StepResult[];
  tests?: { passed: number; failed: number; skipped: number } | null;
  files_changed?: string[];
  diff_stats?: { files: number; additions: number; deletions: number } | null;
  tokens_used?: { input: number; output: number; model?: string } | null;
  artifacts?: { kind: ArtifactKind; sha256: string; size: number }[];
}
