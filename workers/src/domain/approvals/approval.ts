// An approval request and its state machine, as pure functions: votes from distinct,
// qualified approvers who are not the requester; quorum approves; a deny ends it when the
// policy says one deny is enough (else it needs as many denies as approvals would need);
// past its expiry a pending request is expired. The ApprovalDesk stores what these return.
import type { ApproverRole } from "./settings";

export const APPROVAL_STATUSES = ["pending", "approved", "denied", "cancelled", "expired"] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export interface ApprovalVote {
  approverId: string;
  vote: "approve" | "deny";
  reason: string | null;
  at: string;
}

export interface ActionSummary {
  actorId: string;
  repo: string;
  action: string;
  paths: string[];
  command: string | null;
  tool: { server: string; name: string } | null;
  /** A temporary budget increase: approving it raises the team's limits until the period ends. */
  budgetIncrease?: BudgetIncrease;
  /** A task waiting for this approval: approved, it is dispatched; otherwise it ends. */
  taskId?: string;
}

export interface BudgetIncrease {
  teamId: string;
  addMicros: number;
  addTokens: number;
}

export interface Approval {
  id: string;
  orgId: string;
  teamId: string | null;
  status: ApprovalStatus;
  requestHash: string;
  requesterId: string;
  decisionId: string | null;
  summary: ActionSummary;
  reason: string;
  ticketUrl: string | null;
  quorum: number;
  approverRoles: ApproverRole[];
  denyByAny: boolean;
  validForMinutes: number;
  votes: ApprovalVote[];
  createdAt: string;
  expiresAt: string;
  decidedAt: string | null;
  validUntil: string | null;
}

export interface Approver {
  id: string;
  orgRole: string;
  /** Lead of the approval's team. */
  isTeamLead: boolean;
}

export type VoteRefusal = "not_pending" | "expired" | "self_approval" | "role_not_allowed" | "already_voted";

export type VoteResult =
  | { ok: true; approval: Approval; outcome: "recorded" | "approved" | "denied" }
  | { ok: false; reason: VoteRefusal; approval: Approval };

export const isExpired = (a: Approval, now: Date) => a.status === "pending" && Date.parse(a.expiresAt) <= now.getTime();

export function expire(a: Approval, now: Date): Approval {
  return { ...a, status: "expired", decidedAt: now.toISOString() };
}

export function mayApprove(a: Pick<Approval, "approverRoles">, who: Approver): boolean {
  return (a.approverRoles as readonly string[]).includes(who.orgRole) || (who.isTeamLead && a.approverRoles.includes("lead"));
}

export function castVote(a: Approval, who: Approver, vote: "approve" | "deny", reason: string | null, now: Date): VoteResult {
  if (isExpired(a, now)) return { ok: false, reason: "expired", approval: expire(a, now) };
  if (a.status !== "pending") return { ok: false, reason: "not_pending", approval: a };
  // INVARIANT: nobody approves (or denies) their own request.
  if (who.id === a.requesterId || who.id === a.summary.actorId) return { ok: false, reason: "self_approval", approval: a };
  if (!mayApprove(a, who)) return { ok: false, reason: "role_not_allowed", approval: a };
  if (a.votes.some((v) => v.approverId === who.id)) return { ok: false, reason: "already_voted", approval: a };

  const votes = [...a.votes, { approverId: who.id, vote, reason, at: now.toISOString() }];
  const approvals = votes.filter((v) => v.vote === "approve").length;
  const denials = votes.filter((v) => v.vote === "deny").length;
  if (denials > 0 && (a.denyByAny || denials >= a.quorum)) {
    return { ok: true, outcome: "denied", approval: { ...a, votes, status: "denied", decidedAt: now.toISOString() } };
  }
  if (approvals >= a.quorum) {
    const validUntil = new Date(now.getTime() + a.validForMinutes * 60_000).toISOString();
    return { ok: true, outcome: "approved", approval: { ...a, votes, status: "approved", decidedAt: now.toISOString(), validUntil } };
  }
  return { ok: true, outcome: "recorded", approval: { ...a, votes } };
}

/** An approved request covers a re-asked identical action until its validity ends. */
export const coversNow = (a: Approval, now: Date) => a.status === "approved" && a.validUntil !== null && Date.parse(a.validUntil) > now.getTime();
