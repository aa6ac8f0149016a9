import type { ChangeCapture, SlotStatus } from '../../core/change-capture.js';
import type { Logger } from '../../core/connector.js';
import { ConfigError, FerryError } from '../../core/errors.js';
import { formatLsn } from '../../core/lsn.js';
import type { Project, SyncConfig } from '../../config/project.js';
import { builtinConnectors, type ConnectorRegistry } from '../../connectors/registry.js';
import type { StateStore } from '../../state/state-store.js';
import { createSource, resolveConnection } from '../connections.js';
import { userInfo } from 'node:os';
import { isGlob, matchesPattern } from '../../config/stream-pattern.js';
import type { PauseRecord } from '../../state/state-store.js';
import { cdcPosition, microsText, type CdcPosition } from './cdc-position.js';
import { readPauses } from './cdc-pauses.js';
import { retainedWarning } from './retained-wal.js';
import { cdcNames } from './cdc-runner.js';

export interface CdcOperationOptions {
  readonly project: Project;
  readonly state: StateStore;
  readonly sync: string;
  readonly registry?: ConnectorRegistry;
  readonly logger: Logger;
  /** Who acts, for the audit log (default: the user name of this process). */
  readonly actor?: string;
}

export interface CdcStreamStatus {
  readonly stream: string;
  /** The stored position (`X/Y`): the lowest commit LSN not yet in the target; null before its snapshot. */
  readonly from: string | null;
  readonly updatedRun: string | null;
  /** Every source transaction committed up to this time is in the target (ISO 8601, source clock); null before the first apply. */
  readonly syncedTo: string | null;
  /** Seconds behind the source: 0 when no WAL was written past the position, else now - syncedTo (an upper bound). */
  readonly lagSeconds: number | null;
  /** WAL written on the source past the position, bytes. */
  readonly lagBytes: bigint | null;
  readonly paused: PauseRecord | null;
}

export interface CdcStatusReport {
  readonly sync: string;
  readonly slot: SlotStatus;
  readonly publication: string;
  /** The pause of the whole sync, if any (streams carry their own). */
  readonly paused: PauseRecord | null;
  /** The largest lag in seconds among the streams not paused; null when none has applied yet. */
  readonly lagSeconds: number | null;
  /** Set when the slot keeps more WAL than `cdc.max_retained_wal_mb`. */
  readonly warning: string | null;
  readonly streams: readonly CdcStreamStatus[];
}

function syncOf(project: Project, name: string): SyncConfig {
  const sync = project.syncs.get(name);
  if (!sync) throw new ConfigError(`no sync named "${name}"`, { hint: `syncs: ${[...project.syncs.keys()].join(', ') || '(none)'}` });
  return sync;
}

async function withCapture<T>(options: CdcOperationOptions, body: (capture: ChangeCapture, sync: SyncConfig) => Promise<T>): Promise<T> {
  const sync = syncOf(options.project, options.sync);
  const { slot, publication } = cdcNames(sync);
  const source = await createSource(resolveConnection(options.project, options.registry ?? builtinConnectors, sync.source, options.logger));
  try {
    if (!source.openChangeCapture) throw new ConfigError(`the source of sync ${sync.name} has no change log`, { file: sync.file });
    const capture = source.openChangeCapture({ sync: sync.name, slot, publication, tables: [] });
    try {
      return await body(capture, sync);
    } finally {
      await capture.close();
    }
  } finally {
    await source.close();
  }
}

