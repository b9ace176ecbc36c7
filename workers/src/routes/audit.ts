// The evidence log: query (GET /v1/audit), prove it untouched (GET /v1/audit/verify) and
// take it away (GET /v1/audit/export, streamed JSONL). Each first asks the org's AuditChain
// to flush, so every event acknowledged before the call is included.
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { authorize } from "../http/authorize";
import { database } from "../db/client";
import { eventsAfter, newestEvents, type AuditFilter } from "../db/audit-events";
import type { AuditEventRow } from "../db/schema";
import { ChainVerifier, sha256Hex, type ChainBreak } from "../domain/audit/chain";
import { fail } from "../domain/errors";
import { auditPayloadKey, flushAuditLog } from "../audit/record";
import { defineRoute, json, Timestamp } from "./common";

const FilterQuery = z.object({
  actor: z.string().max(100).optional().openapi({ param: { name: "actor", in: "query" }, description: "principal id" }),
  action: z.string().regex(/^[a-z_.]+\*?$/, "an action like team.created, or a prefix like team.*").max(100).optional()
    .openapi({ param: { name: "action", in: "query" } }),
  target: z.string().max(100).optional().openapi({ param: { name: "target", in: "query" }, description: "target id" }),
  from: z.iso.datetime({ offset: true }).optional().openapi({ param: { name: "from", in: "query" } }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ param: { name: "to", in: "query" } }),
});

const ListQuery = FilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(500).default(100).openapi({ param: { name: "limit", in: "query" } }),
  cursor: z.string().regex(/^\d{1,15}$/, "a cursor this list issued").optional().openapi({ param: { name: "cursor", in: "query" } }),
});

