import type { ZodType } from 'zod';
import type { KeyPath, Problem } from './yaml-file.js';
import { suggestion } from './did-you-mean.js';

/**
 * Reads the shape of a zod schema (its object keys at a path), for
 * "did you mean" on unknown keys and for connector schemas that silently
 * strip unknown keys. Uses zod 4's `_zod.def`, the documented way for tools
 * to introspect schemas.
 */

type Def = { readonly type: string } & Readonly<Record<string, unknown>>;

function defOf(schema: unknown): Def | undefined {
  const zod = (schema as { _zod?: { def?: Def } } | null)?._zod;
  return zod?.def;
}

const WRAPPERS: Readonly<Record<string, string>> = {
  optional: 'innerType',
  nullable: 'innerType',
  default: 'innerType',
  prefault: 'innerType',
  catch: 'innerType',
  readonly: 'innerType',
  nonoptional: 'innerType',
  pipe: 'in',
};

/** The concrete schemas a value at this place may match: wrappers removed, unions spread. */
function alternatives(schema: unknown): unknown[] {
  const def = defOf(schema);
  if (!def) return [];
  const inner = WRAPPERS[def.type];
  if (inner !== undefined) return alternatives(def[inner]);
  if (def.type === 'lazy' && typeof def['getter'] === 'function') return alternatives((def['getter'] as () => unknown)());
  if (def.type === 'union') return (def['options'] as unknown[]).flatMap(alternatives);
  return [schema];
}

function child(schema: unknown, segment: string | number): unknown[] {
  const def = defOf(schema);
  if (def?.type === 'object') {
    const field = (def['shape'] as Readonly<Record<string, unknown>>)[String(segment)];
    return field === undefined ? [] : [field];
  }
  if (def?.type === 'record') return [def['valueType']];
  if (def?.type === 'array' && typeof segment === 'number') return [def['element']];
  return [];
}

function objectsAt(schema: ZodType, path: KeyPath): Def[] {
  let current = alternatives(schema);
  for (const segment of path) current = current.flatMap((s) => child(s, segment).flatMap(alternatives));
  return current.map(defOf).filter((d): d is Def => d?.type === 'object');
}

/** Keys an object at `path` accepts. */
export function keysAt(schema: ZodType, path: KeyPath): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((d) => Object.keys(d['shape'] as object)))];
}

/**
 * Keys that an object schema without a catch-all would silently drop (zod's
 * default `z.object`): a typo in a connection setting must not be ignored.
 */
export function strayKeys(schema: ZodType, value: unknown, path: KeyPath = []): Problem[] {
  if (typeof value !== 'object' || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const objects = objectsAt(schema, path);
  const strips = objects.length > 0 && objects.every((d) => d['catchall'] === undefined);
  const known = keysAt(schema, path);
  const problems: Problem[] = [];
  for (const [key, item] of entries) {
    if (strips && typeof key === 'string' && !known.includes(key)) {
      problems.push({ path: [...path, key], part: 'key', message: unknownKeyMessage(key, known) });
    } else {
      problems.push(...strayKeys(schema, item, [...path, key]));
    }
  }
  return problems;
}

/** `unknown key; did you mean "cursor"?`, or the keys that are allowed. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const hint = suggestion(key, known);
  if (hint !== '') return `unknown key${hint}`;
  return known.length > 0 ? `unknown key; expected one of ${known.join(', ')}` : 'unknown key';
}
