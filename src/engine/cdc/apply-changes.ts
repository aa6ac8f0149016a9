import type { ChangeApplier, ChangeCapture, ChangeTarget } from '../../core/change-capture.js';
import type { Checkpoint } from '../../core/checkpoint.js';
import { CancelledError } from '../../core/errors.js';
import { formatLsn } from '../../core/lsn.js';
import type { StateStore } from '../../state/state-store.js';
import type { RunLog } from '../run-log.js';
import { cdcState } from './cdc-position.js';
import { ChangeBatcher } from './change-batcher.js';

export interface ApplyContext {
  readonly runId: string;
  readonly sync: { readonly name: string };
  readonly state: StateStore;
  readonly log: RunLog;
  readonly signal: AbortSignal;
  readonly capture: ChangeCapture;
  readonly applier: ChangeApplier;
  readonly targets: readonly ChangeTarget[];
  /** Each stream's position: the lowest commit LSN not yet in its target. */
  readonly from: ReadonlyMap<string, bigint>;
  readonly slot: string;
  readonly batchRows: number;
  /** Latest checkpoint per stream; updated as batches commit. */
  readonly checkpoints: Map<string, Checkpoint>;
  /** Continuous mode (`--follow`): stream until cancelled. Absent: catch up and stop. */
  readonly follow?: { readonly flushMs: number; readonly heartbeatMs: number };
  /** Aborted when a pause changed: apply and confirm what is pending, then return (`stopped`). */
  readonly stop?: AbortSignal;
  /** Never confirm the slot past this (the lowest position of a paused stream, whose changes the slot must keep). */
  readonly confirmLimit?: bigint;
}

export interface ApplyTotals {
  /** Changes applied, per stream. */
  readonly changes: ReadonlyMap<string, number>;
  readonly transactions: number;
  readonly batches: number;
  /** Ended by `stop` (a pause changed) rather than by the catch-up mark. */
  readonly stopped?: boolean;
}

/**
 * Apply the slot's changes up to the catch-up mark, or (follow) until
 * cancelled, flushing a batch when it is full or `flushMs` old. Order of durability, per
 * batch: (1) changes and every stream's new position commit in one destination
 * transaction, (2) the state store records the positions, (3) the slot is
 * confirmed. A crash after (1) re-sends transactions the targets already hold;
 * their commit LSNs are below the stored positions, so they are skipped (and
 * re-applying one would change nothing: merges and deletes by key are
 * idempotent). The slot is never confirmed past what the targets hold.
 */
export async function applyChanges(ctx: ApplyContext): Promise<ApplyTotals> {
  const batcher = new ChangeBatcher(ctx.targets, ctx.from);
  const changes = new Map<string, number>();
  const totals = { transactions: 0, batches: 0 };
  // Commit time of the last transaction taken, or a mark's time: how far in time the batch makes the targets complete.
  let syncedTo: bigint | undefined;
  const flush = async (position?: bigint, markedAt?: bigint): Promise<void> => {
    const skipped = batcher.skipped;
    const batch = batcher.take(position);
    if (markedAt !== undefined && (syncedTo === undefined || markedAt > syncedTo)) syncedTo = markedAt;
    if (batch.upTo === undefined) return;
    const checkpoints = [...batch.from].map(([stream, from]): Checkpoint => ({
      sync: ctx.sync.name,
      stream,
      runId: ctx.runId,
      seq: Math.max(Date.now(), (ctx.checkpoints.get(stream)?.seq ?? 0) + 1),
      state: cdcState({ slot: ctx.slot, from, ...(syncedTo === undefined ? {} : { syncedTo }) }),
    }));
    await ctx.applier.apply(batch.tables, checkpoints);
    for (const checkpoint of checkpoints) {
      await ctx.state.saveCheckpoint(checkpoint);
      ctx.checkpoints.set(checkpoint.stream, checkpoint);
    }
    const confirm = ctx.confirmLimit !== undefined && ctx.confirmLimit < batch.upTo ? ctx.confirmLimit : batch.upTo;
    await ctx.capture.confirm(confirm);
    for (const table of batch.tables) changes.set(table.target.stream, (changes.get(table.target.stream) ?? 0) + table.changes.length);
    totals.batches++;
    const count = batch.tables.reduce((n, t) => n + t.changes.length, 0);
    ctx.log.write('debug', null, `applied ${count} change(s)${skipped > 0 ? `, skipped ${skipped} already applied` : ''}; confirmed ${formatLsn(confirm)}`);
  };
  const follow = ctx.follow;
  const end = new AbortController();
  const iterator = ctx.capture.changes({ catchUp: follow === undefined, readAhead: ctx.batchRows, end: end.signal }, ctx.signal)[Symbol.asyncIterator]();
  let next = iterator.next();
  let oldest: number | undefined;
  let lastMark = performance.now();
  let stopped = false;
  const stop = whenAborted(ctx.stop);
  try {
    for (;;) {
      const wait = follow ? Math.max(1, Math.min(oldest === undefined ? Infinity : oldest + follow.flushMs - performance.now(), lastMark + follow.heartbeatMs - performance.now())) : undefined;
      const result = await Promise.race([wait === undefined ? next : raceTimeout(next, wait), stop]);
      if (ctx.signal.aborted) throw new CancelledError('run cancelled while applying changes');
      if (result === STOP) {
        // A pause changed: what is pending holds whole transactions; commit and confirm it, then hand back.
        await flush();
        end.abort();
        stopped = true;
        break;
      }
      if (result === TIMEOUT) {
        // Continuous mode: flush a batch that waited long enough; mark the log now and then,
        // so an idle slot is confirmed forward (its WAL released) when the mark comes back.
        if (oldest !== undefined && follow && performance.now() - oldest >= follow.flushMs) {
          await flush();
          oldest = undefined;
        }
        if (follow && performance.now() - lastMark >= follow.heartbeatMs) {
          await ctx.capture.mark();
          lastMark = performance.now();
        }
        continue;
      }
      if (result.done) break;
      const event = result.value;
      if (event.type !== 'transaction') {
        // Not prefetched: asking for the event after `caught_up` ends the stream, and a
        // confirmation sent after that never reaches the server.
        await flush(event.lsn, event.at);
        oldest = undefined;
        if (event.type === 'caught_up') break;
        next = iterator.next();
        continue;
      }
      next = iterator.next();
      totals.transactions++;
      batcher.add(event.transaction);
      if (event.transaction.commitTime !== undefined) syncedTo = event.transaction.commitTime;
      oldest ??= performance.now();
      if (batcher.count >= ctx.batchRows) {
        await flush();
        oldest = undefined;
      }
    }
  } finally {
    await iterator.return?.(undefined);
  }
  return { changes, ...totals, ...(stopped ? { stopped } : {}) };
}

const TIMEOUT = Symbol('timeout');
const STOP = Symbol('stop');

/** Resolves with STOP when the signal aborts; never when there is none. */
function whenAborted(signal: AbortSignal | undefined): Promise<typeof STOP> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve(STOP);
    else signal.addEventListener('abort', () => resolve(STOP), { once: true });
  });
}

function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMEOUT>((resolve) => (timer = setTimeout(() => resolve(TIMEOUT), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
