import type { OpenRequest, RawFormat, ReadRequest } from '../../src/core/connector.js';
import type { Column, StreamDescriptor } from '../../src/core/schema.js';
import { quoteIdent, quoteTable } from '../../src/connectors/postgres/identifiers.js';

/** A `replace` open request for a files target named `name`, asking for raw `ferry-csv` bytes when `raw` is true, or for the raw format it names. */
export function fileOpenRequest(name: string, columns: readonly Column[], raw: boolean | RawFormat): OpenRequest {
  const rawFormat: RawFormat | undefined = raw === true ? 'ferry-csv' : raw === false ? undefined : raw;
  return { sync: 's', stream: name, runId: rawFormat ? 'raw' : 'decoded', target: { name }, columns, write: 'replace', primaryKey: [], schemaChange: 'evolve', ...(rawFormat ? { rawFormat } : {}) };
}

/** The read of `t` with the columns pass-through can render, padded to two columns (one column is refused). */
export function ferryCsvReadOf(t: StreamDescriptor, columns: readonly Column[]): ReadRequest {
  const pads = ['0 AS ferry_pad', "'' AS ferry_pad2"].slice(0, Math.max(0, 2 - columns.length));
  const list = [...columns.map((c) => quoteIdent(c.name)), ...pads].join(', ');
  return { stream: t.name, target: { kind: 'query', sql: `SELECT ${list} FROM ${quoteTable(t.table)}` }, batchSize: 1000 };
}
