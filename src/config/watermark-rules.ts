import { suggestion } from './did-you-mean.js';
import { findPlaceholders } from './sql-placeholders.js';
import type { KeyPath, Problem } from './yaml-file.js';

type Settings = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is Settings => typeof value === 'object' && value !== null && !Array.isArray(value);

function namesOf(watermarks: unknown): string[] {
  return isRecord(watermarks) ? Object.keys(watermarks) : [];
}

function streamEntries(streams: unknown): { path: KeyPath; settings: Settings }[] {
  if (isRecord(streams)) return Object.entries(streams).map(([name, v]) => ({ path: ['streams', name], settings: isRecord(v) ? v : {} }));
  if (Array.isArray(streams)) return streams.map((v: unknown, i) => ({ path: ['streams', i], settings: isRecord(v) ? v : {} }));
  return [];
}

/**
 * Watermark rules checked on the raw sync file, so they are reported with its
 * other errors: every `{name}` in a stream's `sql`/`where` (and in
 * `defaults.where`) names a watermark of the stream or the sync, and every
 * watermark's `connection` exists (`connections`; skipped when unknown).
 */
export function checkWatermarkRules(raw: unknown, connections: ReadonlySet<string> | undefined): Problem[] {
  if (!isRecord(raw)) return [];
  const syncNames = namesOf(raw['watermarks']);
  const problems: Problem[] = [...connectionProblems(raw['watermarks'], ['watermarks'], connections)];
  const defaults = isRecord(raw['defaults']) ? raw['defaults'] : {};
  problems.push(...placeholderProblems(defaults['where'], ['defaults', 'where'], syncNames));
  for (const { path, settings } of streamEntries(raw['streams'])) {
    const names = [...syncNames, ...namesOf(settings['watermarks'])];
    problems.push(...connectionProblems(settings['watermarks'], [...path, 'watermarks'], connections));
    for (const key of ['sql', 'where'] as const) problems.push(...placeholderProblems(settings[key], [...path, key], names));
  }
  return problems;
}

function placeholderProblems(sql: unknown, path: KeyPath, names: readonly string[]): Problem[] {
  if (typeof sql !== 'string') return [];
  return findPlaceholders(sql)
    .filter((p) => !names.includes(p.name))
    .map((p) => ({
      path,
      part: 'value' as const,
      message: `unknown watermark {${p.name}}${suggestion(p.name, names)}: define it under \`watermarks:\` of the stream or the sync (${names.length > 0 ? `defined: ${names.join(', ')}` : 'none defined'})`,
    }));
}

function connectionProblems(watermarks: unknown, path: KeyPath, connections: ReadonlySet<string> | undefined): Problem[] {
  if (connections === undefined || !isRecord(watermarks)) return [];
  const problems: Problem[] = [];
  for (const [name, w] of Object.entries(watermarks)) {
    const connection = isRecord(w) ? w['connection'] : undefined;
    if (typeof connection !== 'string' || connection === '' || connections.has(connection)) continue;
    problems.push({ path: [...path, name, 'connection'], part: 'value', message: `connection "${connection}" is not defined in ferry.yml${suggestion(connection, connections)}` });
  }
  return problems;
}
