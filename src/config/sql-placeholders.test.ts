import { describe, expect, it } from 'vitest';
import { findPlaceholders, substitutePlaceholders } from './sql-placeholders.js';

describe('SQL placeholders', () => {
  it('finds {name} outside string literals, quoted identifiers and comments', () => {
    const sql = `select '{a}', "{b}", \`{c}\` from t where x > {d} -- {e}\n and y = '{it''s {f}}' /* {g} */ and z < {h_2}`;
    expect(findPlaceholders(sql).map((p) => p.name)).toEqual(['d', 'h_2']);
  });

  it('ignores braces that are not a name (JSON, arrays, digits first)', () => {
    expect(findPlaceholders('select {1}, { a }, {a-b}, {}').map((p) => p.name)).toEqual([]);
  });

  it('substitutes every occurrence and leaves literals alone', () => {
    const out = substitutePlaceholders(`where a > {x} and b = '{x}' and c < {x}`, (name) => `<${name}>`);
    expect(out).toBe(`where a > <x> and b = '{x}' and c < <x>`);
  });

  it('an unterminated literal swallows the rest, so nothing inside it is replaced', () => {
    expect(findPlaceholders(`select 'oops {x}`)).toEqual([]);
  });
});
