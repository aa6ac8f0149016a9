import type { RunHookRecord, RunWatermarkRecord } from '../state/state-store.js';
import { formatTable } from './format-table.js';

/** `name=value` pairs of a run's watermarks, for one cell of `ferry history`. */
export function watermarkSummary(records: readonly RunWatermarkRecord[]): string {
  return records.map((w) => `${w.stream ? `${w.stream}:` : ''}${w.name}=${w.value ?? 'NULL'}`).join(' ');
}

/** The watermarks a run resolved: where each value came from and the literal substituted. */
export function watermarkTable(records: readonly RunWatermarkRecord[]): string {
  return formatTable(
    ['watermark', 'stream', 'value', 'kind', 'from', 'literal'],
    records.map((w) => [w.name, w.stream ?? '(sync)', w.value ?? 'NULL', w.kind, w.origin === 'query' ? `query on ${w.connection}` : `default${w.error ? ' (query failed)' : ''}`, w.literal]),
  );
}

/** The hooks of a run, in order, with their results. */
export function hookTable(records: readonly RunHookRecord[]): string {
  return formatTable(
    ['#', 'after', 'run_on', 'status', 'result', 'sql'],
    records.map((h) => [h.seq, h.stream ?? '(sync)', h.runOn, h.status, hookResult(h), oneLine(h.sql, 60)]),
  );
}

/** First rows a hook returned, as indented lines under the table. */
export function hookOutputs(records: readonly RunHookRecord[]): string[] {
  return records
    .filter((h) => h.output !== null && h.output.rows.length > 0)
    .map((h) => {
      const output = h.output as NonNullable<RunHookRecord['output']>;
      const table = formatTable([...output.columns], output.rows.map((r) => r.map((v) => v ?? 'NULL')));
      return `-- hook ${h.seq} returned${output.truncated ? ' (first rows)' : ''}:\n${table}`;
    });
}

function hookResult(hook: RunHookRecord): string {
  if (hook.status !== 'success') return oneLine(hook.error ?? '', 80);
  if (hook.rowsAffected !== null) return `${hook.rowsAffected} row(s) affected`;
  return hook.output ? `${hook.output.rows.length}${hook.output.truncated ? '+' : ''} row(s)` : 'ok';
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
