import type { Column } from '../../core/schema.js';
import { exactAs, mappedAs, type TypeFidelity } from '../../core/type-fidelity.js';
import { duckdbTypeOf } from './type-map.js';

/**
 * DuckDB has a native type for every logical kind. The one mapping: decimals
 * without a precision or with more than 38 digits (DuckDB's DECIMAL maximum)
 * are exact text in a VARCHAR column marked by a `ferry:decimal` comment.
 */
export function duckdbTypeFidelity(column: Column): TypeFidelity {
  const native = duckdbTypeOf(column);
  if (native.comment !== undefined) {
    return mappedAs(`VARCHAR (comment ${native.comment})`, 'exact decimal text: DuckDB DECIMAL holds at most 38 digits and DOUBLE would lose digits; Ferry reads it back as decimal');
  }
  return exactAs(native.sql);
}
