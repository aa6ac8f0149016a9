import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../core/errors.js';
import { col, contextAt, failureOf, FIXTURES, filesDestination, filesSource, readAll, scratchProject, writeAll } from './test-support.js';
import { filesConnector } from './index.js';

const SPECTRUM = join(FIXTURES, 'csv-spectrum');
let project: { dir: string; dispose: () => Promise<void> };

beforeAll(async () => {
  project = await scratchProject();
});
afterAll(() => project.dispose());

async function put(name: string, text: string | Buffer): Promise<void> {
  await writeFile(join(project.dir, name), text);
}

describe('csv-spectrum', async () => {
  const cases = (await readdir(join(SPECTRUM, 'csvs'))).filter((f) => f.endsWith('.csv')).sort();

  it('has all 11 cases', () => {
    expect(cases).toHaveLength(11);
    expect(cases).toContain('empty_crlf.csv');
    expect(cases).toContain('newlines_crlf.csv');
  });

  for (const name of cases) {
    it(`${name} parses to ../json/${name.replace('.csv', '.json')}`, async () => {
      const expected = JSON.parse(await readFile(join(SPECTRUM, 'json', name.replace('.csv', '.json')), 'utf8')) as Record<string, string>[];
      const source = filesSource(SPECTRUM, { path: 'csvs', csv: { infer_types: false } });
      const { columns, rows } = await readAll(source, name);
      const objects = rows.map((row) => Object.fromEntries(columns.map((c, i) => [c.name, row[i]])));
      expect(objects).toEqual(expected);
      expect(columns.every((c) => c.type.kind === 'string')).toBe(true);
    });
  }
});

describe('malformed CSV', () => {
  it('names the file and the line of an unclosed quote', async () => {
    await put('unclosed.csv', 'id,name\n1,ann\n2,bob\n3,"carl\n4,dora\n5,eve\n');
    const error = await failureOf(readAll(filesSource(project.dir, { path: '.' }), 'unclosed.csv'));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toContain('unclosed.csv');
    expect(error.message).toContain('line 4');
    expect((error as DataError).context.line).toBe(4);
  });

  it('names the file and line of a record with too many fields', async () => {
    await put('ragged.csv', 'a,b\n1,2\n3,4\n5,6,7\n8,9\n');
    const error = await failureOf(readAll(filesSource(project.dir, { path: '.' }), 'ragged.csv'));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toMatch(/ragged\.csv: line 4/);
  });
});

