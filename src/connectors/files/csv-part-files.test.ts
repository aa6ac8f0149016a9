import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CsvPart, CsvPartFiles } from './csv-part-files.js';
import { scratchProject } from './test-support.js';

/** A seeded generator, so a failure repeats. */
function random(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

const FIELDS = ['plain', '', '"a,b"', '"say ""hi"""', '"line\nbreak"', '"cr\r\nlf"', 'é😀', '""""', 'x'.repeat(37), '"{""k"": 1}"'];

function records(next: () => number, count: number): string[] {
  return Array.from({ length: count }, () => `${Array.from({ length: 3 }, () => FIELDS[Math.floor(next() * FIELDS.length)]).join(',')}\n`);
}

let project: { dir: string; dispose: () => Promise<void> };
beforeAll(async () => {
  project = await scratchProject();
});
afterAll(() => project.dispose());

async function cutInto(name: string, text: string, next: () => number, partRows: number, partBytes: number): Promise<{ parts: CsvPart[]; bodies: string[]; completed: number }> {
  const parts: CsvPart[] = [];
  const files = new CsvPartFiles({ pathOf: (i) => join(project.dir, `${name}.${i}.csv`), header: 'c0,c1,c2\n', partRows, partBytes, onPart: async (part) => void parts.push(part) });
  const bytes = Buffer.from(text, 'utf8');
  let completed = 0;
  for (let at = 0; at < bytes.length; ) {
    const size = Math.min(bytes.length - at, 1 + Math.floor(next() * 300));
    completed += await files.write(Uint8Array.prototype.slice.call(bytes, at, at + size));
    at += size;
  }
  parts.push(await files.end());
  const bodies = await Promise.all(parts.map(async (p) => (await readFile(p.path, 'utf8'))));
  return { parts, bodies, completed };
}

describe('CsvPartFiles', () => {
  it('cuts records into parts of whole records at any chunking, each with the header', async () => {
    const next = random(7);
    const all = records(next, 1000);
    const { parts, bodies, completed } = await cutInto('rows', all.join(''), next, 128, 1 << 30);
    expect(completed).toBe(1000);
    expect(parts.map((p) => p.rows)).toEqual([128, 128, 128, 128, 128, 128, 128, 104]);
    expect(parts.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(parts.map((p) => p.firstRow)).toEqual([0, 128, 256, 384, 512, 640, 768, 896]);
    bodies.forEach((body, i) => expect(body).toBe(`c0,c1,c2\n${all.slice(i * 128, i * 128 + (parts[i] as CsvPart).rows).join('')}`));
    const longest = Math.max(...all.map((r) => Buffer.byteLength(r)));
    expect((parts.at(-1) as CsvPart).longestRecord).toBe(longest);
  });

  it('ends a part at the next record end once its byte budget is spent', async () => {
    const next = random(11);
    const all = records(next, 300);
    const { parts, bodies } = await cutInto('bytes', all.join(''), next, 1_000_000, 2000);
    expect(parts.length).toBeGreaterThan(5);
    expect(bodies.map((b) => b.slice('c0,c1,c2\n'.length)).join('')).toBe(all.join(''));
    expect(parts.reduce((n, p) => n + p.rows, 0)).toBe(300);
    for (const [i, part] of parts.entries()) {
      const bytes = Buffer.byteLength(bodies[i] as string) - 'c0,c1,c2\n'.length;
      // The budget is checked per chunk (at most 300 bytes here): under it before the chunk holding the last record.
      if (i < parts.length - 1) expect(bytes - Buffer.byteLength(all[part.firstRow + part.rows - 1] as string)).toBeLessThan(2000 + 300);
      expect(bodies[i]?.endsWith('\n')).toBe(true);
    }
  });

  it('ends with an empty part when the last part filled exactly, and refuses a cut-off record', async () => {
    const exact = await cutInto('exact', 'a,b,c\nd,e,f\n', random(1), 2, 1 << 30);
    expect(exact.parts.map((p) => p.rows)).toEqual([2, 0]);
    expect(exact.bodies[1]).toBe('c0,c1,c2\n');
    const files = new CsvPartFiles({ pathOf: (i) => join(project.dir, `cut.${i}.csv`), header: 'c0\n', partRows: 10, partBytes: 1 << 30, onPart: async () => undefined });
    expect(await files.write(Buffer.from('a,"b\n'))).toBe(0);
    await expect(files.end()).rejects.toThrow('ends inside a record');
    await files.discard();
  });
});
