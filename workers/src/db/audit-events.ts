// Reading the evidence log from D1: filtered pages (newest first) for GET /v1/audit, and
// ascending runs for verification and export.
import { and, asc, desc, eq, gt, gte, lt, lte } from "drizzle-orm";
import type { Db } from "./client";
import { auditEvents, type AuditEventRow } from "./schema";

export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  from?: string;
  to?: string;
}

/**
 * "team.*" → team.created, team.renamed, …: a range on the (org_id, action, seq) index.
 * Actions are [a-z_.] only, so "~" (after "z") closes the range; no LIKE, nothing to escape.
 */
const actionPrefix = (prefix: string) => and(gte(auditEvents.action, prefix), lt(auditEvents.action, `${prefix}~`));

export function filterClause(orgId: string, f: AuditFilter) {
  return and(
    eq(auditEvents.orgId, orgId),
    f.actor ? eq(auditEvents.actorId, f.actor) : undefined,
    f.action ? (f.action.endsWith("*") ? actionPrefix(f.action.slice(0, -1)) : eq(auditEvents.action, f.action)) : undefined,
    f.target ? eq(auditEvents.targetId, f.target) : undefined,
    f.from ? gte(auditEvents.ts, f.from) : undefined,
    f.to ? lte(auditEvents.ts, f.to) : undefined,
  );
}

export function newestEvents(db: Db, orgId: string, f: AuditFilter, beforeSeq: number | undefined, limit: number): Promise<AuditEventRow[]> {
  return db
    .select()
    .from(auditEvents)
    .where(and(filterClause(orgId, f), beforeSeq !== undefined ? lt(auditEvents.seq, beforeSeq) : undefined))
    .orderBy(desc(auditEvents.seq))
    .limit(limit);
}

export function eventsAfter(db: Db, orgId: string, f: AuditFilter, afterSeq: number, limit: number): Promise<AuditEventRow[]> {
  return db
    .select()
    .from(auditEvents)
    .where(and(filterClause(orgId, f), gt(auditEvents.seq, afterSeq)))
    .orderBy(asc(auditEvents.seq))
    .limit(limit);
}
