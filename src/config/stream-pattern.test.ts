import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { didYouMean, editDistance } from './did-you-mean.js';
import { expandColumns, matchesPattern } from './stream-pattern.js';

describe('matchesPattern', () => {
  it('matches * across schemas and ? as one character, case-sensitively', () => {
    const names = ['public.orders', 'public.order_items', 'sales.orders', 'main.customers', 'orders', 'Public.Orders'];
    const matching = (pattern: string) => names.filter((n) => matchesPattern(pattern, n));
    expect(matching('*')).toStrictEqual(names);
    expect(matching('public.*')).toStrictEqual(['public.orders', 'public.order_items']);
    expect(matching('public.order*')).toStrictEqual(['public.orders', 'public.order_items']);
    expect(matching('public.order?')).toStrictEqual(['public.orders']);
    expect(matching('main.*')).toStrictEqual(['main.customers']);
  });

  it('lets a pattern without a dot match the table part in any schema', () => {
    const names = ['public.orders', 'sales.orders', 'public.order_items', 'orders', 'public.customers'];
    expect(names.filter((n) => matchesPattern('orders', n))).toStrictEqual(['public.orders', 'sales.orders', 'orders']);
    expect(names.filter((n) => matchesPattern('order*', n))).toStrictEqual(['public.orders', 'sales.orders', 'public.order_items', 'orders']);
    expect(matchesPattern('ORDERS', 'public.orders')).toBe(false);
  });

  it('treats regular expression characters literally', () => {
    expect(matchesPattern('a+b.(x)', 'a+b.(x)')).toBe(true);
    expect(matchesPattern('a+b.(x)', 'aab.x')).toBe(false);
    expect(matchesPattern('public.t[1]', 'public.t1')).toBe(false);
  });
});

describe('expandColumns', () => {
  const available = ['id', 'status', 'secret_token', 'secret_salt', 'updated_at', 'updated_by'];

  it('keeps all columns in source order when nothing is given', () => {
    expect(expandColumns(undefined, undefined, available)).toStrictEqual(available);
  });

  it('selects names and globs in source order, then drops excluded ones', () => {
    expect(expandColumns(['updated_*', 'id'], ['updated_by'], available)).toStrictEqual(['id', 'updated_at']);
    expect(expandColumns(undefined, ['secret_*', 'not_here'], available)).toStrictEqual(['id', 'status', 'updated_at', 'updated_by']);
    expect(expandColumns(['nothing_*', 'id'], undefined, available)).toStrictEqual(['id']);
  });

  it('names unknown plain columns with did-you-mean and the available ones', () => {
    let error: unknown;
    try {
      expandColumns(['id', 'stauts', 'zzz'], undefined, available);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('columns not found in the source: "stauts" (did you mean "status"?), "zzz"');
    expect((error as ConfigError).context.hint).toBe(`available columns: ${available.join(', ')}`);
  });

  it('refuses a selection that leaves no column', () => {
    expect(() => expandColumns(['secret_*'], ['secret_*'], available)).toThrow('columns and exclude_columns leave no column to copy');
  });
});

describe('didYouMean', () => {
  it('finds typos by edits and swaps, ignores far words', () => {
    expect(editDistance('curser', 'cursor')).toBe(1);
    expect(editDistance('pirmary_key', 'primary_key')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(didYouMean('curser', ['columns', 'cursor', 'cursor_start'])).toBe('cursor');
    expect(didYouMean('WRITE', ['write'])).toBe('write');
    expect(didYouMean('destination', ['mode', 'write'])).toBeUndefined();
  });
});
