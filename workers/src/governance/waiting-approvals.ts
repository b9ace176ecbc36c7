// What waits for a principal: pending, unexpired requests it did not make, has not voted
// on, and may approve. Shared by GET /v1/approvals and /sysop approvals.
import type { Db } from "../db/client";
import { listApprovals } from "../db/approvals";
import type { ApprovalRow } from "../db/schema";
import { mayApprove } from "../domain/approvals/approval";

export interface Voter {
  id: string;
  orgRole: string;
  teamRoles: Readonly<Record<string, string>>;
}

export const voterFor = (v: Voter, teamId: string | null) => ({ id: v.id, orgRole: v.orgRole, isTeamLead: teamId !== null && v.teamRoles[teamId] === "lead" });

export function waitsFor(r: ApprovalRow, v: Voter, now: number): boolean {
  const untouched = r.requesterId !== v.id && r.summary.actorId !== v.id && !r.votes.some((x) => x.approverId === v.id);
  return r.status === "pending" && Date.parse(r.expiresAt) > now && untouched && mayApprove(r, voterFor(v, r.teamId));
}

export async function waitingApprovals(db: Db, orgId: string, v: Voter, limit: number): Promise<ApprovalRow[]> {
  const now = Date.now();
  return (await listApprovals(db, orgId, "pending", 500)).filter((r) => waitsFor(r, v, now)).slice(0, limit);
}
