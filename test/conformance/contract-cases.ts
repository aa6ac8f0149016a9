import { expect } from 'vitest';
import type { WriteMode } from '../../src/core/connector.js';
import { SchemaChangeError } from '../../src/core/errors.js';
import type { Column, Row } from '../../src/core/schema.js';
import { holds } from '../../src/core/type-widening.js';
import { type DestinationUnderTest, type RegisterCase, landed } from './destination-harness.js';
import { loadWithContract, plainDecimal } from './contract-load.js';
import { loadBatches, openRequest, sortRows } from './table-io.js';

const col = (name: string, type: Column['type'], nullable = true): Column => ({ name, type, nullable });

/** Narrow types a table starts with, and the wider ones its source moves to. */
const NARROW: readonly Column[] = [
  col('id', { kind: 'int32' }, false),
  col('n', { kind: 'int16' }),
  col('amount', { kind: 'decimal', precision: 8, scale: 2 }),
  col('label', { kind: 'string', length: 5 }),
  col('ratio', { kind: 'float32' }),
  col('at', { kind: 'timestamp', precision: 3 }),
];
const WIDE: readonly Column[] = [
  col('id', { kind: 'int32' }, false),
  col('n', { kind: 'int64' }),
  col('amount', { kind: 'decimal', precision: 12, scale: 4 }),
  col('label', { kind: 'string', length: 40 }),
  col('ratio', { kind: 'float64' }),
  col('at', { kind: 'timestamp' }),
];

const NARROW_ROW: Row = [1, 7, '123456.78', 'abc', 0.5, '2024-01-01T00:00:00.123'];
/** The narrow row as the widened table returns it. */
const NARROW_ROW_WIDENED: Row = [1, 7n, '123456.78', 'abc', 0.5, '2024-01-01T00:00:00.123'];
const WIDE_ROW: Row = [2, 5_000_000_000n, '12345678.1234', 'a label longer than five', 0.1, '2024-01-02T03:04:05.123456'];

/** An int32 column that the source now sends as text. */
const INT_TARGET: readonly Column[] = [col('id', { kind: 'int32' }, false), col('qty', { kind: 'int32' })];
const TEXT_SOURCE: readonly Column[] = [col('id', { kind: 'int32' }, false), col('qty', { kind: 'string' })];
const TEXT_ROWS: Row[] = [[2, '12'], [3, 'abc'], [4, null], [5, '99999999999'], [6, '-7']];

async function seedInts(under: DestinationUnderTest, name: string) {
  const target = under.target(name);
  await loadBatches(under.destination, openRequest(target, 'append', INT_TARGET), [{ columns: INT_TARGET, rows: [[1, 1]] }]);
  return target;
}

async function landedRows(under: DestinationUnderTest, name: string): Promise<{ names: string[]; rows: Row[] }> {
  const back = await landed(under, under.target(name));
  return { names: back.columns.map((c) => c.name), rows: sortRows(back) };
}

