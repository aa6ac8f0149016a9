import { describe, expect, it } from 'vitest';
import type { Column, LogicalKind } from '../../core/schema.js';
import { CsvRowPatch } from './csv-row-patch.js';

const col = (name: string, kind: LogicalKind): Column => ({ name, type: { kind }, nullable: true });

/** Rewrite one row as CopyDataOut does: into a buffer with room for the row and the patch's growth, after some bytes already there. */
function patched(patch: CsvRowPatch, row: string): string {
  const src = Buffer.concat([Buffer.from('junk'), Buffer.from(row)]);
  const out = Buffer.alloc(3 + row.length + patch.growth, 0x3f);
  const end = patch.rewrite(src, 4, src.length, out, 3);
  expect(end).toBeLessThanOrEqual(out.length);
  expect(out.subarray(0, 3).toString()).toBe('???');
  return out.subarray(3, end).toString();
}

describe('CsvRowPatch', () => {
  const columns = [col('id', 'int64'), col('note', 'string'), col('ok', 'boolean'), col('at', 'timestamptz'), col('doc', 'json'), col('ts', 'timestamp'), col('last', 'boolean')];
  const patch = CsvRowPatch.for(columns) as CsvRowPatch;

  it('renders booleans and timestamps canonically, keeping every other field byte for byte', () => {
    expect(patch.growth).toBe(8);
    expect(patched(patch, '1,plain,t,2024-01-02 03:04:05.5+00,"{""a"": ""x,y""}",2024-01-02 03:04:05,f\n')).toBe(
      '1,plain,true,2024-01-02T03:04:05.5Z,"{""a"": ""x,y""}",2024-01-02T03:04:05,false\n',
    );
    // Quoted fields holding commas, quotes, line feeds and CRs before a patched one; the empty string.
    expect(patched(patch, '2,"a,""b""\nc\r",f,0044-03-15 12:00:00+00 BC,"",0001-12-31 23:59:59.999999 BC,t\n')).toBe(
      '2,"a,""b""\nc\r",false,0044-03-15T12:00:00Z BC,"",0001-12-31T23:59:59.999999 BC,true\n',
    );
    // NULLs (empty fields), infinities and five-digit years.
    expect(patched(patch, '3,,,infinity,,-infinity,\n')).toBe('3,,,infinity,,-infinity,\n');
    expect(patched(patch, '4,x,t,10000-01-01 00:00:00+00,null,294276-12-31 23:59:59.999999,f\n')).toBe('4,x,true,10000-01-01T00:00:00Z,null,294276-12-31T23:59:59.999999,false\n');
    expect(patched(patch, '5,x,,-infinity,1,infinity,t\n')).toBe('5,x,,-infinity,1,infinity,true\n');
  });

  it('is not made for columns that need none, and leaves the rest of a row after its last patched field as it is', () => {
    expect(CsvRowPatch.for([col('a', 'int64'), col('b', 'string'), col('c', 'bytes')])).toBeUndefined();
    const first = CsvRowPatch.for([col('flag', 'boolean'), col('a', 'string'), col('b', 'string')]) as CsvRowPatch;
    expect(patched(first, 'f,"tail, with ""quotes""",\n')).toBe('false,"tail, with ""quotes""",\n');
  });

  it('refuses text it does not expect, saying what, rather than pass it changed', () => {
    const bad: [string, RegExp][] = [
      ['1,x,yes,2024-01-02 03:04:05+00,1,2024-01-02 03:04:05,t\n', /field 3 is not a boolean's text/],
      ['1,x,t,2024-01-02 03:04:05+05:30,1,2024-01-02 03:04:05,t\n', /offset other than \+00/],
      ['1,x,t,2024-01-02 03:04:05,1,2024-01-02 03:04:05,t\n', /field 4 is not a timestamp's text/],
      ['1,x,t,2024-01-02T03:04:05+00,1,2024-01-02 03:04:05,t\n', /field 4 is not a timestamp's text/],
      ['1,"x,t\n', /quoted field runs past the end/],
      ['1,x\n', /the row ends in field 2, before field 3/],
      ['1,x,t,2024-01-02 03:04:05+00\n', /the row ends in field 4/],
    ];
    for (const [row, error] of bad) expect(() => patched(patch, row), row).toThrow(error);
  });
});
