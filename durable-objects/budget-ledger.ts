// BudgetLedger: one Durable Object per team (and one per org for the org-wide ceiling)
// holding that budget's counters and reservations. reserve() checks and holds inside one
// storage transaction (reserves and settles that arrive together share one commit: see
// group-commit.ts), so under any concurrency the sum held never passes a limit; the
// same idempotency key never reserves twice; settle() turns a hold into spend and queues a
// usage row (an outbox flushed to D1 by alarm, like the audit chain); expired holds release
// themselves. Periods roll over at their boundary: counters are kept per window, so a new
// period starts at zero and the old ones stay as history.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../workers/src/env";
import { insertManyIgnoringConflicts } from "../workers/src/db/insert-many";
import { usageRecords, type UsageRecordRow } from "../workers/src/db/schema";
import { periodWindow, type PeriodWindow } from "../workers/src/domain/budget/period";
import { ZERO, crossesSoftLimit, fits, hold, remaining, spend, unhold, withIncreases, type BudgetLimits, type Counter } from "../workers/src/domain/budget/ledger";
import { newId } from "../workers/src/domain/identity/ids";
import type { LedgerConfig, LedgerStatus, Reservation, ReserveRequest, ReserveResult, SettleResult, TemporaryIncrease, UsageDetails } from "./budget-ledger-types";
import { GroupCommit } from "./group-commit";
import { LedgerCounters } from "./ledger-counters";

/** With no budget set, spend is still tracked, per calendar month. */
const UNBUDGETED: LedgerConfig = {
  period: "monthly",
  limitMicros: null,
  softLimitMicros: null,
  limitTokens: null,
  perUserMicros: null,
  perRepoMicros: null,
  perAgentMicros: null,
};
/**
 * Usage rows wait this long in the outbox so a busy team's rows reach D1 in one statement:
 * showback (GET /v1/usage) is at most about half a second behind the ledger, which is
 * always current (its spend counts the moment a reservation settles).
 */
const FLUSH_DELAY_MS = 500;
const FLUSH_BATCH = 100;

type Row = Record<string, SqlStorageValue>;

