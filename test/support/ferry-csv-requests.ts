import type { OpenRequest, ReadRequest } from '../../src/core/connector.js';
import type { Column, StreamDescriptor } from '../../src/core/schema.js';
import { quoteIdent, quoteTable } from '../../src/connectors/postgres/identifiers.js';

/** A `replace` open request for a files target named `name`, asking for raw `ferry-csv` bytes when `raw`. */
export function fileOpenRequest(name: string, columns: readonly Column[], raw: boolean): OpenRequest {
  return { sync: 's', stream: name, runId: raw ? 'raw' : 'decoded', target: { name }, columns, write: 'replace', primaryKey: [], schemaChange: 'evolve', ...(raw ? { rawFormat: 'ferry-csv' as const } : {}) };
}

/** The read of `t` with the columns pass-through can render, padded to two columns (one column is refused). */
export function ferryCsvReadOf(t: StreamDescriptor, columns: readonly Column[]): ReadRequest {
  const pads = ['0 AS ferry_pad', "'' AS ferry_pad2"].slice(0, Math.max(0, 2 - columns.length));
  const list = [...columns.map((c) => quoteIdent(c.name)), ...pads].join(', ');
  return { stream: t.name, target: { kind: 'query', sql: `SELECT ${list} FROM ${quoteTable(t.table)}` }, batchSize: 1000 };
}
