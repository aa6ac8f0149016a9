import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { expect } from 'vitest';
import { DataError } from '../../src/core/errors.js';
import type { Column, Row, Value } from '../../src/core/schema.js';
import { EVERY_KIND_COLUMNS, EVERY_KIND_ROWS, MANY_COLUMNS, manyRows } from '../support/every-kind.js';
import { type DestinationUnderTest, type RegisterCase, landed } from './destination-harness.js';
import { loadBatches, openRequest, readRows, sortRows } from './table-io.js';

/** The Big List of Naughty Strings, read in place from the shared fixtures. */
const NAUGHTY_STRINGS = resolve('../shared/fixtures/naughty-strings/blns.json');

const TEXT_COLUMNS: readonly Column[] = [
  { name: 'id', type: { kind: 'int64' }, nullable: false },
  { name: 'text', type: { kind: 'string' }, nullable: true },
];

/** Values land and read back exactly: every logical kind, hostile strings, many batches. */
export function describeValueCases(test: RegisterCase, under: () => DestinationUnderTest, refuses?: (column: Column, value: Value) => boolean): void {
  const refused = (i: number, value: Value): boolean => value !== null && i > 0 && refuses !== undefined && refuses(EVERY_KIND_COLUMNS[i] as Column, value);
  test('round-trips every logical kind value-exact, with its kind', async () => {
    const target = under().target('kinds');
    const rows = EVERY_KIND_ROWS.map((row) => row.map((value, i) => (refused(i, value) ? null : value)));
    expect(await loadBatches(under().destination, openRequest(target, 'replace', EVERY_KIND_COLUMNS), [{ columns: EVERY_KIND_COLUMNS, rows }])).toBe(rows.length);
    const back = await landed(under(), target);
    expect(back.columns.map((c) => [c.name, c.type.kind])).toEqual(EVERY_KIND_COLUMNS.map((c) => [c.name, c.type.kind]));
    expect(sortRows(back)).toEqual(refuses === undefined ? EVERY_KIND_ROWS : rows);
  });

  if (refuses !== undefined) {
    test('refuses each value it cannot hold with a DataError naming the column, and publishes nothing', async () => {
      const target = under().target('refused');
      const cases = EVERY_KIND_ROWS.flatMap((row) => row.flatMap((value, i) => (refused(i, value) ? [{ i, value }] : [])));
      expect(cases.length).toBeGreaterThan(0);
      for (const { i, value } of cases) {
        const row: Row = EVERY_KIND_COLUMNS.map((_, j) => (j === 0 ? 1n : j === i ? value : null));
        const failure = await loadBatches(under().destination, openRequest(target, 'replace', EVERY_KIND_COLUMNS), [{ columns: EVERY_KIND_COLUMNS, rows: [row] }]).catch((e: unknown) => e);
        expect(failure, `${EVERY_KIND_COLUMNS[i]?.name} = ${String(value)}`).toBeInstanceOf(DataError);
        expect((failure as DataError).message).toContain(`"${EVERY_KIND_COLUMNS[i]?.name}"`);
      }
      const streams = await under().source.discover();
      expect(streams.filter((s) => s.table.name === target.name && s.table.schema === target.schema)).toEqual([]);
      expect(await under().leftovers()).toEqual([]);
    });
  }

  test('round-trips all 515 naughty strings exactly, NULL apart from the empty string', async () => {
    const strings = JSON.parse(await readFile(NAUGHTY_STRINGS, 'utf8')) as string[];
    expect(strings).toHaveLength(515);
    const rows: Row[] = [...strings.map((s, i): Row => [BigInt(i), s]), [515n, null]];
    const target = under().target('naughty');
    const batches = [{ columns: TEXT_COLUMNS, rows: rows.slice(0, 200) }, { columns: TEXT_COLUMNS, rows: rows.slice(200) }];
    expect(await loadBatches(under().destination, openRequest(target, 'replace', TEXT_COLUMNS), batches)).toBe(516);
    const back = sortRows(await landed(under(), target));
    expect(back.map((r) => r[0])).toEqual(rows.map((r) => r[0]));
    expect(back.map((r) => r[1])).toEqual([...strings, null]);
  });

  test('lands 100k rows from ten batches and reads them back in batches of another size', async () => {
    const target = under().target('many');
    const batches = Array.from({ length: 10 }, (_, i) => ({ columns: MANY_COLUMNS, rows: manyRows(10_000, i * 10_000) }));
    expect(await loadBatches(under().destination, openRequest(target, 'replace', MANY_COLUMNS), batches)).toBe(100_000);
    const back = sortRows(await readRows(under().source, await under().readTargets(target), { batchSize: 7000 }));
    expect(back).toHaveLength(100_000);
    expect(back[0]).toEqual(manyRows(1, 0)[0]);
    expect(back[54_321]).toEqual(manyRows(1, 54_321)[0]);
    expect(back[99_999]).toEqual(manyRows(1, 99_999)[0]);
  });
}
