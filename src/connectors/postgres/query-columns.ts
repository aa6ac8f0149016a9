import type pg from 'pg';
import { ConfigError } from '../../core/errors.js';
import type { StreamDescriptor } from '../../core/schema.js';
import { errorCode, serverMessage } from './driver-error.js';
import { trimQuery } from './read-sql.js';
import { columnOf } from './type-map.js';

interface FieldTypeRow {
  readonly type: string;
  readonly typname: string;
}

/**
 * Columns of a SQL query: run it with `LIMIT 0` (no rows are produced) and name
 * the result's field types with format_type, in one extra catalog query.
 * Nullability is unknown for query results, so every column is nullable.
 */
export async function describeQuery(client: pg.ClientBase, sql: string): Promise<StreamDescriptor> {
  let fields: readonly pg.FieldDef[];
  try {
    fields = (await client.query(`SELECT * FROM (${trimQuery(sql)}) q LIMIT 0`)).fields;
  } catch (error) {
    throw new ConfigError(`the query does not run: ${serverMessage(error)}`, {
      hint: errorCode(error) === '42601' ? 'the query must be a single SELECT (it is wrapped as a subquery)' : 'run it in psql to check it',
      cause: error,
    });
  }
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) {
      throw new ConfigError(`the query returns two columns named "${f.name}"`, { hint: 'give each output column a unique alias (AS name)' });
    }
    seen.add(f.name);
  }
  const types = await client.query<FieldTypeRow>(
    `SELECT format_type(u.o, u.m) AS type, t.typname FROM unnest($1::oid[], $2::int[]) WITH ORDINALITY AS u(o, m, i)
     JOIN pg_type t ON t.oid = u.o ORDER BY u.i`,
    [fields.map((f) => f.dataTypeID), fields.map((f) => f.dataTypeModifier)],
  );
  const columns = fields.map((f, i) => {
    const t = types.rows[i];
    return columnOf(f.name, { oid: f.dataTypeID, typmod: f.dataTypeModifier, typname: t?.typname ?? '' }, t?.type ?? 'text', true);
  });
  return { name: 'query', table: { name: 'query' }, columns, primaryKey: [] };
}
