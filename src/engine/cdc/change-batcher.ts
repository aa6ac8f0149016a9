import type { ChangeTarget, SourceTransaction, TableChanges } from '../../core/change-capture.js';

type Entry = TableChanges['changes'][number];

/**
 * Collects the changes of whole source transactions, per stream, until a
 * batch is full. A transaction whose commit LSN is below a stream's `from` is
 * already in that stream's target and is left out for that stream only.
 */
export class ChangeBatcher {
  readonly #targets: ReadonlyMap<string, ChangeTarget>;
  readonly #from: Map<string, bigint>;
  #pending = new Map<string, Entry[]>();
  #count = 0;
  #skipped = 0;
  /** End LSN of the last transaction taken: the position the batch covers. */
  #upTo: bigint | undefined;

  constructor(targets: readonly ChangeTarget[], from: ReadonlyMap<string, bigint>) {
    this.#targets = new Map(targets.map((t) => [t.stream, t]));
    this.#from = new Map(from);
  }

  get count(): number {
    return this.#count;
  }

  /** Changes left out because the target already had them (since the last `take`). */
  get skipped(): number {
    return this.#skipped;
  }

  add(transaction: SourceTransaction): void {
    for (const { stream, columns, change } of transaction.changes) {
      const from = this.#from.get(stream);
      if (from === undefined || !this.#targets.has(stream)) continue;
      if (transaction.commitLsn < from) {
        this.#skipped++;
        continue;
      }
      let list = this.#pending.get(stream);
      if (!list) this.#pending.set(stream, (list = []));
      list.push({ lsn: transaction.commitLsn, columns, change });
      this.#count++;
    }
    this.#upTo = transaction.endLsn;
  }

  /** Nothing taken since the last `take`. */
  get empty(): boolean {
    return this.#upTo === undefined;
  }

  /**
   * The batch, and every stream's new `from` once it is applied: the end of the
   * last transaction taken (or `position` when later, e.g. the catch-up mark).
   */
  take(position?: bigint): { tables: TableChanges[]; from: Map<string, bigint>; upTo: bigint | undefined } {
    const upTo = position !== undefined && (this.#upTo === undefined || position > this.#upTo) ? position : this.#upTo;
    const tables: TableChanges[] = [];
    for (const [stream, changes] of this.#pending) {
      const target = this.#targets.get(stream);
      if (target) tables.push({ target, changes });
    }
    if (upTo !== undefined) for (const [stream, from] of this.#from) if (upTo > from) this.#from.set(stream, upTo);
    this.#pending = new Map();
    this.#count = 0;
    this.#skipped = 0;
    this.#upTo = undefined;
    return { tables, from: new Map(this.#from), upTo };
  }
}
