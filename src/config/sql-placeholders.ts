/**
 * `{name}` placeholders in SQL written by users (a stream's `sql` or `where`).
 * Only text outside string literals, quoted identifiers and comments counts, so
 * `'{a,b}'` (a Postgres array literal) or `"{odd}"` stay as written.
 */

export interface Placeholder {
  readonly name: string;
  /** Offset of `{` in the SQL. */
  readonly start: number;
  /** Offset just after `}`. */
  readonly end: number;
}

const NAME = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/;

/** End offset of the quoted run or comment starting at `i`, or undefined when none starts there. */
function skipQuoted(sql: string, i: number): number | undefined {
  const c = sql[i];
  if (c === "'" || c === '"' || c === '`') {
    for (let j = i + 1; j < sql.length; j++) {
      if (sql[j] !== c) continue;
      if (sql[j + 1] === c) j++;
      else return j + 1;
    }
    return sql.length;
  }
  if (c === '-' && sql[i + 1] === '-') {
    const end = sql.indexOf('\n', i);
    return end < 0 ? sql.length : end;
  }
  if (c === '/' && sql[i + 1] === '*') {
    const end = sql.indexOf('*/', i + 2);
    return end < 0 ? sql.length : end + 2;
  }
  return undefined;
}

/** Every `{name}` placeholder, in order. */
export function findPlaceholders(sql: string): Placeholder[] {
  const found: Placeholder[] = [];
  let i = 0;
  while (i < sql.length) {
    const skipped = skipQuoted(sql, i);
    if (skipped !== undefined) {
      i = skipped;
      continue;
    }
    const m = sql[i] === '{' ? NAME.exec(sql.slice(i)) : null;
    if (m?.[1] !== undefined) {
      found.push({ name: m[1], start: i, end: i + m[0].length });
      i += m[0].length;
    } else i++;
  }
  return found;
}

/** Replace each placeholder with `literal(name)`; placeholders inside literals and comments are left alone. */
export function substitutePlaceholders(sql: string, literal: (name: string) => string): string {
  let out = '';
  let from = 0;
  for (const p of findPlaceholders(sql)) {
    out += sql.slice(from, p.start) + literal(p.name);
    from = p.end;
  }
  return out + sql.slice(from);
}