const AuditEventView = z
  .object({
    seq: z.number().int(),
    ts: Timestamp,
    actor: z.object({ id: z.string(), kind: z.string(), key_id: z.string().nullable() }),
    action: z.string(),
    target: z.object({ type: z.string(), id: z.string() }),
    outcome: z.enum(["success", "failure"]),
    request_id: z.string(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    details: z.unknown().openapi({ description: "null when the payload is in R2 (details_in_r2)" }),
    details_sha256: z.string(),
    details_in_r2: z.boolean(),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .openapi("AuditEvent");

const eventView = (e: AuditEventRow): z.infer<typeof AuditEventView> => ({
  seq: e.seq,
  ts: e.ts,
  actor: { id: e.actorId, kind: e.actorKind, key_id: e.actorKeyId },
  action: e.action,
  target: { type: e.targetType, id: e.targetId },
  outcome: e.outcome,
  request_id: e.requestId,
  ip: e.ip,
  user_agent: e.userAgent,
  details: e.details === null ? null : safeParse(e.details),
  details_sha256: e.detailsSha256,
  details_in_r2: e.detailsInR2,
  prev_hash: e.prevHash,
  hash: e.hash,
});

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // a tampered row still shows what is stored; verify names it
  }
}

const VerifyResult = z
  .object({
    ok: z.boolean(),
    events_checked: z.number().int(),
    head: z.object({ seq: z.number().int(), hash: z.string() }),
    first_broken_seq: z.number().int().nullable(),
    reason: z.enum(["gap", "prev_hash_mismatch", "hash_mismatch", "details_mismatch", "missing_events", "head_mismatch"]).nullable(),
  })
  .openapi("AuditVerifyResult");

const listRoute = defineRoute({
  method: "get",
  path: "/audit",
  tags: ["audit"],
  summary: "Query the org's audit events, newest first",
  access: "audit:read",
  request: { query: ListQuery },
  responses: { 200: json(z.object({ data: z.array(AuditEventView), next_cursor: z.string().nullable() }).openapi("AuditEventList"), "A page of events") },
});

const verifyRoute = defineRoute({
  method: "get",
  path: "/audit/verify",
  tags: ["audit"],
  summary: "Recompute the hash chain; report the first broken seq, or OK with the head hash",
  access: "audit:read",
  responses: { 200: json(VerifyResult, "The verification result") },
});

const exportRoute = defineRoute({
  method: "get",
  path: "/audit/export",
  tags: ["audit"],
  summary: "Export events oldest first as streamed JSON Lines",
  access: "audit:read",
  request: { query: FilterQuery },
  responses: { 200: { description: "One AuditEvent per line", content: { "application/x-ndjson": { schema: AuditEventView } } } },
});

const VERIFY_PAGE = 500;

function checkRange(f: AuditFilter): void {
  if (f.from && f.to && Date.parse(f.from) > Date.parse(f.to)) {
    fail({ kind: "validation", detail: "Invalid query.from.", issues: [{ path: "query.from", message: "must not be after `to`", code: "invalid_range" }] });
  }
}

/** Normalise time filters to the stored form (UTC ISO with ms) so string comparison is exact. */
const normaliseRange = (f: AuditFilter): AuditFilter => ({
  ...f,
  from: f.from ? new Date(f.from).toISOString() : undefined,
  to: f.to ? new Date(f.to).toISOString() : undefined,
});

export const auditRoutes = newRouter()
  .openapi(listRoute, async (c) => {
    authorize(c, "audit:read");
    const q = c.req.valid("query");
    checkRange(q);
    const orgId = c.var.principal.orgId;
    await flushAuditLog(c.env, orgId);
    const rows = await newestEvents(database(c.env), orgId, normaliseRange(q), q.cursor ? Number(q.cursor) : undefined, q.limit + 1);
    const pageRows = rows.slice(0, q.limit);
    const next = rows.length > q.limit ? String(pageRows[pageRows.length - 1]!.seq) : null;
    return c.json({ data: pageRows.map(eventView), next_cursor: next }, 200);
  })
  .openapi(verifyRoute, async (c) => {
    authorize(c, "audit:read");
    const orgId = c.var.principal.orgId;
    const head = await flushAuditLog(c.env, orgId);
    const db = database(c.env);
    const verifier = new ChainVerifier();
    let checked = 0;
    const broken = (seq: number, reason: ChainBreak | "missing_events" | "head_mismatch") =>
      c.json({ ok: false, events_checked: checked, head: verifier.current, first_broken_seq: seq, reason }, 200);
    for (;;) {
      const rows = await eventsAfter(db, orgId, {}, verifier.current.seq, VERIFY_PAGE);
      for (const row of rows) {
        const result = verifier.check(row);
        if (!result.ok) return broken(result.seq, result.reason);
        if (row.detailsInR2) {
          const obj = await c.env.ARTIFACTS.get(auditPayloadKey(row.detailsSha256));
          if (!obj || sha256Hex(await obj.text()) !== row.detailsSha256) return broken(row.seq, "details_mismatch");
        }
        checked++;
      }
      if (rows.length < VERIFY_PAGE) break;
    }
    // D1 must reach the head the chain's single writer holds: a deleted tail is a break too.
    const reached = verifier.current;
    if (reached.seq < head.seq) return broken(reached.seq + 1, "missing_events");
    if (reached.hash !== head.hash) return broken(reached.seq, "head_mismatch");
    return c.json({ ok: true, events_checked: checked, head: reached, first_broken_seq: null, reason: null }, 200);
  })
  .openapi(exportRoute, async (c) => {
    authorize(c, "audit:read");
    const q = c.req.valid("query");
    checkRange(q);
    const orgId = c.var.principal.orgId;
    await flushAuditLog(c.env, orgId);
    const db = database(c.env);
    const filter = normaliseRange(q);
    let after = 0;
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const rows = await eventsAfter(db, orgId, filter, after, VERIFY_PAGE);
        if (rows.length === 0) return controller.close();
        after = rows[rows.length - 1]!.seq;
        controller.enqueue(encoder.encode(rows.map((r) => JSON.stringify(eventView(r))).join("\n") + "\n"));
      },
    });
    return new Response(body, {
      status: 200,
      headers: { "content-type": "application/x-ndjson", "content-disposition": `attachment; filename="${orgId}-audit.jsonl"` },
    }) as never;
  });
