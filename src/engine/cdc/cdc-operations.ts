import type { ChangeCapture, SlotStatus } from '../../core/change-capture.js';
import type { Logger } from '../../core/connector.js';
import { ConfigError, FerryError } from '../../core/errors.js';
import { formatLsn } from '../../core/lsn.js';
import type { Project, SyncConfig } from '../../config/project.js';
import { builtinConnectors, type ConnectorRegistry } from '../../connectors/registry.js';
import type { StateStore } from '../../state/state-store.js';
import { createSource, resolveConnection } from '../connections.js';
import { cdcPosition } from './cdc-position.js';
import { cdcNames } from './cdc-runner.js';

export interface CdcOperationOptions {
  readonly project: Project;
  readonly state: StateStore;
  readonly sync: string;
  readonly registry?: ConnectorRegistry;
  readonly logger: Logger;
}

export interface CdcStatusReport {
  readonly sync: string;
  readonly slot: SlotStatus;
  readonly publication: string;
  /** Each stream's stored position (`X/Y`), or null before its snapshot. */
  readonly streams: readonly { readonly stream: string; readonly from: string | null; readonly updatedRun: string | null }[];
}

function syncOf(project: Project, name: string): SyncConfig {
  const sync = project.syncs.get(name);
  if (!sync) throw new ConfigError(`no sync named "${name}"`, { hint: `syncs: ${[...project.syncs.keys()].join(', ') || '(none)'}` });
  return sync;
}

async function withCapture<T>(options: CdcOperationOptions, body: (capture: ChangeCapture, sync: SyncConfig) => Promise<T>): Promise<T> {
  const sync = syncOf(options.project, options.sync);
  const { slot, publication } = cdcNames(sync);
  const source = createSource(resolveConnection(options.project, options.registry ?? builtinConnectors, sync.source, options.logger));
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

/** `ferry cdc status`: the slot as the server sees it and each stream's stored position. */
export function cdcStatus(options: CdcOperationOptions): Promise<CdcStatusReport> {
  return withCapture(options, async (capture, sync) => {
    const slot = await capture.status();
    const checkpoints = await options.state.listCheckpoints(sync.name);
    const streams = checkpoints.map((c) => {
      const position = cdcPosition(c);
      return { stream: c.stream, from: position ? formatLsn(position.from) : null, updatedRun: c.runId };
    });
    return { sync: sync.name, slot, publication: cdcNames(sync).publication, streams };
  });
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
  return resetPositions(options.state, sync.name, streams);
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
