// Policy replay: recorded decisions run again against a draft policy set, counting what
// would change (allow→deny, ask→allow, …) with a few examples of each. Pure: the caller
// loads the records and compiles the draft.
import type { CompiledPolicySet } from "./compile";
import type { DecisionInput, Effect } from "./types";

export interface RecordedDecision {
  decisionId: string;
  at: string;
  input: DecisionInput;
  /** What policy answered then, before any approval turned an ask into an allow. */
  decision: Effect;
  rules: string[];
}

export interface ChangeExample {
  decision_id: string;
  at: string;
  actor_id: string;
  repo: string;
  action: string;
  command: string | null;
  paths: string[];
  before: { decision: Effect; rules: string[] };
  after: { decision: Effect; rules: string[] };
}

export interface SimulationResult {
  replayed: number;
  changed: number;
  unchanged: number;
  /** "allow→deny" → count; only transitions that happened. */
  transitions: Record<string, number>;
  examples: Record<string, ChangeExample[]>;
}

export function simulate(records: Iterable<RecordedDecision>, draft: CompiledPolicySet, examplesPerChange: number): SimulationResult {
  const result: SimulationResult = { replayed: 0, changed: 0, unchanged: 0, transitions: {}, examples: {} };
  for (const r of records) {
    result.replayed++;
    const after = draft.evaluate(r.input, new Date(r.at));
    if (after.decision === r.decision) {
      result.unchanged++;
      continue;
    }
    result.changed++;
    const key = `${r.decision}→${after.decision}`;
    result.transitions[key] = (result.transitions[key] ?? 0) + 1;
    const examples = (result.examples[key] ??= []);
    if (examples.length < examplesPerChange) {
      examples.push({
        decision_id: r.decisionId,
        at: r.at,
        actor_id: r.input.actor.id,
        repo: r.input.repoName,
        action: r.input.action,
        command: r.input.command,
        paths: r.input.paths,
        before: { decision: r.decision, rules: r.rules },
        after: { decision: after.decision, rules: after.matchedRules.map((m) => m.id) },
      });
    }
  }
  return result;
}
