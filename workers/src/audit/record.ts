// Appends audit events for a request: fills actor, request id, ip and user agent from the
// request, strips secrets from the details, moves large details to R2 under their SHA-256,
// and hands the drafts to the org's AuditChain. Routes call this after their write succeeds.
import type { Context } from "hono";
import type { AppEnv } from "../http/app-env";
import { clientIp } from "../http/client-ip";
import type { Env } from "../env";
import { canonicalJson, sha256Hex, utf8ByteLength, type AuditDraft, type AuditEvent, type AuditOutcome, type ChainHead } from "../domain/audit/chain";
import { redactSecrets } from "../domain/audit/redact";
import { credentialKeyId } from "../auth/principal";

/** Details larger than this (bytes of canonical JSON) are stored in R2, not in the row. */
export const INLINE_DETAILS_LIMIT = 4096;

export interface AuditActor {
  id: string;
  kind: string;
  keyId: string | null;
}

export interface AuditRecord {
  action: string;
  target: { type: string; id: string };
  details?: Record<string, unknown>;
  outcome?: AuditOutcome;
}

export const auditChain = (env: Env, orgId: string) => env.AUDIT_CHAIN.getByName(orgId);

/**
 * Before reading the org's log from D1: the gateway decisions the DecisionDesk is still
 * gathering join the chain, and the chain's outbox reaches D1. Returns the chain's head.
 */
export async function flushAuditLog(env: Env, orgId: string): Promise<ChainHead> {
  await env.DECISION_DESK.getByName(orgId).drainAudit(orgId);
  return auditChain(env, orgId).flush();
}

export const auditPayloadKey = (sha256: string) => `audit-payloads/${sha256}.json`;

/** Where a request came from, as the evidence log records it. */
export function requestEvidence(c: Context<AppEnv>): Evidence {
  return {
    requestId: c.var.requestId,
    ip: clientIp(c),
    userAgent: c.req.header("user-agent")?.slice(0, 512) ?? null,
  };
}

export function requestActor(c: Context<AppEnv>): AuditActor {
  const p = c.var.principal;
  return { id: p.id, kind: p.kind, keyId: credentialKeyId(p.credential) };
}

export interface Evidence {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

/**
 * An audit draft ready for the chain: details redacted and canonicalised, and moved to R2
 * under their SHA-256 when large. Used by routes (recordAudit) and by Durable Objects that
 * record on their own (DecisionDesk, ApprovalDesk).
 */
export async function auditDraft(
  artifacts: R2Bucket,
  actor: AuditActor,
  record: AuditRecord,
  evidence: Evidence,
): Promise<AuditDraft> {
  const details = canonicalJson(redactSecrets(record.details ?? {}));
  const detailsSha256 = sha256Hex(details);
  const inR2 = utf8ByteLength(details) > INLINE_DETAILS_LIMIT;
  if (inR2) {
    await artifacts.put(auditPayloadKey(detailsSha256), details, { httpMetadata: { contentType: "application/json" }, sha256: detailsSha256 });
  }
  return {
    actorId: actor.id,
    actorKind: actor.kind,
    actorKeyId: actor.keyId,
    action: record.action,
    targetType: record.target.type,
    targetId: record.target.id,
    outcome: record.outcome ?? "success",
    ...evidence,
    details: inR2 ? null : details,
    detailsSha256,
    detailsInR2: inR2,
  };
}

export async function recordAudit(
  c: Context<AppEnv>,
  orgId: string,
  records: AuditRecord[],
  actor: AuditActor = requestActor(c),
): Promise<AuditEvent[]> {
  const evidence = requestEvidence(c);
  const drafts = await Promise.all(records.map((r) => auditDraft(c.env.ARTIFACTS, actor, r, evidence)));
  return auditChain(c.env, orgId).append(orgId, drafts);
}
