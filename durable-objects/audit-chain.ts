// AuditChain: one Durable Object per org, the single writer of that org's evidence hash
// chain. append() seals events onto the head inside one storage transaction, so concurrent
// requests can never fork or skip a seq; appends that arrive together share one commit. The
// sealed events wait in this object's own SQLite outbox (durable before append() returns)
// and an alarm flushes them to D1 in batches.
import { DurableObject } from "cloudflare:workers";
import { insertManyIgnoringConflicts } from "../workers/src/db/insert-many";
import { auditEvents } from "../workers/src/db/schema";
import { sealEvent, GENESIS_HASH, type AuditDraft, type AuditEvent, type ChainHead } from "../workers/src/domain/audit/chain";
import type { Env } from "../workers/src/env";
import { GroupCommit } from "./group-commit";

/**
 * Wait this long after the first unflushed event so appends share one D1 statement. Every
 * reader of the log flushes first (the audit routes, evidence, replay), so nobody reads
 * behind; a longer wait only means fewer, larger flushes (under gateway load ~20x fewer
 * alarms than at 25 ms, which all run on the same thread as the calls locally).
 */
const FLUSH_DELAY_MS = 500;
/** Events per D1 batch; keeps one batch well inside D1's per-call limits. */
const FLUSH_BATCH = 100;

export class AuditChain extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Appends from requests that arrive together share one storage commit. */
  private readonly writes: GroupCommit;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.writes = new GroupCommit(ctx.storage);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS chain_head (
      id INTEGER PRIMARY KEY CHECK (id = 1), org_id TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, event TEXT NOT NULL)`);
  }

  /** Seals drafts onto the chain in order. Returns once they are durable in this object. */
  async append(orgId: string, drafts: AuditDraft[]): Promise<AuditEvent[]> {
    const sealed = await this.writes.run(() => {
      let head = this.readHead(orgId);
      const now = new Date();
      const events = drafts.map((draft) => {
        const event = sealEvent(orgId, head, draft, now);
        this.sql.exec("INSERT INTO outbox (seq, event) VALUES (?, ?)", event.seq, JSON.stringify(event));
        head = { seq: event.seq, hash: event.hash };
        return event;
      });
      // The head moves once per append (same transaction as the events): a batch of gathered
      // decisions is one statement here, not one per event.
      if (events.length > 0) {
        this.sql.exec(
          `INSERT INTO chain_head (id, org_id, seq, hash) VALUES (1, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
          orgId,
          head.seq,
          head.hash,
        );
      }
      return events;
    });
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + FLUSH_DELAY_MS);
    }
    return sealed;
  }

  private readHead(orgId: string): ChainHead {
    const row = this.sql
      .exec<{ org_id: string; seq: number; hash: string }>("SELECT org_id, seq, hash FROM chain_head WHERE id = 1")
      .toArray()[0];
    if (!row) return { seq: 0, hash: GENESIS_HASH };
    // INVARIANT: one object, one org. A mismatch means a routing bug; refuse to mix chains.
    if (row.org_id !== orgId) throw new Error(`audit chain of ${row.org_id} asked to append for ${orgId}`);
    return { seq: row.seq, hash: row.hash };
  }

  /** The chain head as this object knows it (the truth D1 is checked against). */
  head(): ChainHead {
    const row = this.sql.exec<{ seq: number; hash: string }>("SELECT seq, hash FROM chain_head WHERE id = 1").toArray()[0];
    return row ? { seq: row.seq, hash: row.hash } : { seq: 0, hash: GENESIS_HASH };
  }

  /** Writes every waiting event to D1; callers that read D1 next see all acknowledged events. */
  async flush(): Promise<ChainHead> {
    for (;;) {
      const rows = this.sql
        .exec<{ seq: number; event: string }>("SELECT seq, event FROM outbox ORDER BY seq LIMIT ?", FLUSH_BATCH)
        .toArray();
      if (rows.length === 0) break;
      const events = rows.map((r) => JSON.parse(r.event) as AuditEvent);
      // Conflicts ignored: a flush retried after a partial failure, or racing the alarm,
      // must not fail on rows already written, and must never overwrite a stored row.
      await this.env.DB.batch(insertManyIgnoringConflicts(this.env.DB, auditEvents, events));
      const last = rows[rows.length - 1]!.seq;
      this.sql.exec("DELETE FROM outbox WHERE seq <= ?", last);
    }
    return this.head();
  }

  override async alarm(): Promise<void> {
    // A throw here makes the runtime retry the alarm with backoff, so events wait in the
    // outbox until D1 takes them: an acknowledged event is never dropped.
    await this.flush();
  }

  /** Events not yet in D1 (for tests and operators). */
  pendingCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
  }
}

