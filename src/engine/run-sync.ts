import type { Destination, Source } from '../core/connector.js';
import { ConfigError, EXIT_CODES, FerryError, describeError, redact } from '../core/errors.js';
import { nowTimestamptz } from '../core/ferry-columns.js';
import type { HookConfig, Project } from '../config/project.js';
import { builtinConnectors, type ConnectorRegistry } from '../connectors/registry.js';
import type { RunStatus, RunStreamRecord, RunWatermarkRecord, StateStore } from '../state/state-store.js';
import { createDestination, createSource, resolveConnection } from './connections.js';
import { planStreams, type PlannedStream } from './plan-streams.js';
import { planRead, type ReadPlan } from './read-plan.js';
import { CursorTracker } from './cursor-tracker.js';
import type { RunEventListener } from './run-events.js';
import { newRunId } from './run-id.js';
import { RunLog } from './run-log.js';
import { runStream } from './stream-runner.js';
import { runWithConcurrency } from './concurrency.js';
import { acquireSyncLock } from './run-lock.js';
import { refuseMappedTypes } from './strict-types.js';
import { runCdcStreams } from './cdc/cdc-stream-records.js';
import { afterStream, checkHooksSupported, runHooks, type HookContext } from './hooks.js';
import { applyWatermarks } from './watermarks.js';

export interface RunSyncOptions {
  readonly project: Project;
  readonly state: StateStore;
  /** Sync name (file name of `syncs/<name>.yml`). */
  readonly sync: string;
  readonly registry?: ConnectorRegistry;
  /** Only streams matching these patterns (`--stream`). */
  readonly streams?: readonly string[];
  /** Ignore cursors: read everything and replace (`--full-refresh`). */
  readonly fullRefresh?: boolean;
  /** Start incremental streams from this cursor value (`--cursor-value`). */
  readonly cursorValue?: string;
  /** Refuse every stream with a column the destination would only map (`--strict-types`). */
  readonly strictTypes?: boolean;
  /** Resolve, connect, count and print the plan; write nothing (`--dry-run`). */
  readonly dryRun?: boolean;
  /** Streams copied at once (`--threads`); default from ferry.yml. */
  readonly threads?: number;
  /** cdc streams: stream continuously until cancelled (`--follow`) instead of catching up. */
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
  readonly onEvent?: RunEventListener;
  /** Attempts per stream for retryable failures. Default 3. */
  readonly attempts?: number;
  readonly retryDelayMs?: number;
  /** A lock whose holder has not sent a heartbeat for this long is taken over. Default 60 s. */
  readonly staleLockMs?: number;
  /** How often the lock's heartbeat is refreshed. Default 10 s. */
  readonly heartbeatMs?: number;
}

export interface DryRunStream {
  readonly stream: string;
  readonly target: string;
  readonly mode: string;
  readonly write: string;
  readonly from: string;
  readonly sql: string;
  /** Rows the source query returns (exact). */
  readonly rows: number;
  /** Of `rows`, those at the cursor boundary that the last run delivered: read again and skipped by key, not written. */
  readonly boundaryRows: number;
  /** After-hooks that a real run would execute. */
  readonly hooks: readonly { readonly sql: string; readonly runOn: string }[];
}

export interface RunResult {
  readonly runId: string;
  readonly sync: string;
  readonly status: RunStatus;
  readonly streams: readonly RunStreamRecord[];
  readonly plan?: readonly DryRunStream[];
  /** Watermarks resolved for this run (also on the run record in the state store). */
  readonly watermarks: readonly RunWatermarkRecord[];
  readonly error: string | null;
  readonly seconds: number;
  /** What the CLI should exit with: 0, 1 (run failed), 2 (config), 3 (connection), 130 (cancelled). */
  readonly exitCode: number;
}

const HEARTBEAT_MS = 10_000;

/**
 * Run one sync: lock it, plan its streams, copy them (up to `threads` at once),
 * record everything, release the lock.
 *
 * @example
 * const result = await runSync({ project, state, sync: 'shop' });
 * if (result.status !== 'success') process.exitCode = 1;
 */
