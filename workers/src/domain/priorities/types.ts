// The vocabulary of priority ranking: the signals sysop ingests (support tickets, incidents,
// deals, bugs, feature requests, tech debt), the per-org weights, and the ranked work items
// with the explanation of every score. Plain data, ISO times, ARR in integer micro-dollars.

export type SignalKind = "support_ticket" | "incident" | "deal" | "bug" | "feature_request" | "tech_debt";
export type Severity = "critical" | "high" | "medium" | "low";
export type SignalState = "open" | "resolved" | "closed";

export interface Signal {
  id: string;
  /** Where it came from: "zendesk", "pagerduty", "salesforce", "github"… (not used in scoring). */
  source: string;
  signalKind: SignalKind;
  title: string;
  severity: Severity | null;
  /** Annual recurring revenue of a deal blocked on this, integer micro-dollars; null when unknown or not a deal. */
  arrMicros: number | null;
  component: string | null;
  service: string | null;
  labels: string[];
  repo: string | null;
  teamId: string | null;
  /** For a deal, open = still blocked on the work. */
  state: SignalState;
  openedAt: string;
  resolvedAt: string | null;
}

/** How much one point of each factor's value is worth in the score. */
export interface PriorityWeights {
  supportLoad: number;
  revenueAtRisk: number;
  incidentRecurrence: number;
  strategicDebt: number;
  /** Per day of age (capped). */
  age: number;
}

/** Points per signal of each severity; `unrated` for a signal without one. */
export interface SeverityWeights {
  critical: number;
  high: number;
  medium: number;
  low: number;
  unrated: number;
}

export interface PriorityOptions {
  /** The moment ranked as of; signals opened after it are ignored. */
  now: string;
  /** Incidents opened in the last `windowDays` count toward recurrence. */
  windowDays: number;
  /** Unset weights take DEFAULT_PRIORITY_WEIGHTS'. */
  weights?: Partial<PriorityWeights>;
  /** Labels that make a tech_debt signal strategic (case-insensitive); none by default. */
  strategicLabels?: string[];
  severityWeights?: Partial<SeverityWeights>;
  /** Age stops adding after this many days (DEFAULT_AGE_CAP_DAYS). */
  ageCapDays?: number;
}

export type PriorityFactor = "support_load" | "revenue_at_risk" | "incident_recurrence" | "strategic_debt" | "age";

/** One term of the score. INVARIANT: contribution = round2(value × weight); score = round2(Σ contributions). */
export interface FactorExplanation {
  factor: PriorityFactor;
  /** The factor's points before weighting, rounded to 2 decimals. */
  value: number;
  weight: number;
  contribution: number;
  /** What was counted, in words: "4 open tickets (2 high, 2 low), +3 vs last week". */
  detail: string;
}

/**
 * What groups signals into one work item: where (a repo, else a service, else a component;
 * null when the signal names none) and the theme (the component, or the most common label).
 * All parts lower-case.
 */
export interface PriorityKey {
  scopeKind: "repo" | "service" | "component" | null;
  scope: string | null;
  theme: string;
}

export interface PriorityItem {
  /** "pri_" + 24 hex of SHA-256 over the key: the same key ranks under the same id every time. */
  id: string;
  key: PriorityKey;
  score: number;
  /** Every factor, always in the same order, zero or not. */
  explanation: FactorExplanation[];
  /** The signals that were counted: open ones and the recent history (sorted). */
  signalIds: string[];
  /** The most common team among the open signals (ties: the alphabetically first); null when none has one. */
  teamId: string | null;
  /** The scope when it is a repo, else the most common repo among the signals. */
  repo: string | null;
}
