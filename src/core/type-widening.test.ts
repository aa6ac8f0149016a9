import { describe, expect, it } from 'vitest';
import type { LogicalType } from './schema.js';
import { compareTypes, holds, joinTypes } from './type-widening.js';
import { fitValue, NO_FIT } from './value-fit.js';

const t = (kind: LogicalType['kind'], extra: Omit<LogicalType, 'kind'> = {}): LogicalType => ({ kind, ...extra });
const dec = (precision?: number, scale?: number): LogicalType => (precision === undefined ? t('decimal') : t('decimal', { precision, scale: scale ?? 0 }));

describe('type widening', () => {
  it('lets a target hold narrower integers, floats, decimals, strings and time precisions', () => {
    expect(holds(t('int64'), t('int16'))).toBe(true);
    expect(holds(t('int32'), t('int64'))).toBe(false);
    expect(holds(dec(12, 2), t('int32'))).toBe(true);
    expect(holds(dec(11, 2), t('int32'))).toBe(false);
    expect(holds(t('int32'), dec(9, 0))).toBe(true);
    expect(holds(t('int32'), dec(10, 0))).toBe(false);
    expect(holds(t('float64'), t('int32'))).toBe(true);
    expect(holds(t('float64'), t('int64'))).toBe(false);
    expect(holds(dec(14, 4), dec(12, 2))).toBe(true);
    expect(holds(dec(14, 4), dec(13, 2))).toBe(false);
    expect(holds(dec(), dec(40, 10))).toBe(true);
    expect(holds(dec(40, 10), dec())).toBe(false);
    expect(holds(t('string'), t('string', { length: 5 }))).toBe(true);
    expect(holds(t('string', { length: 4 }), t('string', { length: 5 }))).toBe(false);
    expect(holds(t('timestamp'), t('timestamp', { precision: 3 }))).toBe(true);
    expect(holds(t('timestamp', { precision: 3 }), t('timestamp'))).toBe(false);
    expect(holds(t('timestamptz'), t('timestamp'))).toBe(false);
  });

  it('widens to the smallest type holding both, within a family only', () => {
    expect(compareTypes(t('int64'), t('int16'))).toEqual({ kind: 'widen', to: t('int64') });
    expect(compareTypes(t('int64'), dec(12, 2))).toEqual({ kind: 'widen', to: dec(21, 2) });
    expect(compareTypes(dec(20, 4), dec(12, 2))).toEqual({ kind: 'widen', to: dec(20, 4) });
    expect(compareTypes(dec(12, 2), dec(12, 4))).toEqual({ kind: 'widen', to: dec(14, 4) });
    expect(compareTypes(dec(), dec(12, 4))).toEqual({ kind: 'widen', to: dec() });
    expect(compareTypes(t('float64'), t('float32'))).toEqual({ kind: 'widen', to: t('float64') });
    expect(compareTypes(t('string', { length: 40 }), t('string', { length: 5 }))).toEqual({ kind: 'widen', to: t('string', { length: 40 }) });
    expect(compareTypes(t('time'), t('time', { precision: 0 }))).toEqual({ kind: 'widen', to: t('time') });
    expect(joinTypes(t('time', { precision: 3 }), t('time', { precision: 0 }))).toEqual(t('time', { precision: 3 }));
    expect(compareTypes(t('string'), t('int32'))).toEqual({ kind: 'unsafe', reason: 'type change' });
    expect(compareTypes(t('float64'), dec(12, 2))).toEqual({ kind: 'unsafe', reason: 'type change' });
    expect(compareTypes(t('timestamptz'), t('timestamp'))).toEqual({ kind: 'unsafe', reason: 'type change' });
    expect(joinTypes(t('int64'), t('float64'))).toBeUndefined();
  });
});

describe('fitValue', () => {
  it('converts exactly or refuses: integers, decimals, floats', () => {
    expect(fitValue(7, t('int16'), t('int64'))).toBe(7n);
    expect(fitValue(5_000_000_000n, t('int64'), t('int32'))).toBe(NO_FIT);
    expect(fitValue('-12.000', dec(), t('int32'))).toBe(-12);
    expect(fitValue('12.5', dec(), t('int32'))).toBe(NO_FIT);
    expect(fitValue('0012.50', t('string'), dec(4, 1))).toBe('12.5');
    expect(fitValue('12.55', dec(), dec(4, 1))).toBe(NO_FIT);
    expect(fitValue('123.4', dec(), dec(4, 1))).toBe('123.4');
    expect(fitValue('1234.5', dec(), dec(4, 1))).toBe(NO_FIT);
    expect(fitValue('-0.00', dec(), dec(4, 1))).toBe('0');
    expect(fitValue('NaN', dec(), dec(4, 1))).toBe(NO_FIT);
    expect(fitValue('NaN', dec(), dec())).toBe('NaN');
    expect(fitValue(1e21, t('float64'), dec())).toBe('1000000000000000000000');
    expect(fitValue(1.5e-7, t('float64'), dec())).toBe('0.00000015');
    expect(fitValue(0.1, t('float64'), t('float32'))).toBe(NO_FIT);
    expect(fitValue(0.5, t('float64'), t('float32'))).toBe(0.5);
    expect(fitValue(0.1, t('float32'), t('float64'))).toBe(0.10000000149011612);
    expect(fitValue(9007199254740993n, t('int64'), t('float64'))).toBe(NO_FIT);
    expect(fitValue(true, t('boolean'), t('int32'))).toBe(NO_FIT);
  });

  it('counts characters for string lengths and keeps time precision', () => {
    expect(fitValue('ça va', t('string'), t('string', { length: 5 }))).toBe('ça va');
    expect(fitValue('ça va!', t('string'), t('string', { length: 5 }))).toBe(NO_FIT);
    expect(fitValue(12n, t('int64'), t('string', { length: 2 }))).toBe('12');
    expect(fitValue(new Uint8Array([1]), t('bytes'), t('string'))).toBe(NO_FIT);
    expect(fitValue('2024-01-01T00:00:00.123456', t('timestamp'), t('timestamp', { precision: 3 }))).toBe(NO_FIT);
    expect(fitValue('2024-01-01T00:00:00.123', t('timestamp'), t('timestamp', { precision: 3 }))).toBe('2024-01-01T00:00:00.123');
    expect(fitValue('2024-01-01T00:00:00', t('timestamp'), t('date'))).toBe('2024-01-01');
    expect(fitValue('2024-01-01T00:00:01', t('timestamp'), t('date'))).toBe(NO_FIT);
    expect(fitValue('2024-01-01', t('date'), t('timestamp'))).toBe('2024-01-01T00:00:00');
    expect(fitValue('2024-01-01T00:00:00Z', t('timestamptz'), t('timestamp'))).toBe(NO_FIT);
    expect(fitValue('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', t('string'), t('uuid'))).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(fitValue('{"a":1}', t('string'), t('json'))).toBe('{"a":1}');
    expect(fitValue('{a:1}', t('string'), t('json'))).toBe(NO_FIT);
    expect(fitValue(null, t('string'), t('int32'))).toBeNull();
  });
});