/** `ferry cdc status`: the slot as the server sees it, pauses, and each stream's position and lag. */
export function cdcStatus(options: CdcOperationOptions): Promise<CdcStatusReport> {
  return withCapture(options, async (capture, sync) => {
    const slot = await capture.status();
    const checkpoints = await options.state.listCheckpoints(sync.name);
    const pauses = await readPauses(options.state, sync.name);
    const now = slot.serverTime ?? BigInt(Date.now()) * 1000n;
    const names = [...new Set([...checkpoints.map((c) => c.stream), ...pauses.streams.keys()])].sort();
    const streams = names.map((stream): CdcStreamStatus => {
      const checkpoint = checkpoints.find((c) => c.stream === stream);
      const position = cdcPosition(checkpoint);
      const lag = position ? streamLag(position, slot.walLsn, now) : { lagSeconds: null, lagBytes: null };
      return {
        stream,
        from: position ? formatLsn(position.from) : null,
        updatedRun: checkpoint?.runId ?? null,
        syncedTo: position?.syncedTo === undefined ? null : microsText(position.syncedTo),
        ...lag,
        paused: pauses.streams.get(stream) ?? null,
      };
    });
    const running = streams.filter((s) => !pauses.sync && !s.paused && s.lagSeconds !== null).map((s) => s.lagSeconds ?? 0);
    const { publication, settings } = cdcNames(sync);
    return {
      sync: sync.name,
      slot,
      publication,
      paused: pauses.sync ?? null,
      lagSeconds: running.length === 0 ? null : Math.max(...running),
      warning: retainedWarning(sync.name, settings, slot),
      streams,
    };
  });
}

/** Time and bytes a stream is behind: exact 0 when nothing was written past its position, else bounded by its synced-to time. */
function streamLag(position: CdcPosition, walLsn: bigint, now: bigint): { lagSeconds: number | null; lagBytes: bigint } {
  const lagBytes = walLsn > position.from ? walLsn - position.from : 0n;
  if (lagBytes === 0n) return { lagSeconds: 0, lagBytes };
  if (position.syncedTo === undefined) return { lagSeconds: null, lagBytes };
  const micros = now > position.syncedTo ? now - position.syncedTo : 0n;
  return { lagSeconds: Number(micros / 1000n) / 1000, lagBytes };
}

/** The cdc streams a sync names: explicit cdc streams of its file and every stream with a cdc position. */
async function cdcStreamNames(state: StateStore, sync: SyncConfig): Promise<{ names: Set<string>; patterns: string[] }> {
  const cdcStreams = sync.streams.filter((s) => s.enabled && (s.mode ?? sync.defaults.mode) === 'cdc');
  const names = new Set(cdcStreams.filter((s) => !isGlob(s.name)).map((s) => s.name));
  for (const checkpoint of await state.listCheckpoints(sync.name)) if (cdcPosition(checkpoint)) names.add(checkpoint.stream);
  return { names, patterns: cdcStreams.filter((s) => isGlob(s.name)).map((s) => s.name) };
}

async function checkStreams(state: StateStore, sync: SyncConfig, streams: readonly string[] | undefined): Promise<void> {
  const { names, patterns } = await cdcStreamNames(state, sync);
  if (names.size === 0 && patterns.length === 0) throw new ConfigError(`sync ${sync.name} has no mode: cdc streams`, { file: sync.file });
  for (const stream of streams ?? []) {
    if (!names.has(stream) && !patterns.some((p) => matchesPattern(p, stream))) {
      throw new ConfigError(`sync ${sync.name} has no cdc stream ${stream}`, { file: sync.file, hint: `cdc streams: ${[...names, ...patterns].join(', ')}` });
    }
  }
}

export interface PauseResult {
  /** Null: the whole sync. */
  readonly paused: readonly (string | null)[];
  /** Already paused before (their first pause is kept). */
  readonly already: readonly (string | null)[];
}

/**
 * `ferry cdc pause`: stop applying the changes of a sync (no streams named)
 * or of some of its streams, without dropping anything. Runs skip what is
 * paused; a running one notices within about a second, applies and confirms
 * what it holds, and stops (whole sync) or goes on without those streams. The
 * slot is not confirmed past a paused stream's position, so the source keeps
 * its changes in the WAL until `resumeCdc`.
 */