/** Safe widening and the data_type contract; every case asserts the rows that landed and the counts of the report. */
export function describeContractCases(test: RegisterCase, under: () => DestinationUnderTest, writes: readonly WriteMode[]): void {
  test('widens int16 -> int64, decimal(8,2) -> (12,4), varchar(5) -> (40), float32 -> float64, timestamp(3) -> (6) in place, keeping every row', async () => {
    const target = under().target('widened');
    await loadBatches(under().destination, openRequest(target, 'append', NARROW), [{ columns: NARROW, rows: [NARROW_ROW] }]);
    const load = await loadWithContract(under(), target, { columns: WIDE, rows: [WIDE_ROW], contract: 'freeze' });
    expect(load.rows).toBe(1);
    const back = await landed(under(), target);
    for (const [i, column] of WIDE.entries()) expect(holds(back.columns[i]?.type ?? { kind: 'boolean' }, column.type), column.name).toBe(true);
    expect(sortRows(back).map((r) => r.map(plainDecimal))).toEqual([NARROW_ROW_WIDENED, WIDE_ROW]);
    expect(load.report).toMatchObject({ rowsDiscarded: 0, valuesDiscarded: 0, tableDiscarded: false });
    expect(load.report?.widened.some((w) => w.startsWith('n: int16 -> int64'))).toBe(true);
  });

  for (const write of writes.filter((w) => w !== 'append')) {
    test(`widening under ${write}: the ${write === 'replace' ? 'new table gets' : 'target is altered to'} the wider types and every value lands exactly`, async () => {
      const target = under().target(`widened_${write}`);
      await loadBatches(under().destination, openRequest(target, 'append', NARROW), [{ columns: NARROW, rows: [NARROW_ROW] }]);
      const load = await loadWithContract(under(), target, { columns: WIDE, rows: [WIDE_ROW], contract: 'freeze', write, primaryKey: ['id'] });
      expect(load.rows).toBe(1);
      const back = await landed(under(), target);
      for (const [i, column] of WIDE.entries()) expect(holds(back.columns[i]?.type ?? { kind: 'boolean' }, column.type), column.name).toBe(true);
      expect(sortRows(back).map((r) => r.map(plainDecimal))).toEqual(write === 'merge' ? [NARROW_ROW_WIDENED, WIDE_ROW] : [WIDE_ROW]);
    });
  }

  test('a narrower source lands in the wider target unchanged, and the target keeps its types', async () => {
    const target = under().target('kept_wide');
    await loadBatches(under().destination, openRequest(target, 'append', WIDE), [{ columns: WIDE, rows: [[1, 1n, '1.5', 'x', 0.25, null]] }]);
    const load = await loadWithContract(under(), target, { columns: NARROW, rows: [[2, 300, '99.99', 'short', 0.5, '2024-01-01T00:00:00.5']] });
    expect(load.report?.widened).toEqual([]);
    const back = await landed(under(), target);
    expect(back.columns.map((c) => c.type.kind)).toEqual(WIDE.map((c) => c.type.kind));
    expect(sortRows(back).map((r) => r.map(plainDecimal))).toEqual([[1, 1n, '1.5', 'x', 0.25, null], [2, 300n, '99.99', 'short', 0.5, '2024-01-01T00:00:00.5']]);
  });

  test('refuses a type change by default (data_type freeze), naming stream, table, column and both types; the table is unchanged', async () => {
    const target = await seedInts(under(), 'type_frozen');
    const refused = await loadWithContract(under(), target, { columns: TEXT_SOURCE, rows: TEXT_ROWS }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SchemaChangeError);
    const error = refused as SchemaChangeError;
    expect(error.message).toContain(`column "qty" of ${target.schema ? `${target.schema}.` : ''}${target.name}: source string does not fit target int32 (type change)`);
    expect(error.context.stream).toBe(target.name);
    expect(error.context.hint).toContain('schema_contract.data_type');
    expect(await landedRows(under(), 'type_frozen')).toEqual({ names: ['id', 'qty'], rows: [[1, 1]] });
  });

  test('data_type discard_row drops the rows whose value the target type cannot hold, and counts them', async () => {
    const target = await seedInts(under(), 'type_rows');
    const load = await loadWithContract(under(), target, { columns: TEXT_SOURCE, rows: TEXT_ROWS, contract: { data_type: 'discard_row' } });
    expect(load.rows).toBe(3);
    expect(await landedRows(under(), 'type_rows')).toEqual({ names: ['id', 'qty'], rows: [[1, 1], [2, 12], [4, null], [6, -7]] });
    expect(load.report).toMatchObject({ rowsDiscarded: 2, valuesDiscarded: 0, columns: { qty: { rows: 2, values: 0 } } });
  });

  test('data_type discard_value stores NULL for values the target type cannot hold, and counts them', async () => {
    const target = await seedInts(under(), 'type_values');
    const load = await loadWithContract(under(), target, { columns: TEXT_SOURCE, rows: TEXT_ROWS, contract: { data_type: 'discard_value' } });
    expect(load.rows).toBe(5);
    expect(await landedRows(under(), 'type_values')).toEqual({ names: ['id', 'qty'], rows: [[1, 1], [2, 12], [3, null], [4, null], [5, null], [6, -7]] });
    expect(load.report).toMatchObject({ rowsDiscarded: 0, valuesDiscarded: 2, columns: { qty: { rows: 0, values: 2 } } });
  });

  test('data_type evolve keeps values that fit and puts the others in a variant column qty__v_string', async () => {
    const target = await seedInts(under(), 'type_variant');
    const load = await loadWithContract(under(), target, { columns: TEXT_SOURCE, rows: TEXT_ROWS, contract: 'evolve' });
    expect(load.report?.variants).toEqual(['qty__v_string']);
    expect(await landedRows(under(), 'type_variant')).toEqual({
      names: ['id', 'qty', 'qty__v_string'],
      rows: [[1, 1, null], [2, 12, null], [3, null, 'abc'], [4, null, null], [5, null, '99999999999'], [6, -7, null]],
    });
    // A second load reuses the variant column.
    await loadWithContract(under(), target, { columns: TEXT_SOURCE, rows: [[7, 'x7']], contract: 'evolve' });
    expect((await landedRows(under(), 'type_variant')).rows.at(-1)).toEqual([7, null, 'x7']);
  });
}
