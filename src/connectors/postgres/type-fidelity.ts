import type { Column } from '../../core/schema.js';
import { exactAs, mappedAs, type TypeFidelity } from '../../core/type-fidelity.js';
import { ddlTypeOfLogical } from './type-map.js';

const JSON_TYPES = new Set(['json', 'jsonb']);
const TEXT_TYPES = /^(text|character varying|character|name|citext)\b/;

/**
 * Postgres holds every logical kind natively. The one mapping: JSON from
 * another engine lands as jsonb, which re-renders the text (whitespace, key
 * order, duplicate keys: the JSON value is kept, its spelling is not). JSON
 * from Postgres keeps its own type (json keeps the text verbatim).
 */
export function postgresTypeFidelity(column: Column): TypeFidelity {
  const fromPostgres = column.sourceEngine === 'postgres' && column.sourceType !== undefined;
  if (column.type.kind === 'json' && !(fromPostgres && JSON_TYPES.has(column.sourceType ?? ''))) {
    return mappedAs('jsonb', 'jsonb normalizes the JSON text (spaces after , and :, keys sorted by length then bytes, the last of duplicate keys kept); the JSON value is kept');
  }
  if (!fromPostgres) return exactAs(ddlTypeOfLogical(column.type));
  // Same-engine columns are created with their own type when it is built in (type-map.ts);
  // user-defined types hold their text form, which is the logical string itself.
  const carried = column.type.kind === 'string' && !TEXT_TYPES.test(column.sourceType ?? '');
  return exactAs(carried ? `${column.sourceType} (text when user-defined)` : (column.sourceType ?? ddlTypeOfLogical(column.type)));
}
