// An org's outcome settings and its signal mapping rules, as data and pure functions: which
// repo and team a signal belongs to (the first rule that matches, in order; else the repo the
// signal names, if registered), how agent work is recognised, the priority weights, and the
// windows the metrics use. Routes validate and store these; ingest and queries apply them.
import { DEFAULT_ORIGIN_RULES, type OriginRules } from "../metrics/classify";
import { DEFAULT_AGE_CAP_DAYS, DEFAULT_PRIORITY_WEIGHTS, DEFAULT_SEVERITY_WEIGHTS } from "../priorities/weights";
import type { PriorityWeights, SeverityWeights } from "../priorities/types";

/** A rule's conditions: every list given must match (any of its values); none given matches all. */
export interface SignalMatch {
  sources?: string[];
  kinds?: string[];
  labels?: string[];
  components?: string[];
  services?: string[];
  repos?: string[];
}

export interface SignalMappingRule {
  match: SignalMatch;
  repo: string | null;
  teamId: string | null;
}

export interface MappableSignal {
  source: string;
  signalKind: string;
  labels: string[];
  component: string | null;
  service: string | null;
  repo: string | null;
}

const lower = (xs: readonly string[] | undefined) => xs?.map((x) => x.toLowerCase());
const anyOf = (want: readonly string[] | undefined, have: readonly (string | null)[]) =>
  want === undefined || want.length === 0 || have.some((h) => h !== null && want.includes(h.toLowerCase()));

export function ruleMatches(m: SignalMatch, s: MappableSignal): boolean {
  return (
    anyOf(lower(m.sources), [s.source]) &&
    anyOf(lower(m.kinds), [s.signalKind]) &&
    anyOf(lower(m.labels), s.labels) &&
    anyOf(lower(m.components), [s.component]) &&
    anyOf(lower(m.services), [s.service]) &&
    anyOf(lower(m.repos), [s.repo])
  );
}

/**
 * Where a signal belongs. A matching rule decides (its repo, or the signal's own, and its
 * team, or the repo's registered team); with no rule, the repo the signal names and that
 * repo's team, when the org registered it. Unmapped: no team.
 */
export function mapSignal(s: MappableSignal, rules: readonly SignalMappingRule[], repoTeams: ReadonlyMap<string, string>): { repo: string | null; teamId: string | null } {
  const rule = rules.find((r) => ruleMatches(r.match, s));
  const repo = rule?.repo ?? s.repo;
  const teamId = rule?.teamId ?? (repo ? (repoTeams.get(repo) ?? null) : null);
  return { repo, teamId };
}

export interface OutcomeSettings {
  origin: OriginRules;
  priorityWeights: PriorityWeights;
  severityWeights: SeverityWeights;
  strategicLabels: string[];
  ageCapDays: number;
  /** How far back priorities look for incidents and ticket trends. */
  priorityWindowDays: number;
  /** A merged change changed again or reverted within this many days counts as rework. */
  reworkWindowDays: number;
  /** An incident on a team within this many hours after one of its deployments is linked to it. */
  incidentLinkHours: number;
}

export const DEFAULT_OUTCOME_SETTINGS: OutcomeSettings = {
  origin: DEFAULT_ORIGIN_RULES,
  priorityWeights: DEFAULT_PRIORITY_WEIGHTS,
  severityWeights: DEFAULT_SEVERITY_WEIGHTS,
  strategicLabels: ["strategic", "platform"],
  ageCapDays: DEFAULT_AGE_CAP_DAYS,
  priorityWindowDays: 30,
  reworkWindowDays: 14,
  // Short: with daily deploys a day-long window would pin nearly every incident on one.
  incidentLinkHours: 4,
};

/** Stored settings over the defaults, field by field (an org may set only what it cares about). */
export function withDefaults(stored: Partial<OutcomeSettings> | null | undefined): OutcomeSettings {
  const s = stored ?? {};
  return {
    ...DEFAULT_OUTCOME_SETTINGS,
    ...s,
    origin: { ...DEFAULT_OUTCOME_SETTINGS.origin, ...s.origin },
    priorityWeights: { ...DEFAULT_OUTCOME_SETTINGS.priorityWeights, ...s.priorityWeights },
    severityWeights: { ...DEFAULT_OUTCOME_SETTINGS.severityWeights, ...s.severityWeights },
  };
}
