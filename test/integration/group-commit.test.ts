// GroupCommit in a real Durable Object's SQLite storage: writes queued together run in
// order, one that throws is rolled back alone (its caller gets the error, the others are
// written), and a queue longer than one batch is written in full.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../durable-objects/group-commit";
import { unique } from "./helpers";

// Any SQLite-backed object will do: the test uses its storage, not its methods.
const scratchObject = () => env.BUDGET_LEDGER.getByName(unique("group-commit"));

describe("GroupCommit", () => {
  it("writes queued together in order; a write that throws is undone alone", async () => {
    await runInDurableObject(scratchObject(), async (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("CREATE TABLE gc_rows (n INTEGER PRIMARY KEY, seen INTEGER NOT NULL)");
      let rollbacks = 0;
      const writes = new GroupCommit(state.storage, () => rollbacks++);
      const count = () => sql.exec<{ n: number }>("SELECT count(*) AS n FROM gc_rows").one().n;
      const insert = (n: number) => () => {
        // Each write sees every write queued before it.
        sql.exec("INSERT INTO gc_rows (n, seen) VALUES (?, ?)", n, count());
        return n;
      };
      const results = await Promise.allSettled([
        writes.run(insert(1)),
        writes.run(() => {
          sql.exec("INSERT INTO gc_rows (n, seen) VALUES (2, 0)");
          throw new Error("refused after writing");
        }),
        writes.run(insert(3)),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
      expect(sql.exec<{ n: number; seen: number }>("SELECT n, seen FROM gc_rows ORDER BY n").toArray()).toEqual([
        { n: 1, seen: 0 },
        { n: 3, seen: 1 },
      ]);
      // The object is told, so copies it keeps in memory can be dropped.
      expect(rollbacks).toBe(1);
    });
  });

  it("writes a queue longer than one batch in full and in order", async () => {
    await runInDurableObject(scratchObject(), async (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("CREATE TABLE gc_seq (i INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL)");
      const writes = new GroupCommit(state.storage);
      const all = Array.from({ length: 300 }, (_, n) => n);
      const answers = await Promise.all(
        all.map((n) =>
          writes.run(() => {
            sql.exec("INSERT INTO gc_seq (n) VALUES (?)", n);
            return n;
          }),
        ),
      );
      expect(answers).toEqual(all);
      const rows = sql.exec<{ i: number; n: number }>("SELECT i, n FROM gc_seq ORDER BY i").toArray();
      expect(rows.map((r) => r.n)).toEqual(all);
    });
  });
});
