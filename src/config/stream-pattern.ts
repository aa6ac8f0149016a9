import { ConfigError } from '../core/errors.js';
import { didYouMean } from './did-you-mean.js';

/**
 * Stream and column name patterns. `*` matches any run of characters (dots
 * included, so `*` is every table of every schema), `?` one character;
 * matching is case-sensitive, like the names databases report.
 */

const GLOB = /[*?]/;

/** Whether `text` holds a `*` or `?`. */
export function isGlob(text: string): boolean {
  return GLOB.test(text);
}

function globRegExp(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}

/**
 * Whether stream `name` (`public.orders`, or `orders` where the source has no
 * schemas) matches `pattern`. A pattern without a dot also matches the table
 * part of a schema-qualified name, in any schema: `orders` and `order*` match
 * `public.orders` and `sales.orders`; write `public.order*` to stay in one schema.
 *
 * @example matchesPattern('public.order*', 'public.orders') // true
 */
export function matchesPattern(pattern: string, name: string): boolean {
  const regExp = globRegExp(pattern);
  if (regExp.test(name)) return true;
  const dot = name.lastIndexOf('.');
  return !pattern.includes('.') && dot >= 0 && regExp.test(name.slice(dot + 1));
}

/**
 * The columns a stream keeps, in source order: those matching `include` (all
 * when absent) minus those matching `exclude`. A plain name in `include` that
 * the source lacks is an error (the target would silently miss it); names in
 * `exclude` that match nothing are ignored, since one `exclude_columns` in
 * sync defaults is shared by tables that mostly lack those columns.
 *
 * @example expandColumns(['id', 'updated_*'], ['updated_by'], ['id', 'name', 'updated_at', 'updated_by']) // ['id', 'updated_at']
 */
export function expandColumns(
  include: readonly string[] | undefined,
  exclude: readonly string[] | undefined,
  available: readonly string[],
): string[] {
  const missing = (include ?? []).filter((c) => !isGlob(c) && !available.includes(c));
  if (missing.length > 0) {
    const hints = missing.map((c) => {
      const match = didYouMean(c, available);
      return match === undefined ? `"${c}"` : `"${c}" (did you mean "${match}"?)`;
    });
    throw new ConfigError(`columns not found in the source: ${hints.join(', ')}`, {
      key: 'columns',
      hint: `available columns: ${available.join(', ')}`,
    });
  }
  const included = include === undefined ? [...available] : available.filter((c) => include.some((p) => globRegExp(p).test(c)));
  const selected = included.filter((c) => !(exclude ?? []).some((p) => globRegExp(p).test(c)));
  if (selected.length === 0 && available.length > 0) {
    throw new ConfigError('columns and exclude_columns leave no column to copy', {
      key: 'columns',
      hint: `available columns: ${available.join(', ')}`,
    });
  }
  return selected;
}
