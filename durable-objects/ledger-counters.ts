// A BudgetLedger's counters (spent and held, per counting window and scope: the team, and a
// user, repo or agent inside it), with a copy in memory. The ledger is their only writer, so
// the copy stays true; the reserve and settle path reads no counter from SQLite and writes
// every scope a change touches in one statement. When a write is rolled back the ledger
// calls forget(), and the next read goes to SQLite again.
import { ZERO, type Counter } from "../workers/src/domain/budget/ledger";

/** Windows × scopes kept in memory; past this the copy starts over (reads refill it). */
const MAX_COPIED = 10_000;

export class LedgerCounters {
  private readonly copy = new Map<string, Counter>();

  constructor(private readonly sql: SqlStorage) {}

  get(windowStart: number, scope: string): Counter {
    const key = `${windowStart}|${scope}`;
    const copied = this.copy.get(key);
    if (copied) return copied;
    const row = this.sql
      .exec<{ spent_micros: number; held_micros: number; spent_tokens: number; held_tokens: number }>(
        "SELECT spent_micros, held_micros, spent_tokens, held_tokens FROM counters WHERE window_start = ? AND scope = ?",
        windowStart,
        scope,
      )
      .toArray()[0];
    const counter = row ? { spentMicros: row.spent_micros, heldMicros: row.held_micros, spentTokens: row.spent_tokens, heldTokens: row.held_tokens } : ZERO;
    this.remember(key, counter);
    return counter;
  }

  /** Applies `change` to each scope's counter in the window, in one statement. */
  update(windowStart: number, scopes: string[], change: (c: Counter) => Counter): void {
    const next = scopes.map((scope) => ({ scope, counter: change(this.get(windowStart, scope)) }));
    this.sql.exec(
      `INSERT INTO counters (window_start, scope, spent_micros, held_micros, spent_tokens, held_tokens) VALUES ${next.map(() => "(?, ?, ?, ?, ?, ?)").join(", ")}
       ON CONFLICT (window_start, scope) DO UPDATE SET spent_micros = excluded.spent_micros, held_micros = excluded.held_micros,
       spent_tokens = excluded.spent_tokens, held_tokens = excluded.held_tokens`,
      ...next.flatMap(({ scope, counter: c }) => [windowStart, scope, c.spentMicros, c.heldMicros, c.spentTokens, c.heldTokens]),
    );
    // Only once the statement is written: a failed one leaves the copy as SQLite has it.
    for (const { scope, counter } of next) this.remember(`${windowStart}|${scope}`, counter);
  }

  /** After a rollback: what the copy holds may never have been committed. */
  forget(): void {
    this.copy.clear();
  }

  private remember(key: string, counter: Counter): void {
    if (this.copy.size >= MAX_COPIED) this.copy.clear();
    this.copy.set(key, counter);
  }
}
