// insertManyIgnoringConflicts against the real local D1: rows equal what drizzle reads back,
// existing keys are never overwritten, large batches split into statements under the limit.
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { database } from "../../workers/src/db/client";
import { insertManyIgnoringConflicts } from "../../workers/src/db/insert-many";
import { auditEvents } from "../../workers/src/db/schema";
import { unique } from "./helpers";

const event = (orgId: string, seq: number, over: Partial<typeof auditEvents.$inferInsert> = {}): typeof auditEvents.$inferInsert => ({
  orgId,
  seq,
  ts: new Date(Date.UTC(2026, 10, 29, 12, 0, seq)).toISOString(),
  actorId: "usr_1",
  actorKind: "user",
  actorKeyId: null,
  action: "decision.made",
  targetType: "repo",
  targetId: "acme/api",
  outcome: "success",
  requestId: `req_${seq}`,
  ip: null,
  userAgent: 'agent "quoted" \\ ünïcode',
  details: JSON.stringify({ n: seq, nested: { ok: true } }),
  detailsSha256: "a".repeat(64),
  detailsInR2: seq % 2 === 0,
  prevHash: "0".repeat(64),
  hash: `${seq}`.padStart(64, "f"),
  ...over,
});

describe("insertManyIgnoringConflicts", () => {
  it("writes every column as drizzle would, and leaves existing keys untouched", async () => {
    const orgId = unique("org");
    const rows = [1, 2, 3].map((seq) => event(orgId, seq));
    await env.DB.batch(insertManyIgnoringConflicts(env.DB, auditEvents, rows));
    const db = database(env);
    const stored = await db.select().from(auditEvents).where(eq(auditEvents.orgId, orgId)).orderBy(auditEvents.seq);
    expect(stored).toEqual(rows);
    // Again, with other values for the same keys and one new row: only the new row lands.
    await env.DB.batch(insertManyIgnoringConflicts(env.DB, auditEvents, [event(orgId, 2, { action: "changed" }), event(orgId, 4)]));
    const after = await db.select().from(auditEvents).where(eq(auditEvents.orgId, orgId)).orderBy(auditEvents.seq);
    expect(after.map((e) => [e.seq, e.action])).toEqual([[1, "decision.made"], [2, "decision.made"], [3, "decision.made"], [4, "decision.made"]]);
  });

  it("splits large batches into several statements, all of them written", async () => {
    const orgId = unique("org");
    const rows = Array.from({ length: 300 }, (_, i) => event(orgId, i + 1, { details: "x".repeat(4_000) }));
    const statements = insertManyIgnoringConflicts(env.DB, auditEvents, rows);
    expect(statements.length).toBeGreaterThan(1);
    await env.DB.batch(statements);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM audit_events WHERE org_id = ?").bind(orgId).first<{ n: number }>();
    expect(n?.n).toBe(300);
  });

  it("refuses a row without a required column instead of writing a null", () => {
    const { hash: _hash, ...missing } = event("org_x", 1);
    expect(() => insertManyIgnoringConflicts(env.DB, auditEvents, [missing as typeof auditEvents.$inferInsert])).toThrow(/audit_events\.hash is required/);
  });
});
