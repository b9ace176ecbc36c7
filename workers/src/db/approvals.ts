// The D1 projection of approvals (the ApprovalDesk holds the truth): written on every
// change, read to list what waits for whom.
import { and, desc, eq, type SQL } from "drizzle-orm";
import type { Db } from "./client";
import { approvals } from "./schema";
import type { Approval, ApprovalStatus } from "../domain/approvals/approval";

export async function projectApproval(db: Db, a: Approval): Promise<void> {
  const row = {
    id: a.id,
    orgId: a.orgId,
    teamId: a.teamId,
    status: a.status,
    requestHash: a.requestHash,
    requesterId: a.requesterId,
    decisionId: a.decisionId,
    summary: a.summary,
    reason: a.reason,
    ticketUrl: a.ticketUrl,
    quorum: a.quorum,
    approverRoles: a.approverRoles,
    votes: a.votes,
    createdAt: a.createdAt,
    expiresAt: a.expiresAt,
    decidedAt: a.decidedAt,
    validUntil: a.validUntil,
  };
  await db.insert(approvals).values(row).onConflictDoUpdate({ target: approvals.id, set: row });
}

export function listApprovals(db: Db, orgId: string, status: ApprovalStatus | undefined, limit: number) {
  const where: (SQL | undefined)[] = [eq(approvals.orgId, orgId), status ? eq(approvals.status, status) : undefined];
  return db.select().from(approvals).where(and(...where)).orderBy(desc(approvals.createdAt)).limit(limit);
}

export async function findApprovalRow(db: Db, orgId: string, id: string) {
  return (await db.select().from(approvals).where(and(eq(approvals.id, id), eq(approvals.orgId, orgId))))[0] ?? null;
}
