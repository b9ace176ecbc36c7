// The vocabulary of governance: what an agent may ask to do, the rules that answer, and the
// answer. Plain data, shared by the evaluator, the API schemas and the benchmark.
import type { OrgRole } from "../authz/roles";
import type { ApprovalSettings, ApprovalSettingsInput } from "../approvals/settings";

export const ACTION_KINDS = [
  "read",
  "edit",
  "run_command",
  "network",
  "install_dependency",
  "git_push",
  "open_pr",
  "merge",
  "deploy",
  "db_migration",
  "secret_access",
  "mcp_tool",
  "model_call",
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export const EFFECTS = ["allow", "ask", "deny"] as const;
export type Effect = (typeof EFFECTS)[number];

export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const POLICY_LAYERS = ["org", "team", "repo"] as const;
export type PolicyLayer = (typeof POLICY_LAYERS)[number];

/** When a rule applies. Every condition present must hold; a list holds if any entry does. */
export interface RuleConditions {
  actions?: ActionKind[];
  principal_kinds?: ("user" | "agent" | "service")[];
  org_roles?: OrgRole[];
  /** The actor's role in the request's team. */
  team_roles?: ("lead" | "member")[];
  /** Team ids. */
  teams?: string[];
  /** Principal ids. */
  principals?: string[];
  /** Repo names; `*` matches any run of characters ("acme/*", "*-api"). */
  repos?: string[];
  /** Path globs (picomatch: `*` within a segment, `**` across). Holds if any path matches. */
  paths?: string[];
  /** Command patterns; `*` matches any run of characters ("npm run test:*", "git push --force*"). */
  commands?: string[];
  mcp_servers?: string[];
  mcp_tools?: string[];
  /** Model ids for model_call (the LLM gateway); `*` wildcards ("claude-*"). */
  models?: string[];
  min_estimated_tokens?: number;
  max_estimated_tokens?: number;
  risk?: RiskLevel[];
  /** Days and a daily time range [start, end) in a time zone; end < start wraps midnight. */
  time_window?: { days?: Weekday[]; start: string; end: string; timezone?: string };
  /** "untrusted" holds unless the request says its context is trusted (fail-safe). */
  context_trust?: "trusted" | "untrusted";
}

export interface PolicyRule {
  id: string;
  effect: Effect;
  reason: string;
  when: RuleConditions;
  /** For ask rules: how the approval works (else the org's defaults). */
  approval?: ApprovalSettingsInput;
}

export interface PolicyDocument {
  /** Org layer only: the answer when no rule matches. Defaults to ask. */
  default_effect?: Effect;
  /** Org layer only: approval settings for ask rules that do not set their own. */
  approvals?: ApprovalSettingsInput;
  rules: PolicyRule[];
}

/** A policy document in force at one layer, with the version that put it there. */
export interface ActivePolicy {
  layer: PolicyLayer;
  /** org id, team id or repo id. */
  targetId: string;
  version: number;
  document: PolicyDocument;
}

/** Who may read and write which paths of a repo (registered with the repo). */
export interface RepoPathScope {
  path: string;
  read: string[];
  write: string[];
}

export interface RepoFacts {
  id: string;
  name: string;
  teamId: string;
  pathScopes: RepoPathScope[];
}

/** A decision request after authentication: who, where, what. */
export interface DecisionInput {
  actor: {
    id: string;
    kind: "user" | "agent" | "service";
    orgRole: string;
    /** team id → role */
    teamRoles: Readonly<Record<string, "lead" | "member">>;
  };
  /** The team the work is for, when the caller names one; else the repo's team. */
  teamId: string | null;
  /** Repo name as asked; the policy set knows which are registered (and their scopes). */
  repoName: string;
  action: ActionKind;
  paths: string[];
  command: string | null;
  tool: { server: string; name: string } | null;
  /** The model asked for (model_call). */
  model: string | null;
  estimatedTokens: number;
  risk: RiskLevel | null;
  contextTrust: "trusted" | "untrusted" | null;
}

export interface MatchedRule {
  id: string;
  effect: Effect;
  reason: string;
  layer: PolicyLayer | "path_scope" | "default" | "approval";
}

export interface PolicyDecision {
  decision: Effect;
  reason: string;
  matchedRules: MatchedRule[];
  /** The effective risk the rules saw (declared or derived, whichever is higher). */
  risk: RiskLevel;
  /** For an ask: how it is to be approved. */
  approval: ApprovalSettings | null;
}