export async function pauseCdc(options: CdcOperationOptions, streams: readonly string[] | undefined, reason?: string): Promise<PauseResult> {
  const sync = syncOf(options.project, options.sync);
  await checkStreams(options.state, sync, streams);
  const pausedBy = options.actor ?? actorName();
  const paused: (string | null)[] = [];
  const already: (string | null)[] = [];
  for (const stream of streams ?? [null]) {
    const fresh = await options.state.savePause({ sync: sync.name, stream, pausedBy, reason: reason ?? null });
    (fresh ? paused : already).push(stream);
  }
  await options.state.appendAudit({ actor: pausedBy, action: 'cdc.pause', target: sync.name, details: { streams: streams ?? null, reason: reason ?? null } });
  return { paused, already };
}

/**
 * `ferry cdc resume`: undo pauses. Without streams, the sync and every one of
 * its streams; with streams, only those (refused while the whole sync is
 * paused, which those streams could not escape). Returns what was paused.
 */
export async function resumeCdc(options: CdcOperationOptions, streams: readonly string[] | undefined): Promise<readonly PauseRecord[]> {
  const sync = syncOf(options.project, options.sync);
  await checkStreams(options.state, sync, streams);
  if (streams) {
    const pauses = await readPauses(options.state, sync.name);
    if (pauses.sync) throw new ConfigError(`the whole sync ${sync.name} is paused, not single streams`, { hint: `resume all of it with: ferry cdc resume ${sync.name}` });
  }
  const actor = options.actor ?? actorName();
  const resumed = await options.state.deletePauses(sync.name, streams);
  await options.state.appendAudit({ actor, action: 'cdc.resume', target: sync.name, details: { streams: streams ?? null, resumed: resumed.map((p) => p.stream) } });
  return resumed;
}

/** The operating system user, as the audit log's actor for CLI actions. */
export function actorName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * `ferry cdc drop`: remove the slot (WAL is released at once) and the
 * publication Ferry created, and forget the cdc positions, so the next run
 * starts with a fresh snapshot instead of failing on the missing slot.
 */
export function dropCdc(options: CdcOperationOptions): Promise<{ readonly slot: boolean; readonly publication: boolean; readonly streams: readonly string[] }> {
  return withCapture(options, async (capture, sync) => {
    const status = await capture.status();
    if (status.active) {
      throw new FerryError(`replication slot ${status.slot} is in use by a running process`, { sync: sync.name, hint: 'stop the running `ferry run` of this sync first' });
    }
    const dropped = await capture.drop();
    const streams = await resetPositions(options.state, sync.name, undefined);
    await options.state.appendAudit({ actor: options.actor ?? actorName(), action: 'cdc.drop', target: sync.name, details: { ...dropped, streams } });
    return { ...dropped, streams };
  });
}

/**
 * `ferry cdc resync`: forget the positions of some streams (all with
 * `undefined`). The next run snapshots them again at a fresh consistent point
 * and streams them from there; the other streams are not touched.
 */
export async function resyncCdc(options: CdcOperationOptions, streams: readonly string[] | undefined): Promise<readonly string[]> {
  const sync = syncOf(options.project, options.sync);
  const reset = await resetPositions(options.state, sync.name, streams);
  await options.state.appendAudit({ actor: options.actor ?? actorName(), action: 'cdc.resync', target: sync.name, details: { streams: reset } });
  return reset;
}

async function resetPositions(state: StateStore, sync: string, only: readonly string[] | undefined): Promise<string[]> {
  const checkpoints = await state.listCheckpoints(sync);
  const known = new Set(checkpoints.filter((c) => cdcPosition(c) !== undefined).map((c) => c.stream));
  const streams = only ? [...only] : [...known];
  for (const stream of streams) {
    if (!known.has(stream) && only) {
      throw new ConfigError(`stream ${stream} of sync ${sync} has no cdc position`, { hint: `streams with one: ${[...known].join(', ') || '(none)'}` });
    }
    const current = checkpoints.find((c) => c.stream === stream);
    // A newer seq than the destination's copy, so the reset wins on the next run.
    await state.saveCheckpoint({ sync, stream, runId: 'cdc-resync', seq: Math.max(Date.now(), (current?.seq ?? 0) + 1), state: {} });
  }
  return streams;
}
