import { describe, expect, it } from 'vitest';
import {
  canonicalDecimal,
  canonicalTime,
  canonicalTimestamp,
  canonicalTimestamptz,
  canonicalTimetz,
  canonicalUuid,
  compareValues,
  decodeValue,
  encodeValue,
  microsToTimestamp,
  parseUserValue,
  timestampMicros,
} from './values.js';

describe('canonical values', () => {
  it('timestamps keep microseconds and trim trailing zeros', () => {
    expect(canonicalTimestamp('2024-01-02 03:04:05.120000')).toBe('2024-01-02T03:04:05.12');
    expect(canonicalTimestamp('2024-01-02T03:04:05')).toBe('2024-01-02T03:04:05');
    expect(canonicalTimestamp('0044-03-15 12:00:00 BC')).toBe('0044-03-15T12:00:00 BC');
    expect(() => canonicalTimestamp('yesterday')).toThrow('not a timestamp');
  });

  it('timestamptz are normalized to UTC exactly, including +05:45 and microseconds', () => {
    expect(canonicalTimestamptz('2024-01-02 03:04:05.000001+05:45')).toBe('2024-01-01T21:19:05.000001Z');
    expect(canonicalTimestamptz('2024-01-02 03:04:05+00')).toBe('2024-01-02T03:04:05Z');
    expect(canonicalTimestamptz('2024-12-31T23:30:00-01')).toBe('2025-01-01T00:30:00Z');
    expect(canonicalTimestamptz('infinity')).toBe('infinity');
  });

  it('times and timetz', () => {
    expect(canonicalTime('12:34')).toBe('12:34:00');
    expect(canonicalTime('12:34:56.789000')).toBe('12:34:56.789');
    expect(canonicalTimetz('12:34:56.5+05:45')).toBe('12:34:56.5+05:45');
    expect(canonicalTimetz('12:34:56-03')).toBe('12:34:56-03:00');
  });

  it('decimals never pass through floats and keep their scale', () => {
    expect(canonicalDecimal('00012.340')).toBe('12.340');
    expect(canonicalDecimal('-0.0')).toBe('0.0');
    expect(canonicalDecimal('1.5e3')).toBe('1500');
    expect(canonicalDecimal('12345678901234567890123456789.123456789')).toBe('12345678901234567890123456789.123456789');
    expect(canonicalDecimal('1.25E-3')).toBe('0.00125');
    expect(canonicalDecimal('NaN')).toBe('NaN');
    expect(() => canonicalDecimal('1,5')).toThrow('not a decimal');
  });

  it('uuids are lower case and hyphenated', () => {
    expect(canonicalUuid('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11')).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(canonicalUuid('{a0eebc999c0b4ef8bb6d6bb9bd380a11}')).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
  });

  it('microseconds round-trip through bigint', () => {
    const text = '1969-12-31T23:59:59.999999Z';
    expect(microsToTimestamp(timestampMicros(text), true)).toBe(text);
    expect(microsToTimestamp(1_700_000_000_123_456n, false)).toBe('2023-11-14T22:13:20.123456');
    const far = '12345-06-07T08:09:10.5Z';
    expect(microsToTimestamp(timestampMicros(far), true)).toBe(far);
  });

  it('handles years before 100, BC and infinity without Date', () => {
    // Date.UTC maps years 0-99 to 1900-1999; the civil arithmetic does not.
    expect(canonicalTimestamptz('0044-03-15 12:00:00+05:45')).toBe('0044-03-15T06:15:00Z');
    expect(timestampMicros('0044-03-15T00:00:00')).toBeLessThan(timestampMicros('1944-03-15T00:00:00'));
    expect(microsToTimestamp(timestampMicros('0044-03-15T12:00:00.5Z BC'), true)).toBe('0044-03-15T12:00:00.5Z BC');
    expect(compareValues('timestamp', '0044-03-15T00:00:00 BC', '0044-03-15T00:00:00')).toBeLessThan(0);
    expect(compareValues('timestamptz', 'infinity', '9999-12-31T23:59:59.999999Z')).toBeGreaterThan(0);
    expect(compareValues('timestamptz', '-infinity', '0001-01-01T00:00:00Z BC')).toBeLessThan(0);
    expect(compareValues('timestamp', 'infinity', 'infinity')).toBe(0);
  });

  it('compares like a database', () => {
    expect(compareValues('decimal', '10.5', '9.99')).toBeGreaterThan(0);
    expect(compareValues('decimal', '-10.5', '-9.99')).toBeLessThan(0);
    expect(compareValues('decimal', '1.50', '1.5')).toBe(0);
    expect(compareValues('int64', 9007199254740993n, 9007199254740992n)).toBeGreaterThan(0);
    expect(compareValues('timestamptz', '2024-01-01T00:00:00.000002Z', '2024-01-01T00:00:00.000001Z')).toBeGreaterThan(0);
    expect(compareValues('bytes', Buffer.from([1, 2]), Buffer.from([1, 2, 0]))).toBeLessThan(0);
  });

  it('encodes losslessly for checkpoints', () => {
    expect(decodeValue({ kind: 'int64' }, encodeValue(-9223372036854775808n))).toBe(-9223372036854775808n);
    expect(decodeValue({ kind: 'bytes' }, encodeValue(Buffer.from([0, 255])))).toEqual(Buffer.from([0, 255]));
    expect(decodeValue({ kind: 'float64' }, encodeValue(0.1))).toBe(0.1);
  });

  it('parses user-given cursor values', () => {
    expect(parseUserValue({ kind: 'timestamptz' }, '2024-01-01')).toBe('2024-01-01T00:00:00Z');
    expect(parseUserValue({ kind: 'timestamptz' }, '2024-01-01T05:45:00+05:45')).toBe('2024-01-01T00:00:00Z');
    expect(parseUserValue({ kind: 'timestamp' }, '2024-01-01')).toBe('2024-01-01T00:00:00');
    expect(parseUserValue({ kind: 'int64' }, '42')).toBe(42n);
    expect(() => parseUserValue({ kind: 'int64' }, '4.2')).toThrow('not an integer');
  });
});
