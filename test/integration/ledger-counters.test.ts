// LedgerCounters in a ledger's real storage: what it answers from memory is what SQLite
// holds, one update writes every scope, and after a rolled-back write forget() brings the
// answers back to what was committed.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LedgerCounters } from "../../durable-objects/ledger-counters";
import { hold, spend, ZERO } from "../../workers/src/domain/budget/ledger";
import { unique } from "./helpers";

describe("LedgerCounters", () => {
  it("answers from memory what SQLite holds, and forgets a rolled-back write", async () => {
    // A fresh ledger: its constructor creates the counters table.
    await runInDurableObject(env.BUDGET_LEDGER.getByName(unique("counters")), async (_instance, state) => {
      const counters = new LedgerCounters(state.storage.sql);
      expect(counters.get(1_000, "team")).toEqual(ZERO);
      counters.update(1_000, ["team", "user:usr_1"], (c) => hold(c, 500, 5));
      counters.update(1_000, ["team", "user:usr_1"], (c) => spend(c, 200, 2));
      const fromSqlite = new LedgerCounters(state.storage.sql);
      for (const scope of ["team", "user:usr_1"]) {
        expect(counters.get(1_000, scope)).toEqual({ spentMicros: 200, heldMicros: 500, spentTokens: 2, heldTokens: 5 });
        expect(fromSqlite.get(1_000, scope)).toEqual(counters.get(1_000, scope));
      }
      expect(() =>
        state.storage.transactionSync(() => {
          counters.update(1_000, ["team"], (c) => spend(c, 1_000_000, 0));
          throw new Error("refused after writing");
        }),
      ).toThrow("refused after writing");
      expect(counters.get(1_000, "team").spentMicros).toBe(1_000_200); // ahead of storage until told
      counters.forget();
      expect(counters.get(1_000, "team").spentMicros).toBe(200);
    });
  });
});
