import type { SlotStatus } from '../../core/change-capture.js';
import type { Checkpoint, CheckpointState } from '../../core/checkpoint.js';
import { FerryError } from '../../core/errors.js';
import { formatLsn, parseLsn } from '../../core/lsn.js';

/**
 * A cdc stream's checkpoint: `from` is the lowest commit LSN not yet applied to
 * the stream's target. A transaction whose commit LSN is below it is already
 * in the target (snapshot or an earlier apply) and is skipped when the slot
 * sends it again.
 */
export interface CdcPosition {
  readonly slot: string;
  readonly from: bigint;
  /**
   * Every source transaction committed up to this time (microseconds since the
   * Unix epoch, source clock) is in the target: the commit time of the last
   * applied transaction, or the time a confirmed catch-up or heartbeat mark was
   * written, whichever is later. Absent before the first apply.
   */
  readonly syncedTo?: bigint;
}

export function cdcState(position: CdcPosition): CheckpointState {
  const cdc: Record<string, string> = { slot: position.slot, from: formatLsn(position.from) };
  if (position.syncedTo !== undefined) cdc['synced_to'] = microsText(position.syncedTo);
  return { cdc };
}

/** ISO 8601 UTC with microseconds. */
export function microsText(micros: bigint): string {
  const ms = micros / 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 23)}${String(micros % 1000n).padStart(3, '0')}Z`;
}

/** Microseconds since the Unix epoch of a `microsText` value; undefined when it is not one. */
export function parseMicros(text: string): bigint | undefined {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/.exec(text);
  if (!match?.[1]) return undefined;
  const seconds = Date.parse(`${match[1]}Z`);
  if (Number.isNaN(seconds)) return undefined;
  return BigInt(seconds) * 1000n + BigInt((match[2] ?? '').padEnd(6, '0'));
}

/** The position a checkpoint holds, or undefined when it has none (never snapshotted, or reset). */
export function cdcPosition(checkpoint: Checkpoint | undefined): CdcPosition | undefined {
  const cdc = checkpoint?.state['cdc'];
  if (typeof cdc !== 'object' || cdc === null || Array.isArray(cdc)) return undefined;
  const { slot, from, synced_to: syncedText } = cdc as Record<string, unknown>;
  if (typeof slot !== 'string' || typeof from !== 'string') return undefined;
  const syncedTo = typeof syncedText === 'string' ? parseMicros(syncedText) : undefined;
  return { slot, from: parseLsn(from), ...(syncedTo === undefined ? {} : { syncedTo }) };
}

export interface SlotCheck {
  readonly sync: string;
  readonly slot: SlotStatus;
  /** Streams that have a position, by stream name. */
  readonly positions: ReadonlyMap<string, CdcPosition>;
}

/**
 * Refuse to stream when the slot cannot deliver what the targets still need.
 * Ferry confirms a position only after every stream's checkpoint is at or past
 * it, so the slot's confirmed LSN is never ahead of a stored position — unless
 * the slot was dropped and recreated, or advanced by someone else: then
 * changes are lost to the target, and only a resync repairs it. A slot behind
 * the positions is normal after a crash between the destination commit and
 * the confirmation; those transactions are sent again and skipped.
 */
export function checkSlot(check: SlotCheck): void {
  const { sync, slot, positions } = check;
  const resync = `ferry cdc resync ${sync} --all (snapshots every table again)`;
  if (positions.size === 0) return;
  if (!slot.exists) {
    throw new FerryError(`replication slot ${slot.slot} is missing, but streams ${[...positions.keys()].join(', ')} were streaming from it: changes since their checkpoints are gone`, {
      sync,
      hint: `recover with: ${resync}; then ferry run ${sync}`,
    });
  }
  for (const [stream, position] of positions) {
    if (position.slot !== slot.slot) {
      throw new FerryError(`stream ${stream} was streaming from slot ${position.slot}, but the sync now uses ${slot.slot}`, {
        sync,
        stream,
        hint: `set cdc.slot back to ${position.slot}, or ${resync}`,
      });
    }
    if (slot.confirmedLsn !== undefined && slot.confirmedLsn > position.from) {
      throw new FerryError(
        `replication slot ${slot.slot} is at ${formatLsn(slot.confirmedLsn)}, past the checkpoint of ${stream} (${formatLsn(position.from)}): the slot was recreated or advanced outside Ferry, and the changes in between are lost to the target`,
        { sync, stream, hint: `recover with: ferry cdc resync ${sync} ${stream} (or --all)` },
      );
    }
  }
}
