import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Row } from '../../core/schema.js';
import { col, failureOf, FIXTURES, filesDestination, filesSource, readAll, scratchProject, writeAll } from './test-support.js';

let project: { dir: string; dispose: () => Promise<void> };
let naughty: string[];

beforeAll(async () => {
  project = await scratchProject();
  naughty = JSON.parse(await readFile(join(FIXTURES, 'naughty-strings', 'blns.json'), 'utf8')) as string[];
});
afterAll(() => project.dispose());

const columns = [col('id', 'int64'), col('s', 'string')];

describe('naughty strings round trip', () => {
  it('has 515 strings including the empty string', () => {
    expect(naughty).toHaveLength(515);
    expect(naughty).toContain('');
  });

  for (const format of ['csv', 'jsonl'] as const) {
    it(`through ${format}: same count, same strings, NULL distinct from ''`, async () => {
      const rows: Row[] = naughty.map((s, i) => [BigInt(i), s]);
      rows.push([515n, null]);
      const settings = { path: `naughty-${format}` };
      expect(await writeAll(filesDestination(project.dir, settings), `blns.${format}`, columns, rows)).toBe(516);
      const back = await readAll(filesSource(project.dir, settings), `blns.${format}`);
      expect(back.columns.map((c) => `${c.name}:${c.type.kind}`)).toEqual(['id:int64', 's:string']);
      expect(back.rows).toHaveLength(516);
      expect(back.rows.map((r) => r[1])).toEqual([...naughty, null]);
      expect(back.rows.filter((r) => r[1] === '')).toHaveLength(naughty.filter((s) => s === '').length);
    });
  }
});

describe('destination files', () => {
  it('writes lossless JSONL: int64 digits, exact decimals, bytes, embedded JSON, NaN', async () => {
    const cols = [col('n', 'int64'), col('d', 'decimal'), col('b', 'bytes'), col('j', 'json'), col('f', 'float64')];
    const rows: Row[] = [
      [9223372036854775807n, '1.50', new Uint8Array([0, 255]), '{"a": [1, 2.50]}', Number.NaN],
      [null, null, null, null, -2.5],
    ];
    await writeAll(filesDestination(project.dir, { path: 'jl' }), 'v.jsonl', cols, rows);
    const text = await readFile(join(project.dir, 'jl', 'v.jsonl'), 'utf8');
    expect(text).toBe('{"n":9223372036854775807,"d":"1.50","b":"AP8=","j":{"a": [1, 2.50]},"f":"NaN"}\n{"n":null,"d":null,"b":null,"j":null,"f":-2.5}\n');
    const back = await readAll(filesSource(project.dir, { path: 'jl', column_types: { b: 'bytes', d: 'decimal' } }), 'v.jsonl');
    expect(back.rows).toEqual([
      [9223372036854775807n, '1.50', Buffer.from([0, 255]), '{"a": [1, 2.50]}', Number.NaN],
      [null, null, null, null, -2.5],
    ]);
    expect(back.columns.map((c) => c.type.kind)).toEqual(['int64', 'decimal', 'bytes', 'json', 'float64']);
  });

  it('gzips CSV with compression: gzip and reads it back', async () => {
    const destination = filesDestination(project.dir, { path: 'gz', compression: 'gzip', format: 'csv' });
    const target = destination.defaultTarget({ name: 'public.orders', table: { name: 'orders' }, columns, primaryKey: [] });
    expect(target.name).toBe('orders.csv.gz');
    await writeAll(destination, target.name, columns, [[1n, 'a'], [2n, '']]);
    expect(gunzipSync(await readFile(join(project.dir, 'gz', 'orders.csv.gz'))).toString()).toBe('id,s\n1,a\n2,""\n');
    expect((await readAll(filesSource(project.dir, { path: 'gz' }), 'orders.csv.gz')).rows).toEqual([[1n, 'a'], [2n, '']]);
  });

  it('appends part files next to the target without rewriting earlier data', async () => {
    const destination = filesDestination(project.dir, { path: 'app' });
    await writeAll(destination, 'events.jsonl', columns, [[1n, 'a']], 'append', 'r1');
    await writeAll(destination, 'events.jsonl', columns, [[2n, 'b']], 'append', 'r2');
    await writeAll(destination, 'events.jsonl', columns, [[3n, 'c']], 'append', 'r2');
    expect((await readdir(join(project.dir, 'app', 'events'))).sort()).toEqual(['part-r1.jsonl', 'part-r2-1.jsonl', 'part-r2.jsonl']);
    const back = await readAll(filesSource(project.dir, { path: 'app' }), 'events/part-*.jsonl');
    expect(back.rows.map((r) => r[0])).toEqual([1n, 3n, 2n]);
    await writeAll(destination, 'events.jsonl', columns, [[9n, 'z']], 'replace', 'r3');
    expect(await readdir(join(project.dir, 'app', 'events'))).toEqual([]);
    expect((await readAll(filesSource(project.dir, { path: 'app' }), 'events.jsonl')).rows).toEqual([[9n, 'z']]);
  });

  it('replace never exposes a half-written file; abort leaves the old file intact', async () => {
    const destination = filesDestination(project.dir, { path: 'atomic' });
    await writeAll(destination, 't.csv', columns, [[1n, 'old']]);
    const before = await readFile(join(project.dir, 'atomic', 't.csv'), 'utf8');
    const writer = await destination.open({ sync: 's', stream: 't', runId: 'r2', target: { name: 't.csv' }, columns, write: 'replace', primaryKey: [], schemaChange: 'evolve' }, new AbortController().signal);
    await writer.write({ columns, rows: Array.from({ length: 20_000 }, (_, i): Row => [BigInt(i), 'new'.repeat(10)]) });
    expect(await readFile(join(project.dir, 'atomic', 't.csv'), 'utf8')).toBe(before);
    await writer.abort();
    await writer.abort();
    expect(await readFile(join(project.dir, 'atomic', 't.csv'), 'utf8')).toBe(before);
    expect(await readdir(join(project.dir, 'atomic'))).toEqual(['t.csv']);
    await writeAll(destination, 't.csv', columns, [[2n, 'new']], 'truncate');
    expect((await readAll(filesSource(project.dir, { path: 'atomic' }), 't.csv')).rows).toEqual([[2n, 'new']]);
    expect(await readdir(join(project.dir, 'atomic'))).toEqual(['t.csv']);
  });

  it('writes a header-only file for an empty stream and refuses merge and paths outside the root', async () => {
    const destination = filesDestination(project.dir, { path: 'misc' });
    await writeAll(destination, 'empty.csv', columns, []);
    expect(await readFile(join(project.dir, 'misc', 'empty.csv'), 'utf8')).toBe('id,s\n');
    expect(destination.capabilities.writes).toEqual(['replace', 'append', 'truncate']);
    const merge = await failureOf(writeAll(destination, 'm.csv', columns, [], 'merge'));
    expect(merge.message).toContain('cannot merge');
    const escape = await failureOf(writeAll(destination, '../outside.csv', columns, []));
    expect(escape.message).toContain('not a file under');
    expect(await stat(join(project.dir, 'outside.csv')).catch(() => undefined)).toBeUndefined();
  });
});
