import type { KeyPath, Problem } from './yaml-file.js';

type Entry = { readonly path: KeyPath; readonly name: string; readonly settings: Readonly<Record<string, unknown>> };

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Rules that span keys, checked on the raw file so they are reported together
 * with schema errors. `merge` without `primary_key` is not one of them: the
 * engine takes keys from the source (tables matched by wildcards included) and
 * fails only when the source declares none.
 */
export function checkSyncRules(raw: unknown): Problem[] {
  if (!isRecord(raw)) return [];
  const defaults = isRecord(raw['defaults']) ? raw['defaults'] : {};
  const entries = streamEntries(raw['streams']);
  if (entries === undefined) return [];
  if (entries.length === 0) return [{ path: ['streams'], part: 'key', message: 'no streams: add at least one, e.g. `"*": {}` for every table' }];
  return [...duplicateNames(entries), ...entries.flatMap((entry) => checkStream(entry, defaults))];
}

function streamEntries(streams: unknown): Entry[] | undefined {
  if (isRecord(streams)) {
    return Object.entries(streams).map(([name, value]) => ({ path: ['streams', name], name, settings: isRecord(value) ? value : {} }));
  }
  if (Array.isArray(streams)) {
    return streams.map((item: unknown, index) => {
      const settings = isRecord(item) ? item : {};
      return { path: ['streams', index], name: typeof settings['name'] === 'string' ? settings['name'] : '', settings };
    });
  }
  return undefined;
}

function duplicateNames(entries: readonly Entry[]): Problem[] {
  const seen = new Map<string, KeyPath>();
  const violations: Problem[] = [];
  for (const entry of entries) {
    const first = seen.get(entry.name);
    if (first !== undefined && entry.name !== '') {
      violations.push({ path: [...entry.path, 'name'], part: 'value', message: `stream "${entry.name}" is listed twice (also at streams[${String(first[1])}])` });
    }
    if (first === undefined) seen.set(entry.name, entry.path);
  }
  return violations;
}

const MIRROR_KEYS = ['mirror_delete', 'mirror_scope', 'mirror_allow_empty', 'mirror_max_delete_percent'] as const;

/** `mirror` reads every row (deletes are whatever a full read lacks); its settings mean nothing for other writes. */
function checkMirror({ path, settings }: Entry, defaults: Readonly<Record<string, unknown>>): Problem[] {
  if (settings['enabled'] === false) return [];
  const write = settings['write'] ?? defaults['write'];
  const mode = settings['mode'] ?? defaults['mode'];
  const violations: Problem[] = [];
  if (write === 'mirror' && mode === 'incremental') {
    const own = settings['write'] !== undefined;
    violations.push({
      path: own ? [...path, 'write'] : [...path, 'mode'],
      part: 'value',
      message: 'write: mirror needs mode: full_refresh: an incremental read does not return unchanged rows, so mirror would delete them. Use write: merge for incremental streams',
    });
  }
  for (const key of MIRROR_KEYS) {
    if (settings[key] !== undefined && write !== 'mirror') {
      violations.push({ path: [...path, key], part: 'key', message: `${key} applies only to write: mirror (this stream writes ${typeof write === 'string' ? write : 'with the default mode'})` });
    }
  }
  return violations;
}

function checkStream({ path, settings }: Entry, defaults: Readonly<Record<string, unknown>>): Problem[] {
  const violations: Problem[] = [];
  if (settings['sql'] !== undefined && settings['path'] !== undefined) {
    violations.push({ path: [...path, 'path'], part: 'key', message: '`sql` and `path` are mutually exclusive: a stream reads a query or files, not both' });
  }
  const mode = settings['mode'] ?? defaults['mode'];
  const cursor = settings['cursor'] ?? defaults['cursor'];
  if (mode === 'incremental' && cursor === undefined && settings['enabled'] !== false) {
    const own = settings['mode'] !== undefined;
    violations.push({
      path: own ? [...path, 'mode'] : path,
      part: own ? 'value' : 'key',
      message: `mode incremental${own ? '' : ' (from defaults.mode)'} needs a cursor: add \`cursor: <column>\` to the stream or to defaults`,
    });
  }
  return [...violations, ...checkMirror({ path, name: '', settings }, defaults)];
}