export async function runSync(options: RunSyncOptions): Promise<RunResult> {
  const { project, state } = options;
  const sync = project.syncs.get(options.sync);
  if (!sync) {
    throw new ConfigError(`no sync named "${options.sync}"`, { hint: `syncs: ${[...project.syncs.keys()].join(', ') || '(none)'} (files in syncs/)` });
  }
  const runId = newRunId();
  const runStartedAt = nowTimestamptz();
  const started = performance.now();
  const dryRun = options.dryRun ?? false;
  // Aborted by the caller (Ctrl-C) or by losing the lock to another run.
  const controller = new AbortController();
  const signal = controller.signal;
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const emit: RunEventListener = options.onEvent ?? (() => undefined);
  const log = new RunLog(runId, state, emit);
  const staleMs = options.staleLockMs ?? 60_000;

  if (!dryRun) {
    await acquireSyncLock(state, sync.name, runId, staleMs);
    const orphaned = await state.failOrphanedRuns(sync.name, 'the process running it stopped without finishing (lock expired)');
    if (orphaned > 0) log.write('warn', null, `marked ${orphaned} earlier run(s) that died mid-way as failed`);
  }
  let lostLock = false;
  const heartbeat = dryRun ? undefined : setInterval(() => void keepLock(), options.heartbeatMs ?? HEARTBEAT_MS);
  const keepLock = async (): Promise<void> => {
    const held = await state.heartbeat(sync.name, runId).catch(() => true);
    if (held || signal.aborted) return;
    // Another process took the lock (ours looked dead): two writers must never overlap, so stop.
    lostLock = true;
    log.write('error', null, 'lost the sync lock to another run; stopping and rolling back');
    controller.abort();
  };
  try {
    await state.createRun({ id: runId, sync: sync.name, status: dryRun ? 'dry_run' : 'running', options: runOptionsRecord(options) });
  } catch (caught) {
    if (heartbeat) clearInterval(heartbeat);
    if (!dryRun) await state.releaseLock(sync.name, runId).catch(() => undefined);
    throw caught;
  }

  let source: Source | undefined;
  let destination: Destination | undefined;
  let streams: RunStreamRecord[] = [];
  let plan: DryRunStream[] | undefined;
  let watermarks: readonly RunWatermarkRecord[] = [];
  let hookCtx: HookContext | undefined;
  let hookSeq = 0;
  let error: string | null = null;
  let errorCode: number = EXIT_CODES.runFailed;
  try {
    const registry = options.registry ?? builtinConnectors;
    source = await createSource(resolveConnection(project, registry, sync.source, log.forStream(null)));
    // The source's session is made while the destination's connector loads (a failure shows again when planning uses it).
    source.connect?.().catch(() => undefined);
    destination = await createDestination(resolveConnection(project, registry, sync.destination, log.forStream(null)));
    // The destination's session is made while the source plans; its failure is the run's, reported below.
    const connected = destination.connect?.();
    connected?.catch(() => undefined);
    const applied = await applyWatermarks({ project, registry, sync, source, destination, runId, log, ...(options.streams ? { only: options.streams } : {}) });
    watermarks = applied.records;
    await state.saveRunWatermarks(watermarks);
    const planned = await planStreams({
      sync: applied.sync,
      defaults: project.defaults,
      source,
      destination,
      ...(options.streams ? { only: options.streams } : {}),
      fullRefresh: options.fullRefresh ?? false,
    });
    await connected;
    refuseMappedTypes(planned, destination, options.strictTypes ?? false);
    const hooks = { runId, destination, destinationName: sync.destination, state, log, nextSeq: () => ++hookSeq };
    checkHooksSupported(hooks, [...(sync.hooks ?? []), ...planned.flatMap((s) => s.hooks)]);
    if (!dryRun) hookCtx = hooks;
    emit({ type: 'run_start', runId, sync: sync.name, streams: planned.map((s) => s.name) });
    log.write('info', null, `${dryRun ? 'dry run' : 'run'} ${runId}: ${planned.length} stream(s) from ${sync.source} to ${sync.destination}`);
    if (dryRun) {
      plan = await dryRunStreams(options, sync.name, planned, source, destination);
    } else {
      const ctx = {
        sync: sync.name,
        runId,
        runStartedAt,
        source,
        destination,
        state,
        log,
        signal,
        emit,
        fullRefresh: options.fullRefresh ?? false,
        ...(options.cursorValue !== undefined ? { cursorValue: options.cursorValue } : {}),
        attempts: options.attempts ?? 3,
        retryDelayMs: options.retryDelayMs ?? 1000,
      };
      const threads = Math.max(1, options.threads ?? project.defaults.threads);
      // cdc streams share one replication slot: they run together, after the others.
      streams = await runWithConcurrency(planned.filter((s) => s.mode !== 'cdc'), threads, async (stream) => afterStream(hooks, stream, await runStream(ctx, stream)));
      const cdc = planned.filter((s) => s.mode === 'cdc');
      if (cdc.length > 0) streams.push(...(await runCdcStreams({ ...ctx, sync, follow: options.follow ?? false }, cdc)));
    }
  } catch (caught) {
    error = redact(describeError(caught));
    if (caught instanceof FerryError) errorCode = caught.exitCode;
    log.write('error', null, error);
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    const hookError = await syncHooks(hookCtx, sync.hooks, signal.aborted || lostLock, error, streams);
    if (hookError !== undefined) error = hookError;
    await source?.close().catch(() => undefined);
    await destination?.close().catch(() => undefined);
  }

  if (lostLock) error = `sync "${sync.name}": another run took over the lock (this one looked dead to it); stopped without publishing the unfinished streams`;
  const status = lostLock ? 'failed' : finalStatus(dryRun, signal.aborted, error, streams);
  if (!error && status === 'failed') error = streams.filter((s) => s.status === 'failed').map((s) => `${s.stream}: ${s.error}`).join('\n');
  const total = (key: 'rowsRead' | 'rowsWritten' | 'bytesRead'): number => streams.reduce((n, s) => n + s[key], 0);
  // The failure itself was logged where it happened; this line only closes the log.
  log.write('info', null, `run ${status}`);
  await log.flush();
  await state.finishRun(runId, { status, error, rowsRead: total('rowsRead'), rowsWritten: total('rowsWritten'), bytesRead: total('bytesRead') });
  if (!dryRun && !lostLock) await state.releaseLock(sync.name, runId);
  emit({ type: 'run_end', runId, status });
  const exitCode = status === 'success' || status === 'dry_run' ? EXIT_CODES.ok : status === 'cancelled' ? EXIT_CODES.cancelled : errorCode;
  return { runId, sync: sync.name, status, streams, ...(plan ? { plan } : {}), watermarks, error, seconds: (performance.now() - started) / 1000, exitCode };
}

