import type { Destination } from '../core/connector.js';
import { ConfigError, describeError, redact } from '../core/errors.js';
import type { Value } from '../core/schema.js';
import type { SqlResult } from '../core/sql-result.js';
import { encodeValue } from '../core/values.js';
import type { HookConfig } from '../config/project.js';
import type { HookOutput, RunHookRecord, RunStreamRecord, StateStore } from '../state/state-store.js';
import type { PlannedStream } from './plan-streams.js';
import type { RunLog } from './run-log.js';

/** Rows of a hook's result kept on the run record and in the log. */
export const HOOK_OUTPUT_ROWS = 10;

export interface HookContext {
  readonly runId: string;
  readonly destination: Destination;
  readonly destinationName: string;
  readonly state: StateStore;
  readonly log: RunLog;
  /** The next hook's place in the run (shared by stream and sync hooks). */
  readonly nextSeq: () => number;
}

/** Whether a stream or sync succeeded, which decides which hooks run. */
export type HookOutcome = 'success' | 'failure';

/** Refuse hooks up front when the destination cannot run SQL (files), naming where the first one is written. */
export function checkHooksSupported(ctx: Pick<HookContext, 'destination' | 'destinationName'>, hooks: readonly HookConfig[]): void {
  const first = hooks[0];
  if (first && !ctx.destination.execute) {
    throw new ConfigError(`hooks need a SQL destination; "${ctx.destinationName}" cannot run SQL`, { ...first.location, key: 'hooks' });
  }
}

/**
 * Run `hooks` in order after a stream (`stream` set) or the sync (null) ended
 * with `outcome`. Every hook is recorded, run or skipped. A hook that fails
 * when the outcome is success (run_on success or always) stops the hooks after
 * it and is returned: it fails the run, though the data stays committed. A
 * hook failing after a failure is only recorded: the original error stands.
 */
export async function runHooks(ctx: HookContext, hooks: readonly HookConfig[], stream: string | null, outcome: HookOutcome): Promise<string | undefined> {
  let failure: string | undefined;
  for (const [index, hook] of hooks.entries()) {
    const label = `${stream === null ? 'sync' : 'stream'} hook ${index + 1}`;
    const base = { runId: ctx.runId, seq: ctx.nextSeq(), stream, sql: hook.sql, runOn: hook.runOn, startedAt: new Date().toISOString() };
    const skip = failure !== undefined ? `not run: ${failure}` : matches(hook, outcome) ? undefined : `run_on ${hook.runOn} and the ${stream === null ? 'sync' : 'stream'} ${outcome === 'success' ? 'succeeded' : 'failed'}`;
    if (skip !== undefined) {
      await save(ctx, { ...base, status: 'skipped', finishedAt: base.startedAt, rowsAffected: null, output: null, error: skip });
      continue;
    }
    try {
      const result = await (ctx.destination.execute as NonNullable<Destination['execute']>)(hook.sql, { maxRows: HOOK_OUTPUT_ROWS });
      const output = outputOf(result);
      ctx.log.write('info', stream, `${label} (${hook.runOn}) done: ${summary(result)}`, output ? { output } : undefined);
      await save(ctx, { ...base, status: 'success', finishedAt: new Date().toISOString(), rowsAffected: result.rowsAffected, output, error: null });
    } catch (error) {
      const message = redact(describeError(error));
      ctx.log.write('error', stream, `${label} (${hook.runOn}) failed: ${message}${outcome === 'failure' ? ' (the original failure stands)' : ''}`);
      await save(ctx, { ...base, status: 'failed', finishedAt: new Date().toISOString(), rowsAffected: null, output: null, error: message });
      if (outcome === 'success') failure = `${label} failed: ${message}`;
    }
  }
  return failure;
}

/**
 * After-hooks of one stream, given its record. A failed success hook turns the
 * record into a failure that says the data was committed.
 */
export async function afterStream(ctx: HookContext, stream: PlannedStream, record: RunStreamRecord): Promise<RunStreamRecord> {
  if (stream.hooks.length === 0 || record.status === 'cancelled') return record;
  const failure = await runHooks(ctx, stream.hooks, stream.name, record.status === 'success' ? 'success' : 'failure');
  if (failure === undefined) return record;
  const failed: RunStreamRecord = { ...record, status: 'failed', error: `${failure} (the stream's data was committed)` };
  await ctx.state.saveRunStream(failed);
  return failed;
}

function matches(hook: HookConfig, outcome: HookOutcome): boolean {
  return hook.runOn === 'always' || hook.runOn === outcome;
}

async function save(ctx: HookContext, record: RunHookRecord): Promise<void> {
  await ctx.state.saveRunHook(record);
}

function outputOf(result: SqlResult): HookOutput | null {
  if (result.columns.length === 0) return null;
  return {
    columns: result.columns.map((c) => c.name),
    rows: result.rows.map((row) => row.map((v: Value) => encodeValue(v))),
    truncated: result.truncated,
  };
}

function summary(result: SqlResult): string {
  if (result.rowsAffected !== null) return `${result.rowsAffected} row(s) affected`;
  if (result.columns.length === 0) return 'ok';
  return `${result.rows.length}${result.truncated ? '+' : ''} row(s) returned`;
}
