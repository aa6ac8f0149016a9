import type { TableChanges } from '../core/change-capture.js';
import type { Column, Value } from '../core/schema.js';

/**
 * Consecutive changes of one table grouped into runs a destination can apply
 * with one set-based statement each, in source order:
 * - upserts with the same present columns (an unchanged TOAST value leaves its
 *   column out), deduplicated by key: within a run the last image wins, which
 *   is what applying them one by one would leave;
 * - deletes, deduplicated by key;
 * - a truncate.
 * A run never reorders changes of one key across runs, so applying the runs in
 * order equals applying the changes in order.
 */
export type ChangeRun =
  /** `inserts`: every change of the run was a source INSERT of a distinct key. */
  | { readonly op: 'upsert'; readonly columns: readonly Column[]; readonly rows: readonly UpsertRow[]; readonly inserts: boolean }
  | { readonly op: 'delete'; readonly keys: readonly KeyRow[] }
  | { readonly op: 'truncate' };

export interface UpsertRow {
  readonly values: readonly Value[];
  readonly lsn: bigint;
}

export interface KeyRow {
  readonly key: readonly Value[];
  readonly lsn: bigint;
}

type Building =
  | { op: 'upsert'; relation: readonly Column[]; mask: string; columns: Column[]; rows: Map<string, UpsertRow>; keyIndex: number[]; inserts: boolean }
  | { op: 'delete'; keys: Map<string, KeyRow> };

/** Group a table's changes into runs (see ChangeRun). */
export function changeRuns(table: TableChanges): ChangeRun[] {
  const runs: ChangeRun[] = [];
  let building: Building | undefined;
  const flush = (): void => {
    if (building?.op === 'upsert') runs.push({ op: 'upsert', columns: building.columns, rows: [...building.rows.values()], inserts: building.inserts });
    if (building?.op === 'delete') runs.push({ op: 'delete', keys: [...building.keys.values()] });
    building = undefined;
  };
  for (const { lsn, columns, change } of table.changes) {
    if (change.op === 'truncate') {
      flush();
      runs.push({ op: 'truncate' });
      continue;
    }
    if (change.op === 'delete') {
      if (building?.op !== 'delete') {
        flush();
        building = { op: 'delete', keys: new Map() };
      }
      building.keys.set(change.key.length === 1 ? singleKeyText(change.key[0] ?? null) : keyText(change.key), { key: change.key, lsn });
      continue;
    }
    // Rows without unchanged TOAST values (the common case) share the relation's columns: no per-row work.
    const mask = unchangedMask(change.row);
    if (building?.op !== 'upsert' || building.relation !== columns || building.mask !== mask) {
      flush();
      const present = columns.filter((_, i) => change.row[i] !== undefined);
      const names = present.map((c) => c.name);
      building = { op: 'upsert', relation: columns, mask, columns: present, rows: new Map(), keyIndex: table.target.primaryKey.map((k) => names.indexOf(k)), inserts: true };
    }
    const values = mask === '' ? (change.row as readonly Value[]) : change.row.filter((v): v is Value => v !== undefined);
    const key = building.keyIndex.length === 1 ? singleKeyText(values[building.keyIndex[0] ?? -1] ?? null) : keyText(building.keyIndex.map((i) => values[i] ?? null));
    if (change.insert !== true || building.rows.has(key)) building.inserts = false;
    building.rows.set(key, { values, lsn });
  }
  flush();
  return runs;
}

/** Positions of unchanged (undefined) values, '' when there are none. */
function unchangedMask(row: readonly (Value | undefined)[]): string {
  let mask = '';
  for (let i = 0; i < row.length; i++) if (row[i] === undefined) mask += `${i},`;
  return mask;
}

/** A key as text, for deduplication (type-tagged so 1 and "1" differ). */
export function keyText(key: readonly Value[]): string {
  return JSON.stringify(key.map((v) => (v instanceof Uint8Array ? `b:${Buffer.from(v).toString('hex')}` : `${typeof v}:${String(v)}`)));
}

/**
 * A one-column key as text, cheaper than `keyText` on the hot path (a
 * type-tagged value; never equal to a `keyText`, which starts with `[`).
 */
function singleKeyText(value: Value): string {
  switch (typeof value) {
    case 'string':
      return `s${value}`;
    case 'number':
      return `n${value}`;
    case 'bigint':
      return `b${value}`;
    default:
      return keyText([value]);
  }
}
