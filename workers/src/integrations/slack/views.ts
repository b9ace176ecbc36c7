// The plain data messages.ts turns into Slack messages: what a route has after loading an
// approval or a repo's policy, with display names already resolved. Nothing here is trusted
// for formatting: every string is escaped when it is shown.
import type { Effect, PolicyLayer } from "../../domain/policy/types";

/** An approval as an approver needs to judge it. */
export interface ApprovalForSlack {
  /** "apr_" + 20 base32 characters; carried in the buttons' value. */
  id: string;
  team_name: string;
  requester_name: string;
  /** What the agent asks to do (an action kind such as "deploy"). */
  action: string;
  repo: string;
  command?: string | null;
  paths?: readonly string[] | null;
  reason: string;
  ticket_url?: string | null;
  /** ISO 8601. */
  expires_at: string;
  approvals_needed: number;
  approvals_so_far: number;
}

/** One line of the approvals list. */
export type ApprovalSummaryForSlack = Pick<
  ApprovalForSlack,
  "id" | "team_name" | "requester_name" | "action" | "repo" | "expires_at" | "approvals_needed" | "approvals_so_far"
>;

/** What happened to an approval, for the message that replaces its buttons. */
export type ApprovalOutcome =
  /** Enough approvals: the request goes ahead. */
  | { kind: "approved"; by: string }
  /** One approval of several needed: the buttons stay for the others. */
  | { kind: "approval_recorded"; by: string }
  | { kind: "denied"; by: string; reason: string }
  | { kind: "expired" };

export interface PolicyRuleForSlack {
  id: string;
  effect: Effect;
  reason: string;
}

/** The policy in force at one layer (org, team, repo) for a repo. */
export interface PolicyLayerForSlack {
  layer: PolicyLayer;
  /** The org, team or repo name. */
  name: string;
  /** null when this layer has no policy. */
  version: number | null;
  /** Org layer only: the answer when no rule matches. */
  default_effect?: Effect | null;
  rules: readonly PolicyRuleForSlack[];
}

export interface PolicySummaryForSlack {
  repo: string;
  /** In evaluation order: org, team, repo. */
  layers: readonly PolicyLayerForSlack[];
  dashboard_url?: string | null;
}