export class BudgetLedger extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Reserves, settles and releases that arrive together share one storage commit. */
  private readonly writes: GroupCommit;
  private readonly counters: LedgerCounters;
  /** Tests move this ledger's clock (runInDurableObject); nothing else touches it. */
  clockOffsetMs = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.counters = new LedgerCounters(this.sql);
    this.writes = new GroupCommit(ctx.storage, () => this.forgetCopies());
    this.sql.exec(`CREATE TABLE IF NOT EXISTS config (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL, effective_from INTEGER NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS counters (
      window_start INTEGER NOT NULL, scope TEXT NOT NULL, spent_micros INTEGER NOT NULL, held_micros INTEGER NOT NULL,
      spent_tokens INTEGER NOT NULL, held_tokens INTEGER NOT NULL, PRIMARY KEY (window_start, scope))`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS reservations (
      id TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE, status TEXT NOT NULL, micros INTEGER NOT NULL, tokens INTEGER NOT NULL,
      user TEXT, repo TEXT, agent TEXT, window_start INTEGER NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
      settled_micros INTEGER, settled_tokens INTEGER)`);
    this.sql.exec(`CREATE INDEX IF NOT EXISTS reservations_held ON reservations(status, expires_at)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS usage_outbox (id TEXT PRIMARY KEY, row TEXT NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS soft_alerts (window_start INTEGER PRIMARY KEY, at INTEGER NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS increases (
      approval_id TEXT PRIMARY KEY, window_start INTEGER NOT NULL, add_micros INTEGER NOT NULL, add_tokens INTEGER NOT NULL, granted_at INTEGER NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS periods (window_start INTEGER PRIMARY KEY, window_end INTEGER NOT NULL, spent_micros INTEGER NOT NULL, spent_tokens INTEGER NOT NULL, closed_at INTEGER)`);
  }

  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  // ---- configuration ----

  /** Sets (or clears) the budget. Spend before a budget first exists does not count against it. */
  async configure(config: LedgerConfig | null): Promise<LedgerStatus> {
    const now = this.now();
    this.configCache = undefined;
    this.atomically(() => {
      if (config === null) {
        this.sql.exec("DELETE FROM config");
        return;
      }
      const existing = this.readConfig();
      // The window restarts only when the budget is new or its period changes; a new limit
      // for the same period applies to what was already spent.
      const samePeriod = existing && existing.config.period === config.period && existing.config.customDays === config.customDays && existing.config.anchor === config.anchor;
      const effectiveFrom = samePeriod ? existing.effectiveFrom : now;
      this.sql.exec(
        "INSERT INTO config (id, json, effective_from) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json, effective_from = excluded.effective_from",
        JSON.stringify(config),
        effectiveFrom,
      );
    });
    this.configCache = undefined;
    await this.schedule();
    return this.status();
  }

  status(): LedgerStatus {
    const now = this.now();
    const stored = this.readConfig();
    const config = stored?.config ?? UNBUDGETED;
    const window = this.window(now);
    const team = this.counters.get(window.start, "team");
    return { config: stored?.config ?? null, window, team, remaining: remaining(this.limitsFor(config, window.start), team), increases: this.increasesFor(window.start) };
  }

  /**
   * An approved temporary increase: the limits rise by it until the current period ends.
   * Granted once per approval (a retried grant answers the first).
   */
  async grantIncrease(approvalId: string, add: { micros: number; tokens: number }): Promise<LedgerStatus> {
    const now = this.now();
    this.sql.exec(
      "INSERT INTO increases (approval_id, window_start, add_micros, add_tokens, granted_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (approval_id) DO NOTHING",
      approvalId,
      this.window(now).start,
      add.micros,
      add.tokens,
      now,
    );
    this.increasesAdded.clear();
    return this.status();
  }

  // ---- reservations ----

  async reserve(req: ReserveRequest): Promise<ReserveResult> {
    const now = this.now();
    const result = await this.writes.run((): ReserveResult => {
      this.expireDue(now);
      // The same key answers its first hold, whether or not it would fit now. Looked up only
      // when this one does not fit or its insert meets the key: one statement fewer per hold.
      const replay = (): ReserveResult | null => {
        const existing = this.sql.exec<Row>("SELECT * FROM reservations WHERE idempotency_key = ?", req.idempotencyKey).toArray()[0];
        return existing ? { ok: true, reservation: toReservation(existing), replayed: true, softLimitCrossed: false } : null;
      };
      const config = this.readConfig()?.config ?? UNBUDGETED;
      const window = this.window(now);
      const team = this.counters.get(window.start, "team");
      const dims = {
        user: req.user ? this.counters.get(window.start, `user:${req.user}`) : ZERO,
        repo: req.repo ? this.counters.get(window.start, `repo:${req.repo}`) : ZERO,
        agent: req.agent ? this.counters.get(window.start, `agent:${req.agent}`) : ZERO,
      };
      const fit = fits(this.limitsFor(config, window.start), team, dims, { micros: req.micros, tokens: req.tokens, user: req.user, repo: req.repo, agent: req.agent });
      if (!fit.ok) return replay() ?? { ...fit, resetsAt: window.end };
      const reservation: Reservation = {
        id: newId("rsv"),
        idempotencyKey: req.idempotencyKey,
        status: "held",
        micros: req.micros,
        tokens: req.tokens,
        user: req.user,
        repo: req.repo,
        agent: req.agent,
        windowStart: window.start,
        createdAt: now,
        expiresAt: now + req.ttlSeconds * 1000,
        settledMicros: null,
        settledTokens: null,
      };
      const inserted = this.sql.exec(
        `INSERT INTO reservations (id, idempotency_key, status, micros, tokens, user, repo, agent, window_start, created_at, expires_at)
         VALUES (?, ?, 'held', ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING`,
        reservation.id, reservation.idempotencyKey, reservation.micros, reservation.tokens, reservation.user, reservation.repo, reservation.agent,
        reservation.windowStart, reservation.createdAt, reservation.expiresAt,
      );
      if (inserted.rowsWritten === 0) return replay()!;
      const after = hold(team, req.micros, req.tokens);
      this.apply(reservation, (c) => hold(c, req.micros, req.tokens));
      if (this.earliestHeldExpiry !== undefined) this.earliestHeldExpiry = Math.min(this.earliestHeldExpiry ?? Infinity, reservation.expiresAt);
      return { ok: true, reservation, replayed: false, softLimitCrossed: this.softAlertOnce(config, window.start, team, after, now) };
    });
    if (result.ok && !result.replayed) await this.alarmBy(result.reservation.expiresAt);
    return result;
  }

  /**
   * The org-wide ceiling's side of a reserve. With no ceiling set there is nothing to hold
   * against (spend from before a budget exists never counts against it), so nothing is
   * written: in an org without a ceiling a model call costs this ledger no storage write.
   * The settle, release or undo that follows finds no hold by the key and does nothing.
   */
  async reserveUnderCeiling(req: ReserveRequest): Promise<ReserveResult | { ok: true; noCeiling: true }> {
    if (this.readConfig() === null) return { ok: true, noCeiling: true };
    return this.reserve(req);
  }

  /** The org-wide ceiling's side of a settle: found by the team reservation's key; no usage row. */
  async settleByKey(idempotencyKey: string, actual: { micros: number; tokens: number }): Promise<SettleResult> {
    const id = this.sql.exec<{ id: string }>("SELECT id FROM reservations WHERE idempotency_key = ?", idempotencyKey).toArray()[0]?.id;
    return id ? this.settle(id, actual, null) : { ok: false, reason: "not_found" };
  }

  /**
   * Takes back a hold that was one half of a pair whose other half was refused (the org's
   * ceiling and the team's budget): the row goes too, so a retry with the same key is asked
   * afresh instead of replaying a hold that no longer counts.
   */
  async undoByKey(idempotencyKey: string): Promise<void> {
    this.atomically(() => {
      const row = this.sql.exec<Row>("SELECT * FROM reservations WHERE idempotency_key = ?", idempotencyKey).toArray()[0];
      if (!row) return;
      const r = toReservation(row);
      if (r.status !== "held") return;
      this.apply(r, (c) => unhold(c, r.micros, r.tokens));
      this.sql.exec("DELETE FROM reservations WHERE id = ?", r.id);
    });
  }

  async releaseByKey(idempotencyKey: string): Promise<void> {
    const id = this.sql.exec<{ id: string }>("SELECT id FROM reservations WHERE idempotency_key = ?", idempotencyKey).toArray()[0]?.id;
    if (id) await this.release(id);
  }

  async settle(reservationId: string, actual: { micros: number; tokens: number }, usage: UsageDetails | null): Promise<SettleResult> {
    const now = this.now();
    const result = await this.writes.run((): SettleResult => {
      // Settles a held reservation and reads it in one statement; anything else is looked up.
      const row = this.sql
        .exec<Row>("UPDATE reservations SET status = 'settled', settled_micros = ?, settled_tokens = ? WHERE id = ? AND status = 'held' RETURNING *", actual.micros, actual.tokens, reservationId)
        .toArray()[0];
      if (!row) {
        const found = this.sql.exec<Row>("SELECT * FROM reservations WHERE id = ?", reservationId).toArray()[0];
        if (!found) return { ok: false, reason: "not_found" };
        const r = toReservation(found);
        // INVARIANT: a reservation settles once; a repeated settle answers the first result.
        if (r.status === "settled") return { ok: true, reservation: r, softLimitCrossed: false };
        return { ok: false, reason: r.status as Exclude<Reservation["status"], "held" | "settled"> };
      }
      const r = toReservation(row);
      const config = this.readConfig()?.config ?? UNBUDGETED;
      const before = this.counters.get(r.windowStart, "team");
      this.apply(r, (c) => spend(unhold(c, r.micros, r.tokens), actual.micros, actual.tokens));
      const after = this.counters.get(r.windowStart, "team");
      if (usage === null) {
        return { ok: true, reservation: { ...r, status: "settled", settledMicros: actual.micros, settledTokens: actual.tokens }, softLimitCrossed: this.softAlertOnce(config, r.windowStart, before, after, now) };
      }
      const record: UsageRecordRow = {
        id: r.id,
        orgId: usage.orgId,
        teamId: usage.teamId,
        userId: r.user,
        agentId: r.agent,
        repo: r.repo,
        taskId: usage.taskId,
        model: usage.model,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cacheReadTokens: usage.cacheReadTokens,
        cacheWriteTokens: usage.cacheWriteTokens,
        tokens: actual.tokens,
        costMicros: actual.micros,
        createdAt: new Date(now).toISOString(),
      };
      this.sql.exec("INSERT INTO usage_outbox (id, row) VALUES (?, ?)", r.id, JSON.stringify(record));
      return { ok: true, reservation: { ...r, status: "settled", settledMicros: actual.micros, settledTokens: actual.tokens }, softLimitCrossed: this.softAlertOnce(config, r.windowStart, before, after, now) };
    });
    // A usage row waits in the outbox: the alarm flushes it soon.
    if (usage !== null && result.ok) await this.alarmBy(now + FLUSH_DELAY_MS);
    return result;
  }

  async release(reservationId: string): Promise<{ ok: true; reservation: Reservation } | { ok: false; reason: "not_found" | "settled" }> {
    return this.writes.run(() => {
      const row = this.sql.exec<Row>("SELECT * FROM reservations WHERE id = ?", reservationId).toArray()[0];
      if (!row) return { ok: false as const, reason: "not_found" as const };
      const r = toReservation(row);
      if (r.status === "settled") return { ok: false as const, reason: "settled" as const };
      if (r.status === "held") this.drop(r, "released");
      return { ok: true as const, reservation: { ...r, status: r.status === "held" ? "released" : r.status } };
    });
  }

  /** Closed periods, newest first: what each spent. */
  history(limit = 12): { start: number; end: number; spentMicros: number; spentTokens: number }[] {
    return this.sql
      .exec<{ window_start: number; window_end: number; spent_micros: number; spent_tokens: number }>(
        "SELECT window_start, window_end, spent_micros, spent_tokens FROM periods ORDER BY window_start DESC LIMIT ?",
        limit,
      )
      .toArray()
      .map((r) => ({ start: r.window_start, end: r.window_end, spentMicros: r.spent_micros, spentTokens: r.spent_tokens }));
  }

  getReservation(id: string): Reservation | null {
    const row = this.sql.exec<Row>("SELECT * FROM reservations WHERE id = ?", id).toArray()[0];
    return row ? toReservation(row) : null;
  }

  /** Usage rows waiting for D1 (tests and operators). */
  pendingUsage(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM usage_outbox").one().n;
  }

  /** Writes every queued usage row to D1 (idempotent by reservation id). */
  async flush(): Promise<void> {
    for (;;) {
      const rows = this.sql.exec<{ id: string; row: string }>("SELECT id, row FROM usage_outbox LIMIT ?", FLUSH_BATCH).toArray();
      if (rows.length === 0) return;
      await this.env.DB.batch(insertManyIgnoringConflicts(this.env.DB, usageRecords, rows.map((r) => JSON.parse(r.row) as UsageRecordRow)));
      // One statement for the batch: each exec is a cursor object for the isolate's GC.
      this.sql.exec("DELETE FROM usage_outbox WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(rows.map((r) => r.id)));
    }
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null; // this one has fired
    const now = this.now();
    this.atomically(() => {
      this.expireDue(now);
      this.closePeriods(now);
    });
    await this.flush();
    await this.schedule();
  }

  // ---- internals ----

  private increasesFor(windowStart: number): TemporaryIncrease[] {
    return this.sql
      .exec<{ approval_id: string; add_micros: number; add_tokens: number; granted_at: number }>(
        "SELECT approval_id, add_micros, add_tokens, granted_at FROM increases WHERE window_start = ? ORDER BY granted_at",
        windowStart,
      )
      .toArray()
      .map((r) => ({ approvalId: r.approval_id, addMicros: r.add_micros, addTokens: r.add_tokens, windowStart, grantedAt: r.granted_at }));
  }

  /** Approved increases per window, summed: read once, cleared when one is granted. */
  private readonly increasesAdded = new Map<number, { micros: number; tokens: number }>();

  private limitsFor(config: LedgerConfig, windowStart: number) {
    let added = this.increasesAdded.get(windowStart);
    if (!added) {
      added = this.sql
        .exec<{ micros: number; tokens: number }>("SELECT coalesce(sum(add_micros), 0) AS micros, coalesce(sum(add_tokens), 0) AS tokens FROM increases WHERE window_start = ?", windowStart)
        .one();
      this.increasesAdded.set(windowStart, added);
    }
    return withIncreases(config, added);
  }

  /**
   * The earliest expiry among held reservations, or null with none held; undefined when not
   * known. Never later than the truth (settles and releases leave it), so a reserve before
   * it can skip looking for expired holds.
   */
  private earliestHeldExpiry: number | null | undefined = undefined;

  /** Copies in memory that a rolled-back write may have run ahead of. */
  private forgetCopies(): void {
    this.counters.forget();
    this.increasesAdded.clear();
    this.earliestHeldExpiry = undefined;
  }

  /** One transaction; a rollback also drops the copies in memory. */
  private atomically<T>(work: () => T): T {
    try {
      return this.ctx.storage.transactionSync(work);
    } catch (err) {
      this.forgetCopies();
      throw err;
    }
  }

  /** This object is the config's only writer, so a copy in memory stays true until configure(). */
  private configCache: { config: LedgerConfig; effectiveFrom: number } | null | undefined = undefined;

  private readConfig(): { config: LedgerConfig; effectiveFrom: number } | null {
    if (this.configCache !== undefined) return this.configCache;
    const row = this.sql.exec<{ json: string; effective_from: number }>("SELECT json, effective_from FROM config WHERE id = 1").toArray()[0];
    this.configCache = row ? { config: JSON.parse(row.json) as LedgerConfig, effectiveFrom: row.effective_from } : null;
    return this.configCache;
  }

  /** The counting window: the period, starting no earlier than the budget itself. */
  private window(now: number): PeriodWindow {
    const stored = this.readConfig();
    const period = periodWindow(stored?.config ?? UNBUDGETED, now);
    return { start: stored ? Math.max(period.start, stored.effectiveFrom) : period.start, end: period.end };
  }

  /** Applies one change to the team counter and the reservation's user/repo/agent counters. */
  private apply(r: Pick<Reservation, "windowStart" | "user" | "repo" | "agent">, change: (c: Counter) => Counter): void {
    const scopes = ["team", r.user && `user:${r.user}`, r.repo && `repo:${r.repo}`, r.agent && `agent:${r.agent}`].filter(Boolean) as string[];
    this.counters.update(r.windowStart, scopes, change);
  }

  private drop(r: Reservation, status: "released" | "expired"): void {
    this.apply(r, (c) => unhold(c, r.micros, r.tokens));
    this.sql.exec("UPDATE reservations SET status = ? WHERE id = ?", status, r.id);
  }

  private expireDue(now: number): void {
    if (this.earliestHeldExpiry !== undefined && (this.earliestHeldExpiry === null || now < this.earliestHeldExpiry)) return;
    for (const row of this.sql.exec<Row>("SELECT * FROM reservations WHERE status = 'held' AND expires_at <= ?", now).toArray()) {
      this.drop(toReservation(row), "expired");
    }
    this.earliestHeldExpiry = this.storedEarliestExpiry();
  }

  private storedEarliestExpiry(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT min(expires_at) AS at FROM reservations WHERE status = 'held'").one().at;
  }

  /** Records each finished period's totals once (history survives; counters already do). */
  private closePeriods(now: number): void {
    const current = this.window(now).start;
    const open = this.sql.exec<{ window_start: number }>("SELECT DISTINCT window_start FROM counters WHERE window_start < ? AND scope = 'team'", current).toArray();
    for (const { window_start } of open) {
      const c = this.counters.get(window_start, "team");
      const end = periodWindow(this.readConfig()?.config ?? UNBUDGETED, window_start).end;
      this.sql.exec(
        "INSERT INTO periods (window_start, window_end, spent_micros, spent_tokens, closed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (window_start) DO NOTHING",
        window_start, end, c.spentMicros, c.spentTokens, now,
      );
    }
  }

  /** The soft-limit alert fires once per window. */
  private softAlertOnce(config: BudgetLimits, windowStart: number, before: Counter, after: Counter, now: number): boolean {
    if (!crossesSoftLimit(config, before, after)) return false;
    const inserted = this.sql.exec("INSERT INTO soft_alerts (window_start, at) VALUES (?, ?) ON CONFLICT (window_start) DO NOTHING", windowStart, now).rowsWritten;
    return inserted > 0;
  }

  /**
   * When this object last set its alarm (real clock), or null when unknown (after a restart,
   * or once it fired). Lets the hot path skip the storage round trip of schedule().
   */
  private alarmAt: number | null = null;

  /** Makes sure the alarm fires by `at` (this ledger's clock). */
  private async alarmBy(at: number): Promise<void> {
    if (this.alarmAt !== null && this.alarmAt <= at - this.clockOffsetMs) return;
    await this.schedule();
  }

  /** One alarm serves three clocks: the next expiry, the period boundary, and the outbox. */
  private async schedule(): Promise<void> {
    const now = this.now();
    const nextExpiry = this.storedEarliestExpiry();
    const outbox = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM usage_outbox").one().n;
    const candidates = [this.window(now).end, nextExpiry ?? Infinity, outbox > 0 ? now + FLUSH_DELAY_MS : Infinity];
    // Alarms run on the real clock; a test's clock offset is subtracted back.
    const at = Math.min(...candidates) - this.clockOffsetMs;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) {
      const next = Math.max(at, Date.now());
      await this.ctx.storage.setAlarm(next);
      this.alarmAt = next;
    } else {
      this.alarmAt = current;
    }
  }
}

function toReservation(row: Row): Reservation {
  return {
    id: row.id as string,
    idempotencyKey: row.idempotency_key as string,
    status: row.status as Reservation["status"],
    micros: row.micros as number,
    tokens: row.tokens as number,
    user: row.user as string | null,
    repo: row.repo as string | null,
    agent: row.agent as string | null,
    windowStart: row.window_start as number,
    createdAt: row.created_at as number,
    expiresAt: row.expires_at as number,
    settledMicros: row.settled_micros as number | null,
    settledTokens: row.settled_tokens as number | null,
  };
}
