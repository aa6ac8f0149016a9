import { describe, expect, it } from 'vitest';
import type { Column, LogicalKind } from '../../core/schema.js';
import { CsvRowPatch } from './csv-row-patch.js';

const col = (name: string, kind: LogicalKind): Column => ({ name, type: { kind }, nullable: true });

/** Rewrite one row where it stands, as CopyDataOut does, between other bytes that must stay as they are. */
function patched(patch: CsvRowPatch, row: string): string {
  const buf = Buffer.concat([Buffer.from('head'), Buffer.from(row), Buffer.from('tail')]);
  const end = patch.rewrite(buf, 4, 4 + Buffer.byteLength(row));
  expect(buf.subarray(0, 4).toString()).toBe('head');
  expect(end).toBeLessThanOrEqual(4 + Buffer.byteLength(row));
  return buf.subarray(4, end).toString();
}

describe('CsvRowPatch', () => {
  const columns = [col('id', 'int64'), col('note', 'string'), col('ok', 'boolean'), col('at', 'timestamptz'), col('doc', 'json'), col('ts', 'timestamp'), col('last', 'timestamptz')];
  const patch = CsvRowPatch.for(columns) as CsvRowPatch;

  it('renders timestamps canonically in place, keeping every other field byte for byte', () => {
    expect(patched(patch, '1,plain,true,2024-01-02 03:04:05.5+00,"{""a"": ""x,y""}",2024-01-02 03:04:05,2024-01-02 03:04:05.000001+00\n')).toBe(
      '1,plain,true,2024-01-02T03:04:05.5Z,"{""a"": ""x,y""}",2024-01-02T03:04:05,2024-01-02T03:04:05.000001Z\n',
    );
    // Quoted fields holding commas, quotes, line feeds and CRs before a patched one; the empty string; BC.
    expect(patched(patch, '2,"a,""b""\nc\r",false,0044-03-15 12:00:00+00 BC,"",0001-12-31 23:59:59.999999 BC,4713-01-01 00:00:00+00 BC\n')).toBe(
      '2,"a,""b""\nc\r",false,0044-03-15T12:00:00Z BC,"",0001-12-31T23:59:59.999999 BC,4713-01-01T00:00:00Z BC\n',
    );
    // NULLs (empty fields), infinities and five- and six-digit years.
    expect(patched(patch, '3,,,infinity,,-infinity,\n')).toBe('3,,,infinity,,-infinity,\n');
    expect(patched(patch, '4,x,true,10000-01-01 00:00:00+00,null,294276-12-31 23:59:59.999999,-infinity\n')).toBe('4,x,true,10000-01-01T00:00:00Z,null,294276-12-31T23:59:59.999999,-infinity\n');
  });

  it('is only made for timestamp columns, and leaves a row after its last patched field as it is', () => {
    expect(CsvRowPatch.for([col('a', 'int64'), col('b', 'boolean'), col('c', 'bytes'), col('d', 'date')])).toBeUndefined();
    const first = CsvRowPatch.for([col('at', 'timestamp'), col('a', 'string'), col('b', 'string')]) as CsvRowPatch;
    expect(patched(first, '2024-01-02 03:04:05,"tail, with ""quotes"" and 2024-01-02 03:04:05+00",\n')).toBe('2024-01-02T03:04:05,"tail, with ""quotes"" and 2024-01-02 03:04:05+00",\n');
  });

  it('refuses text it does not expect, saying what, rather than pass it changed', () => {
    const bad: [string, RegExp][] = [
      ['1,x,t,2024-01-02 03:04:05+05:30,1,2024-01-02 03:04:05,\n', /offset other than \+00/],
      ['1,x,t,2024-01-02 03:04:05,1,2024-01-02 03:04:05,\n', /field 4 is not a timestamptz's text/],
      ['1,x,t,2024-01-02T03:04:05+00,1,2024-01-02 03:04:05,\n', /field 4 is not a timestamp's text/],
      ['1,"x,t\n', /quoted field runs past the end/],
      ['1,x\n', /the row ends in field 2, before field 4/],
      ['1,x,t,2024-01-02 03:04:05+00\n', /the row ends in field 4/],
    ];
    for (const [row, error] of bad) expect(() => patched(patch, row), row).toThrow(error);
  });
});
