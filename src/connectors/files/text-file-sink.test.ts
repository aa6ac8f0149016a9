import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextFileSink } from './text-file-sink.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-sink-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A deterministic byte pattern (a small LCG), so every offset of the file holds a known byte. */
function pattern(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/**
 * Pieces of every size the sink meets: COPY-sized chunks (1 B to 64 KiB), chunks
 * straddling the 1 MiB gathering buffer, chunks larger than it (some arriving
 * with bytes already gathered), Uint8Array views into a larger buffer, and text
 * (a batch of the decoded path) between them. Over 70 MiB, so early syncs run.
 */
function pieces(): (string | Uint8Array)[] {
  const out: (string | Uint8Array)[] = [];
  const sizes = [1, 7, 10_000, 65_536, 1_048_575, 1, 1_048_576, 3_000_001, 12_345, 2_097_152, 0, 999_999];
  let seed = 1;
  for (let round = 0; round < 12; round++) {
    for (const size of sizes) {
      const bytes = pattern(size + 16, seed++);
      out.push(round % 2 === 0 ? bytes.subarray(8, 8 + size) : new Uint8Array(bytes.buffer, bytes.byteOffset + 8, size));
    }
    out.push(`text ${round}: "quoted", é ü 😀\n`.repeat(round * 1000));
  }
  return out;
}

function expected(parts: readonly (string | Uint8Array)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

async function writeThrough(path: string, gzip: boolean, parts: readonly (string | Uint8Array)[]): Promise<void> {
  const sink = new TextFileSink(path, gzip);
  for (const part of parts) await sink.write(part);
  await sink.finish();
}

describe('TextFileSink', () => {
  it('writes bytes and text of any size in order, byte for byte', async () => {
    const parts = pieces();
    const want = expected(parts);
    expect(want.length).toBeGreaterThan(70 * 2 ** 20);
    const path = join(dir, 'plain.csv');
    await writeThrough(path, false, parts);
    const got = await readFile(path);
    expect(got.length).toBe(want.length);
    expect(got.equals(want)).toBe(true);
  });

  it('does the same through gzip', async () => {
    const parts = pieces().slice(0, 14);
    const path = join(dir, 'packed.csv.gz');
    await writeThrough(path, true, parts);
    expect(gunzipSync(await readFile(path)).equals(expected(parts))).toBe(true);
  });

  it('keeps an empty file empty', async () => {
    const path = join(dir, 'empty.csv');
    await writeThrough(path, false, [new Uint8Array(0), '']);
    expect((await stat(path)).size).toBe(0);
  });

  it('discards gathered bytes and deletes the partial file', async () => {
    const path = join(dir, 'dropped.csv');
    const sink = new TextFileSink(path, false);
    await sink.write(pattern(3_000_000, 9));
    await sink.write(pattern(100, 10));
    await sink.discard();
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('fails on a file that already exists, and leaves that file alone', async () => {
    const path = join(dir, 'taken.csv');
    await writeFile(path, 'keep me');
    const sink = new TextFileSink(path, false);
    const written = (async () => {
      for (let i = 0; i < 4; i++) await sink.write(pattern(1_500_000, i));
      await sink.finish();
    })();
    await expect(written).rejects.toThrow(/EEXIST/);
    expect(await readFile(path, 'utf8')).toBe('keep me');
  });
});
