import type { TargetTable } from '../../core/connector.js';
import type { Column, LogicalType, TableRef } from '../../core/schema.js';
import { readCatalog } from './catalog.js';
import type { MysqlConnection } from './client.js';
import type { ColumnDdl } from './ddl-type.js';
import { quoteIdent, quoteLiteral, quoteTable } from './identifiers.js';
import type { TypingOptions } from './type-map.js';

/**
 * The existing target as schema contracts see it, and the DDL that widens a
 * column in place. MySQL DDL commits on its own, so a widening stays even
 * when the load after it fails; it only ever makes the column wider.
 */

/** DECIMAL holds at most 65 digits; wider decimals would have to become text. */
const MAX_DECIMAL_PRECISION = 65;

/** The target table's columns (typed as Ferry's MySQL source reads them), or undefined when it does not exist yet. */
export async function describeTargetTable(connection: MysqlConnection, typing: TypingOptions, target: TableRef & { schema: string }): Promise<TargetTable | undefined> {
  const found = (await readCatalog(connection, typing, target)).find((d) => d.table.name === target.name);
  if (!found) return undefined;
  return {
    columns: found.columns,
    namesIgnoreCase: true,
    widenRefusal(_column: string, to: LogicalType): string | undefined {
      if (to.kind === 'decimal' && (to.precision === undefined || to.precision > MAX_DECIMAL_PRECISION)) return `MySQL DECIMAL holds at most ${MAX_DECIMAL_PRECISION} digits`;
      return undefined;
    },
  };
}

/** `ALTER TABLE ... MODIFY COLUMN`, keeping the column's NOT NULL and writing its `ferry:` marker. */
export function modifyColumnSql(table: TableRef, column: Column, ddl: ColumnDdl, notNull: boolean): string {
  const comment = ddl.comment !== undefined ? ` COMMENT ${quoteLiteral(ddl.comment)}` : '';
  return `ALTER TABLE ${quoteTable(table)} MODIFY COLUMN ${quoteIdent(column.name)} ${ddl.type}${notNull ? ' NOT NULL' : ' NULL'}${comment}`;
}