/**
 * The sync's after-hooks, once its streams ended (not after a cancel or a lost
 * lock). Returns the error that fails the run when a hook failed after success.
 */
async function syncHooks(
  ctx: HookContext | undefined,
  hooks: readonly HookConfig[] | undefined,
  stopped: boolean,
  error: string | null,
  streams: readonly RunStreamRecord[],
): Promise<string | undefined> {
  if (!ctx || !hooks || hooks.length === 0 || stopped) return undefined;
  const failed = error !== null || streams.some((s) => s.status !== 'success' && s.status !== 'paused');
  try {
    const failure = await runHooks(ctx, hooks, null, failed ? 'failure' : 'success');
    return failure === undefined ? undefined : `${failure} (every stream's data was committed)`;
  } catch (caught) {
    // Recording a hook failed (state store down): the run must still end and release its lock.
    return failed ? undefined : `sync hooks could not run: ${redact(describeError(caught))}`;
  }
}

function finalStatus(dryRun: boolean, aborted: boolean, error: string | null, streams: readonly RunStreamRecord[]): RunStatus {
  if (aborted || streams.some((s) => s.status === 'cancelled')) return 'cancelled';
  if (error || streams.some((s) => s.status === 'failed')) return 'failed';
  return dryRun ? 'dry_run' : 'success';
}

async function dryRunStreams(
  options: RunSyncOptions,
  sync: string,
  planned: readonly PlannedStream[],
  source: Source,
  destination: Destination,
): Promise<DryRunStream[]> {
  const out: DryRunStream[] = [];
  for (const stream of planned) {
    const read = await planRead({ sync, stream, state: options.state, destination, fullRefresh: options.fullRefresh ?? false, ...(options.cursorValue !== undefined ? { cursorValue: options.cursorValue } : {}) });
    out.push({
      stream: stream.name,
      target: stream.target.schema === undefined ? stream.target.name : `${stream.target.schema}.${stream.target.name}`,
      mode: stream.mode,
      write: stream.write,
      from: read.from,
      sql: source.readSql(read.request),
      rows: await source.count(read.request),
      boundaryRows: await boundaryRows(source, stream, read),
      hooks: stream.hooks.map((h) => ({ sql: h.sql, runOn: h.runOn })),
    });
  }
  return out;
}

/**
 * Rows the read meets again at the checkpoint's cursor value that the last run
 * already delivered: the inclusive `>=` read returns them and the cursor tracker
 * drops them by key. Counted exactly by reading just that value's rows through
 * the same tracker a run uses.
 */
async function boundaryRows(source: Source, stream: PlannedStream, read: ReadPlan): Promise<number> {
  const cursor = read.request.cursor;
  if (cursor?.from === undefined || cursor.from === null || stream.cursor === undefined) return 0;
  if ((read.boundary?.boundaryKeys.length ?? 0) === 0) return 0;
  const tracker = new CursorTracker({ stream: stream.name, columns: stream.columns, cursorColumn: stream.cursor, primaryKey: stream.primaryKey, nullCursor: stream.nullCursor, previous: read.boundary });
  const atBoundary = { ...read.request, cursor: { ...cursor, to: cursor.from, includeNulls: false } };
  for await (const batch of source.read(atBoundary, new AbortController().signal)) tracker.accept(batch.rows);
  return tracker.skipped;
}

function runOptionsRecord(options: RunSyncOptions): Record<string, unknown> {
  return {
    ...(options.streams ? { streams: options.streams } : {}),
    ...(options.fullRefresh ? { fullRefresh: true } : {}),
    ...(options.cursorValue !== undefined ? { cursorValue: options.cursorValue } : {}),
    ...(options.dryRun ? { dryRun: true } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.strictTypes ? { strictTypes: true } : {}),
  };
}
