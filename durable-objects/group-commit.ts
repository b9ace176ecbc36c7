// Group commit for a Durable Object's writes. Every storage commit costs a write and, on the
// local platform, an fsync on the one thread that also runs the Worker and every other
// object; under load a ledger took two commits per model call. Writes queued here run at
// the next turn of the event loop, each in its own savepoint inside one transaction, so
// every write that arrived while the thread was busy shares one commit. A write that throws
// is rolled back alone and its caller gets the error; the others still commit. An answer
// still leaves only after its commit is durable (the object's output gate), so a caller
// never sees a write that a restart could lose.

/**
 * Writes per commit. A larger batch would hold the thread (and every call waiting on it)
 * for its whole run; the rest go in the next turn, after whatever else is waiting.
 */
const MAX_BATCH = 64;

export class GroupCommit {
  private queue: { work: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;

  /** `onRollback` runs when any write of a batch was rolled back (an object's copies in memory may be ahead of storage). */
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly onRollback: () => void = () => {},
  ) {}

  /** Runs `work` (synchronous storage reads and writes) in the next shared transaction. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // A zero-delay timer runs after the events already waiting on the thread: those are
    // the writes that share this commit. When the thread is idle it costs one loop turn.
    setTimeout(() => this.commit(), 0);
  }

  private commit(): void {
    this.scheduled = false;
    const batch = this.queue.splice(0, MAX_BATCH);
    if (this.queue.length > 0) this.schedule();
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.storage.transactionSync(() => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: this.storage.transactionSync(item.work) });
          } catch (error) {
            this.onRollback();
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The shared transaction itself failed: nothing in it was written.
      this.onRollback();
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