describe('type inference', () => {
  it('keeps leading zeros and plus signs as strings, decimals with their trailing zeros', async () => {
    await put('types.csv', 'zip,amount,qty,flag,day,at,at_tz,plus\n00123,1.50,7,true,2024-02-29,2024-01-02 03:04:05.120,2024-01-02T03:04:05+05:45,+5\n01000,-2.000,-12,false,2023-12-31,2024-01-02T00:00:00,2024-01-02 00:00:00Z,+6\n');
    const { columns, rows } = await readAll(filesSource(project.dir, { path: '.' }), 'types.csv');
    expect(columns.map((c) => c.type.kind)).toEqual(['string', 'decimal', 'int64', 'boolean', 'date', 'timestamp', 'timestamptz', 'string']);
    expect(rows).toEqual([
      ['00123', '1.50', 7n, true, '2024-02-29', '2024-01-02T03:04:05.12', '2024-01-01T21:19:05Z', '+5'],
      ['01000', '-2.000', -12n, false, '2023-12-31', '2024-01-02T00:00:00', '2024-01-02T00:00:00Z', '+6'],
    ]);
  });

  it('types an integer beyond int64 as decimal and keeps every digit', async () => {
    await put('big.csv', 'n\n9223372036854775807\n9223372036854775808\n');
    const { columns, rows } = await readAll(filesSource(project.dir, { path: '.' }), 'big.csv');
    expect(columns[0]?.type.kind).toBe('decimal');
    expect(rows).toEqual([['9223372036854775807'], ['9223372036854775808']]);
  });

  it('reads an unquoted empty field as NULL and a quoted one as the empty string', async () => {
    await put('nulls.csv', 'a,b\n,""\nx,y\n');
    const { rows } = await readAll(filesSource(project.dir, { path: '.' }), 'nulls.csv');
    expect(rows).toEqual([[null, ''], ['x', 'y']]);
  });

  it('fails on a value after the sample that does not fit, naming file, line and column', async () => {
    const lines = ['id,code'];
    for (let i = 1; i <= 20; i++) lines.push(`${i},${100 + i}`);
    lines.push('21,0042');
    await put('late.csv', `${lines.join('\n')}\n`);
    const source = filesSource(project.dir, { path: '.', csv: { sample_rows: 10 } });
    const error = await failureOf(readAll(source, 'late.csv'));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toContain('late.csv: line 22, column "code"');
    expect(error.message).toContain('"0042"');
    expect((error as DataError).context.hint).toContain('column_types');
    expect((error as DataError).context.hint).toContain('infer_types: false');
  });

  it('obeys column_types and infer_types: false', async () => {
    const { rows, columns } = await readAll(filesSource(project.dir, { path: '.', csv: { sample_rows: 10, column_types: { code: 'string' } } }), 'late.csv');
    expect(columns.map((c) => c.type.kind)).toEqual(['int64', 'string']);
    expect(rows.at(-1)).toEqual([21n, '0042']);
    const plain = await readAll(filesSource(project.dir, { path: '.', csv: { infer_types: false } }), 'late.csv');
    expect(plain.rows.at(-1)).toEqual(['21', '0042']);
  });

  it('honours delimiter, skip_rows, header: false with columns, and a BOM', async () => {
    await put('semi.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('# exported\r\n1;"a;b"\r\n2;c\r\n')]));
    const source = filesSource(project.dir, { path: '.', csv: { delimiter: ';', skip_rows: 1, header: false, columns: ['id', 'text'] } });
    const { columns, rows } = await readAll(source, 'semi.csv');
    expect(columns.map((c) => c.name)).toEqual(['id', 'text']);
    expect(rows).toEqual([[1n, 'a;b'], [2n, 'c']]);
  });
});

describe('gzip, globs, cursor', () => {
  it('reads a gzipped CSV by its .gz extension', async () => {
    await put('zipped.csv.gz', gzipSync('k,v\n1,one\n2,two\n'));
    const { rows } = await readAll(filesSource(project.dir, { path: '.' }), 'zipped.csv.gz');
    expect(rows).toEqual([[1n, 'one'], [2n, 'two']]);
  });

  it('reads every file of a glob in sorted order as one stream', async () => {
    await put('part-b.csv', 'id,v\n3,c\n');
    await put('part-a.csv', 'id,v\n1,a\n2,b\n');
    await put('part-c.csv.gz', gzipSync('id,v\n4,d\n'));
    const { rows } = await readAll(filesSource(project.dir, { path: '.' }), 'part-*.csv*');
    expect(rows).toEqual([[1n, 'a'], [2n, 'b'], [3n, 'c'], [4n, 'd']]);
  });

  it('names the file whose columns differ from the first file of a glob', async () => {
    await put('mix-1.csv', 'id,v\n1,a\n');
    await put('mix-2.csv', 'id,w\n2,b\n');
    const error = await failureOf(readAll(filesSource(project.dir, { path: '.' }), 'mix-*.csv'));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toContain('mix-2.csv');
  });

  it('applies an inclusive cursor with NULLs on request, and refuses where', async () => {
    await put('events.csv', 'id,at\n1,2024-01-01 00:00:00\n2,\n3,2024-01-03 00:00:00\n4,2024-01-02 00:00:00\n');
    const source = filesSource(project.dir, { path: '.' });
    const cursor = { column: 'at', type: { kind: 'timestamp' as const }, from: '2024-01-02T00:00:00', includeNulls: true };
    const { rows } = await readAll(source, 'events.csv', { cursor, columns: ['id'] });
    expect(rows).toEqual([[2n], [3n], [4n]]);
    expect(await source.count({ stream: 'events', target: { kind: 'table', table: { name: 'events.csv' } }, cursor: { ...cursor, includeNulls: false }, batchSize: 10 })).toBe(2);
    const error = await failureOf(readAll(source, 'events.csv', { where: 'id > 1' }));
    expect(error.message).toContain('where');
    expect(error.message).toContain('events.csv');
  });

  it('discovers files recursively with inferred columns', async () => {
    const dir = await scratchProject();
    try {
      await writeFile(join(dir.dir, 'a.csv'), 'x\n1\n');
      const { mkdir } = await import('node:fs/promises');
      await mkdir(join(dir.dir, 'sub'));
      await writeFile(join(dir.dir, 'sub', 'b.jsonl'), '{"y":"2024-01-01"}\n');
      await writeFile(join(dir.dir, 'notes.txt'), 'hello');
      const found = await filesSource(dir.dir, { path: '.' }).discover();
      expect(found.map((s) => [s.name, s.columns.map((c) => `${c.name}:${c.type.kind}`)])).toEqual([
        ['a.csv', ['x:int64']],
        ['sub/b.jsonl', ['y:date']],
      ]);
      await filesConnector.check(filesConnector.configSchema.parse({ path: 'not-yet' }), contextAt(dir.dir));
    } finally {
      await dir.dispose();
    }
  });
});

/** A full garbage collection, so heap figures show what is retained rather than garbage not yet collected. */
function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('memory', () => {
  it('streams a 500k-line CSV in batches without buffering the file', async () => {
    const path = join(project.dir, 'large.csv');
    const { createWriteStream } = await import('node:fs');
    const out = createWriteStream(path);
    out.write('id,name,amount,at\n');
    for (let i = 0; i < 500_000; i++) {
      const line = `${i},name-${i % 977},${(i % 10_000) / 100}.5,2024-01-01 00:00:${String(i % 60).padStart(2, '0')}\n`;
      if (!out.write(line)) await new Promise<void>((drained) => out.once('drain', () => drained()));
    }
    await new Promise((done) => out.end(done));
    const source = filesSource(project.dir, { path: '.' });
    const collect = forceGc();
    collect();
    collect();
    const before = process.memoryUsage().heapUsed;
    const retained: number[] = [];
    let rows = 0;
    let batches = 0;
    let last: unknown;
    for await (const batch of source.read({ stream: 'large', target: { kind: 'table', table: { name: 'large.csv' } }, batchSize: 5000 }, new AbortController().signal)) {
      rows += batch.rows.length;
      batches++;
      last = batch.rows.at(-1)?.[0];
      if (batches % 25 === 0) {
        collect();
        retained.push(process.memoryUsage().heapUsed - before);
      }
    }
    expect(rows).toBe(500_000);
    expect(batches).toBe(100);
    expect(last).toBe(499_999n);
    // The file is ~22 MB (44 MB as a JS string, ~90 MB as rows): what stays alive mid-read must be far less.
    console.log(`retained heap mid-read (MB): ${retained.map((b) => (b / 1e6).toFixed(1)).join(", ")}`);
    expect(Math.max(...retained)).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);
});

describe('tab-separated files', () => {
  it('reads and writes .tsv with a tab unless a delimiter is configured', async () => {
    await put('people.tsv', 'id\tname\n1\tann, jr\n2\tbob\n');
    const read = await readAll(filesSource(project.dir, { path: '.', csv: { infer_types: false } }), 'people.tsv');
    expect(read.columns.map((c) => c.name)).toEqual(['id', 'name']);
    expect(read.rows).toEqual([['1', 'ann, jr'], ['2', 'bob']]);

    const destination = filesDestination(project.dir, { path: '.' });
    await writeAll(destination, 'out.tsv', [col('id', 'int64'), col('name', 'string')], [[1n, 'a,b'], [2n, 'c\td']]);
    await destination.close();
    expect(await readFile(join(project.dir, 'out.tsv'), 'utf8')).toBe('id\tname\n1\ta,b\n2\t"c\td"\n');

    await put('semi.tsv', 'id;name\n1;x\n');
    const semi = await readAll(filesSource(project.dir, { path: '.', csv: { delimiter: ';', infer_types: false } }), 'semi.tsv');
    expect(semi.rows).toEqual([['1', 'x']]);
  });
});
