// Telling agent work from human work on a pull request. A PR is the agent's when any
// configured mark is on it: a sysop task link, a branch prefix, a label, or a trailer line in
// a commit message or the PR body (squash merges often carry trailers only in the body).
// Used when PRs are ingested; the answer is stored as Change.origin.

import type { Origin } from "./types";

export interface PullRequestMarks {
  branch: string | null;
  labels: string[];
  body: string | null;
  commitMessages: string[];
  /** The sysop task the PR was opened from, when sysop opened it. */
  linkedTaskId: string | null;
}

export interface OriginRules {
  /** Head-branch prefixes, compared exactly ("sysop/" matches "sysop/fix-42"). */
  branchPrefixes: string[];
  /** Label names, compared case-insensitively. */
  labels: string[];
  /**
   * Trailer lines as they begin, e.g. "Sysop-Task:" or "Co-authored-by: sysop-agent"; a line
   * matches when it starts with one, ignoring case and runs of spaces (git trailer keys are
   * case-insensitive).
   */
  trailers: string[];
}

export const DEFAULT_ORIGIN_RULES: OriginRules = {
  branchPrefixes: ["sysop/"],
  labels: ["sysop-agent"],
  trailers: ["Sysop-Task:", "Co-authored-by: sysop-agent"],
};

export type OriginEvidence = "task_link" | "branch_prefix" | "label" | "trailer";

export interface OriginClassification {
  origin: Origin;
  /** The first mark found, in the order checked; null for human work. */
  evidence: OriginEvidence | null;
  /** What matched: the task id, prefix, label or trailer rule. */
  matched: string | null;
}

const normalise = (s: string) => s.trim().replace(/\s+/g, " ").toLowerCase();

function trailerIn(texts: readonly string[], trailers: readonly string[]): string | null {
  const wanted = trailers.map((t) => [t, normalise(t)] as const).filter(([, n]) => n !== "");
  for (const text of texts) {
    for (const line of text.split(/\r?\n/)) {
      const hit = wanted.find(([, n]) => normalise(line).startsWith(n));
      if (hit) return hit[0];
    }
  }
  return null;
}

/** The origin and the mark that decided it (for an audit trail or a "why is this agent work?" answer). */
export function explainOrigin(pr: PullRequestMarks, rules: OriginRules): OriginClassification {
  const agent = (evidence: OriginEvidence, matched: string): OriginClassification => ({ origin: "agent", evidence, matched });
  if (pr.linkedTaskId !== null && pr.linkedTaskId !== "") return agent("task_link", pr.linkedTaskId);
  const prefix = pr.branch === null ? undefined : rules.branchPrefixes.find((p) => p !== "" && pr.branch!.startsWith(p));
  if (prefix !== undefined) return agent("branch_prefix", prefix);
  const labels = new Set(pr.labels.map(normalise));
  const label = rules.labels.find((l) => normalise(l) !== "" && labels.has(normalise(l)));
  if (label !== undefined) return agent("label", label);
  const trailer = trailerIn([...pr.commitMessages, pr.body ?? ""], rules.trailers);
  if (trailer !== null) return agent("trailer", trailer);
  return { origin: "human", evidence: null, matched: null };
}

export const classifyOrigin = (pr: PullRequestMarks, rules: OriginRules): Origin => explainOrigin(pr, rules).origin;
