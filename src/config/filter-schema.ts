import { z } from 'zod';
import { FILTER_OPS, LIST_FILTER_OPS, type FilterOp } from '../core/row-filter.js';

/**
 * `filters: [{column, op, value}]` of a stream. Numbers are kept as their YAML
 * text (see yaml-file.ts) so `9007199254740993` or `0.1` reach the column's
 * type without passing through a float; the engine parses each value with the
 * column's logical type once the source has described it.
 */
const scalar = z
  .union([z.string(), z.number().transform(String), z.boolean(), z.null()], { error: 'expected a value: text, a number, true/false or null' })
  .describe('A value compared with the column, parsed as the column\'s type (numbers exactly, timestamps with microseconds). null: see eq/ne/in/not_in.');

export const filterSchema = z
  .strictObject({
    column: z.string().min(1).describe('Source column the filter tests (it need not be among the selected columns).'),
    op: z
      .enum(FILTER_OPS)
      .describe(
        'eq, ne, gt, gte, lt, lte: compare with `value`; in, not_in: `value` is a list. NULL: eq null keeps NULL rows, ne keeps NULL rows (NULL is not the value), in/not_in may list null; gt/gte/lt/lte never match NULL.',
      ),
    value: z
      .union([scalar, z.array(scalar).min(1, { error: 'expected at least one value' })])
      .describe('The value (eq..lte) or a non-empty list of values (in, not_in), e.g. 1000, "2024-01-01", [paid, shipped].'),
  })
  .superRefine((filter, ctx) => {
    const list = Array.isArray(filter.value);
    if (LIST_FILTER_OPS.has(filter.op as FilterOp) && !list) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `op ${filter.op} needs a list of values, e.g. [a, b]` });
    } else if (!LIST_FILTER_OPS.has(filter.op as FilterOp) && list) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `op ${filter.op} takes one value; use in / not_in for a list` });
    } else if (!list && filter.value === null && filter.op !== 'eq' && filter.op !== 'ne') {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `op ${filter.op} cannot compare with null (nothing is greater or less than NULL); use eq null / ne null` });
    }
  })
  .describe('One row filter: {column, op, value}.');

export const filtersSchema = z
  .array(filterSchema)
  .optional()
  .describe('Row filters, all ANDed, applied at the source (not mode: cdc): compiled to SQL for databases (shown by --dry-run), applied while reading for files. E.g. [{column: status, op: ne, value: test}].');

export type FilterEntry = z.output<typeof filterSchema>;
