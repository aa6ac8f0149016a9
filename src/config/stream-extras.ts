import type { FilterEntry } from './filter-schema.js';
import type { HookEntry } from './hook-schema.js';
import type { FilterConfig, HookConfig, WatermarkConfig } from './project.js';
import type { WatermarkEntry } from './watermark-schema.js';
import type { KeyPath, YamlFile } from './yaml-file.js';

/** What a stream entry or a sync file holds of filters, watermarks and hooks, as parsed. */
interface ParsedExtras {
  readonly filters?: readonly FilterEntry[] | undefined;
  readonly watermarks?: Readonly<Record<string, WatermarkEntry>> | undefined;
  readonly hooks?: { readonly after: readonly HookEntry[] } | undefined;
}

export interface LocatedExtras {
  readonly filters?: readonly FilterConfig[];
  readonly watermarks?: readonly WatermarkConfig[];
  readonly hooks?: readonly HookConfig[];
}

/**
 * Filters, watermarks and hooks of the entry at `path` (a stream, or `[]` for
 * the sync file itself), each with where it was written so later errors (an
 * unknown column, a value that is not a date, a failing hook) point at it.
 */
export function locateExtras(yaml: YamlFile, path: KeyPath, parsed: ParsedExtras): LocatedExtras {
  return {
    ...(parsed.filters ? { filters: parsed.filters.map((f, i) => locateFilter(yaml, [...path, 'filters', i], f)) } : {}),
    ...(parsed.watermarks ? { watermarks: Object.entries(parsed.watermarks).map(([name, w]) => locateWatermark(yaml, [...path, 'watermarks', name], name, w)) } : {}),
    ...(parsed.hooks ? { hooks: parsed.hooks.after.map((h, i) => ({ sql: h.sql, runOn: h.run_on, location: yaml.locate([...path, 'hooks', 'after', i]) })) } : {}),
  };
}

function locateFilter(yaml: YamlFile, path: KeyPath, filter: FilterEntry): FilterConfig {
  return {
    column: filter.column,
    op: filter.op,
    value: filter.value,
    location: yaml.locate(path),
    columnLocation: yaml.locate([...path, 'column']),
    valueLocation: yaml.locate([...path, 'value']),
  };
}

function locateWatermark(yaml: YamlFile, path: KeyPath, name: string, w: WatermarkEntry): WatermarkConfig {
  return {
    name,
    sql: w.sql,
    ...(w.connection !== undefined ? { connection: w.connection } : {}),
    ...(w.default !== undefined ? { default: w.default } : {}),
    location: yaml.locate(path, 'key'),
  };
}
