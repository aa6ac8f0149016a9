import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../core/errors.js';
import { failureOf, filesSource, readAll, scratchProject } from './test-support.js';

let project: { dir: string; dispose: () => Promise<void> };

beforeAll(async () => {
  project = await scratchProject();
});
afterAll(() => project.dispose());

async function put(name: string, text: string | Buffer): Promise<void> {
  await writeFile(join(project.dir, name), text);
}

describe('JSONL source', () => {
  it('keeps big integers, decimals and nested JSON exactly as written', async () => {
    await put(
      'mixed.jsonl',
      [
        '{"id": 9007199254740993, "price": 1.5, "tags": ["a", {"n": 12345678901234567890}], "ok": true, "name": "ann", "at": "2024-01-02T03:04:05Z"}',
        '',
        '{"id": -9223372036854775808, "price": 2, "tags": null, "ok": false, "name": "b\\u00e9\\n", "at": "2024-01-02 03:04:05.5+01:00"}',
      ].join('\r\n'),
    );
    const { columns, rows } = await readAll(filesSource(project.dir, { path: '.' }), 'mixed.jsonl');
    expect(columns.map((c) => `${c.name}:${c.type.kind}`)).toEqual(['id:int64', 'price:float64', 'tags:json', 'ok:boolean', 'name:string', 'at:timestamptz']);
    expect(rows).toEqual([
      [9007199254740993n, 1.5, '["a", {"n": 12345678901234567890}]', true, 'ann', '2024-01-02T03:04:05Z'],
      [-9223372036854775808n, 2, null, false, 'bé\n', '2024-01-02T02:04:05.5Z'],
    ]);
  });

  it('types integers beyond int64 mixed with fractions as exact decimals', async () => {
    await put('huge.jsonl', '{"n": 123456789012345678901234567890}\n{"n": 0.10}\n');
    const { columns, rows } = await readAll(filesSource(project.dir, { path: '.' }), 'huge.jsonl');
    expect(columns[0]?.type.kind).toBe('decimal');
    expect(rows).toEqual([['123456789012345678901234567890'], ['0.10']]);
  });

  it('names the file and line of invalid JSON', async () => {
    await put('bad.jsonl', '{"a": 1}\n{"a": 2}\n\n{"a": 3,}\n{"a": 4}\n');
    const error = await failureOf(readAll(filesSource(project.dir, { path: '.' }), 'bad.jsonl'));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toContain('bad.jsonl: line 4');
    expect((error as DataError).context.line).toBe(4);
  });

  it('refuses a line that is not an object', async () => {
    await put('array.jsonl', '{"a": 1}\n[1, 2]\n');
    const error = await failureOf(readAll(filesSource(project.dir, { path: '.' }), 'array.jsonl'));
    expect(error.message).toContain('array.jsonl: line 2');
  });

  it('fails on a key first seen after the sample, and on a type change after it', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ id: i, v: i * 2 }));
    await put('newkey.jsonl', [...lines, '{"id": 12, "v": 1, "extra": "x"}'].join('\n'));
    const keyError = await failureOf(readAll(filesSource(project.dir, { path: '.', sample_rows: 5 }), 'newkey.jsonl'));
    expect(keyError).toBeInstanceOf(DataError);
    expect(keyError.message).toContain('newkey.jsonl: line 13');
    expect(keyError.message).toContain('"extra"');
    const declared = await readAll(filesSource(project.dir, { path: '.', sample_rows: 5, column_types: { extra: 'string' } }), 'newkey.jsonl');
    expect(declared.rows.at(-1)).toEqual([12n, 1n, 'x']);
    await put('retype.jsonl', [...lines, '{"id": 12, "v": 1.25}'].join('\n'));
    const typeError = await failureOf(readAll(filesSource(project.dir, { path: '.', sample_rows: 5 }), 'retype.jsonl'));
    expect(typeError.message).toContain('retype.jsonl: line 13, column "v"');
    expect(typeError.message).toContain('int64');
  });

  it('reads gzipped JSONL and refuses SQL queries', async () => {
    await put('z.jsonl.gz', gzipSync('{"a": "x"}\n{"a": null}\n'));
    const source = filesSource(project.dir, { path: '.' });
    expect((await readAll(source, 'z.jsonl.gz')).rows).toEqual([['x'], [null]]);
    const error = await failureOf(readAll(source, 'z', { target: { kind: 'query', sql: 'select 1' } }));
    expect(error.message).toContain('not supported');
  });
});
