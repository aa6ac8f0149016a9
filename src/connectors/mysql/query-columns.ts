import type { FieldPacket } from 'mysql2/promise';
import { ConfigError } from '../../core/errors.js';
import type { StreamDescriptor } from '../../core/schema.js';
import type { MysqlConnection } from './client.js';
import { serverMessage } from './driver-error.js';
import { trimQuery } from './read-sql.js';
import { columnOf, type MysqlColumnInfo, type TypingOptions } from './type-map.js';

/** Column flags of the protocol's column definition. */
const FLAG = { notNull: 1, unsigned: 32, binary: 128, enum: 256, set: 2048 } as const;
const BINARY_CHARSET = 63;

/** Protocol type codes -> the information_schema DATA_TYPE they stand for. */
const DATA_TYPE_BY_CODE: ReadonlyMap<number, string> = new Map([
  [0x00, 'decimal'], [0xf6, 'decimal'], [0x01, 'tinyint'], [0x02, 'smallint'], [0x09, 'mediumint'], [0x03, 'int'],
  [0x08, 'bigint'], [0x0d, 'year'], [0x04, 'float'], [0x05, 'double'], [0x10, 'bit'], [0x0a, 'date'], [0x0e, 'date'],
  [0x0c, 'datetime'], [0x07, 'timestamp'], [0x0b, 'time'], [0xf5, 'json'], [0xff, 'geometry'],
]);

interface FieldMeta {
  readonly name: string;
  readonly columnType?: number;
  readonly flags?: number;
  readonly characterSet?: number;
  readonly columnLength?: number;
  readonly decimals?: number;
  readonly extendedTypeName?: string;
  readonly extendedFormat?: string;
}

function textType(field: FieldMeta, flags: number): string {
  if (flags & FLAG.enum) return 'enum';
  if (flags & FLAG.set) return 'set';
  const binary = field.characterSet === BINARY_CHARSET;
  const blob = field.columnType !== undefined && field.columnType >= 0xf9 && field.columnType <= 0xfc;
  if (blob) return binary ? 'longblob' : 'longtext';
  return binary ? 'varbinary' : 'varchar';
}

/** What a result field says, in catalog terms, so queries and tables type the same way. */
export function fieldInfo(field: FieldMeta): MysqlColumnInfo {
  const flags = field.flags ?? 0;
  const unsigned = flags & FLAG.unsigned ? ' unsigned' : '';
  let dataType = field.extendedTypeName === 'uuid' ? 'uuid' : (DATA_TYPE_BY_CODE.get(field.columnType ?? -1) ?? textType(field, flags));
  if (field.extendedFormat === 'json') dataType = 'json';
  let columnType = `${dataType}${unsigned}`;
  if (dataType === 'decimal') {
    const scale = field.decimals ?? 0;
    const precision = (field.columnLength ?? 11) - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1);
    columnType = `decimal(${precision},${scale})${unsigned}`;
  } else if (dataType === 'bit') {
    columnType = `bit(${field.columnLength ?? 1})`;
  }
  return { name: field.name, dataType, columnType, nullable: (flags & FLAG.notNull) === 0, comment: '', isJson: dataType === 'json' };
}

/**
 * Columns of a SQL query: run it wrapped with `LIMIT 0` (no rows are
 * produced) and type each result field. Every column is nullable: a query's
 * nullability is not reliably known.
 */
export async function describeQuery(connection: MysqlConnection, sql: string, options: TypingOptions): Promise<StreamDescriptor> {
  let fields: FieldPacket[];
  try {
    [, fields] = await connection.query(`SELECT * FROM (${trimQuery(sql)}) q LIMIT 0`);
  } catch (error) {
    throw new ConfigError(`the query does not run: ${serverMessage(error)}`, {
      hint: 'the query must be a single SELECT (it is wrapped as a subquery); run it in the mysql client to check it',
      cause: error,
    });
  }
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) throw new ConfigError(`the query returns two columns named "${f.name}"`, { hint: 'give each output column a unique alias (AS name)' });
    seen.add(f.name);
  }
  const columns = fields.map((f) => ({ ...columnOf(fieldInfo(f as unknown as FieldMeta), options), nullable: true }));
  return { name: 'query', table: { name: 'query' }, columns, primaryKey: [] };
}
