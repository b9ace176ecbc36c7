// Deciding what an issue-tracker issue is (bug, feature request, tech debt) from its labels
// and its type, and how severe it is from labels like "P1" or "severity: high". Shared by the
// GitHub, Jira and Linear parsers so the three trackers agree on the same words.
import type { Severity, SignalKind } from "./types";

type IssueKind = Extract<SignalKind, "bug" | "feature_request" | "tech_debt">;

// Checked in this order: a "tech-debt" label on a Bug is tech debt (the label is the more
// deliberate statement), and a bug beats a feature when both are present.
const KIND_WORDS: ReadonlyArray<readonly [IssueKind, ReadonlySet<string>]> = [
  ["tech_debt", new Set(["tech-debt", "techdebt", "technical-debt", "debt", "refactor", "refactoring"])],
  ["bug", new Set(["bug", "defect", "regression"])],
  ["feature_request", new Set(["feature", "feature-request", "new-feature", "enhancement", "improvement", "story"])],
];

// "Type: Bug", "kind/bug", "type/feature request" all mean the word after the prefix.
const PREFIX = /^(?:type|kind|category|issue-type)[:/]-?/;

/** Lower case, spaces and underscores as hyphens, a "type:"/"kind/" prefix dropped. */
export function normaliseWord(label: string): string {
  const hyphenated = label.trim().toLowerCase().replace(/[\s_]+/g, "-");
  return hyphenated.replace(PREFIX, "");
}

/**
 * The issue's kind from its labels first, then from the tracker's own type ("Bug", "Story"),
 * or null when nothing says: such issues are not signals (yet), and produce no record.
 */
export function classifyIssue(labels: readonly string[], typeName: string | null): IssueKind | null {
  const words = new Set(labels.map(normaliseWord));
  for (const [kind, vocabulary] of KIND_WORDS) {
    if ([...words].some((w) => vocabulary.has(w))) return kind;
  }
  if (typeName === null) return null;
  const type = normaliseWord(typeName);
  for (const [kind, vocabulary] of KIND_WORDS) {
    if (vocabulary.has(type)) return kind;
  }
  return null;
}

const SEVERITY_WORDS: ReadonlyArray<readonly [Severity, ReadonlySet<string>]> = [
  ["critical", new Set(["p0", "sev0", "sev1", "critical", "urgent", "blocker"])],
  ["high", new Set(["p1", "sev2", "high"])],
  ["medium", new Set(["p2", "sev3", "medium", "normal"])],
  ["low", new Set(["p3", "p4", "sev4", "low", "minor", "trivial"])],
];

// "priority: high", "severity/critical", "sev-1", "P1" all carry a severity; "high-contrast" does not.
const SEVERITY_PREFIX = /^(?:priority|severity|prio)[:/-]*/;

/** The most severe level any label names, or null. */
export function severityFromLabels(labels: readonly string[]): Severity | null {
  const words = labels.map((l) => normaliseWord(l).replace(SEVERITY_PREFIX, "").replace(/^sev-/, "sev"));
  for (const [severity, vocabulary] of SEVERITY_WORDS) {
    if (words.some((w) => vocabulary.has(w))) return severity;
  }
  return null;
}
