import type { ConfigIssue } from './config-errors.js';
import { suggestion } from './did-you-mean.js';
import type { StreamConfig, SyncConfig } from './project.js';
import { syncFileSchema, type StreamEntry, type SyncFile } from './schema.js';
import { locateExtras } from './stream-extras.js';
import { checkSyncRules } from './sync-rules.js';
import { checkWatermarkRules } from './watermark-rules.js';
import type { Problem, YamlFile } from './yaml-file.js';
import { problemsFromZod } from './zod-problems.js';

export interface SyncFileResult {
  /** Absent when the file has errors. */
  readonly sync?: SyncConfig;
  readonly issues: readonly ConfigIssue[];
}

/**
 * Validate one sync file: its keys and values, the rules that span keys, and
 * that `source` and `destination` name connections of `ferry.yml`
 * (`connectionNames`; skipped when ferry.yml could not be read).
 */
export function readSyncFile(yaml: YamlFile, name: string, connectionNames: ReadonlySet<string> | undefined): SyncFileResult {
  if (yaml.value === undefined) return { issues: yaml.issues };
  const parsed = syncFileSchema.safeParse(yaml.value);
  const problems = [
    ...(parsed.success ? [] : problemsFromZod(parsed.error.issues, { schema: syncFileSchema, input: yaml.value })),
    ...checkSyncRules(yaml.value),
    ...connectionProblems(yaml.value, connectionNames),
    ...checkWatermarkRules(yaml.value, connectionNames),
  ];
  const issues = yaml.issuesWith(problems);
  if (!parsed.success || issues.length > 0) return { issues };
  return { sync: buildSync(yaml, name, parsed.data), issues: [] };
}

function connectionProblems(raw: unknown, names: ReadonlySet<string> | undefined): Problem[] {
  if (names === undefined || typeof raw !== 'object' || raw === null) return [];
  const problems: Problem[] = [];
  for (const key of ['source', 'destination'] as const) {
    const value = (raw as Record<string, unknown>)[key];
    if (typeof value !== 'string' || value === '' || names.has(value)) continue;
    const defined = names.size > 0 ? `defined: ${[...names].join(', ')}` : 'ferry.yml defines no connections';
    problems.push({ path: [key], part: 'value', message: `connection "${value}" is not defined in ferry.yml${suggestion(value, names)} (${defined})` });
  }
  return problems;
}

function buildSync(yaml: YamlFile, name: string, file: SyncFile): SyncConfig {
  return {
    name,
    file: yaml.file,
    source: file.source,
    destination: file.destination,
    defaults: file.defaults,
    streams: streamsOf(yaml, file.streams),
    tags: file.tags,
    ...(file.schedule !== undefined ? { schedule: file.schedule } : {}),
    ...(file.description !== undefined ? { description: file.description } : {}),
    ...locateExtras(yaml, [], file),
    location: yaml.locate([]),
  };
}

function streamsOf(yaml: YamlFile, streams: SyncFile['streams']): StreamConfig[] {
  if (Array.isArray(streams)) {
    return streams.map((entry, index) => ({ ...withoutExtras(entry), ...locateExtras(yaml, ['streams', index], entry), location: yaml.locate(['streams', index]) }));
  }
  return Object.entries(streams).map(([name, entry]: [string, StreamEntry | null]) => ({
    name,
    ...(entry ? withoutExtras(entry) : { enabled: true }),
    ...locateExtras(yaml, ['streams', name], entry ?? {}),
    location: yaml.locate(['streams', name], 'key'),
  }));
}

/** The entry without its filters, watermarks and hooks, which `locateExtras` adds back with locations. */
function withoutExtras<T extends { filters?: unknown; watermarks?: unknown; hooks?: unknown }>(entry: T): Omit<T, 'filters' | 'watermarks' | 'hooks'> {
  const { filters: _f, watermarks: _w, hooks: _h, ...rest } = entry;
  return rest;
}
