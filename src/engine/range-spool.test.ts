import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../core/schema.js';
import { BatchQueue, ByteSpool } from './range-spool.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function collect(source: AsyncIterable<Uint8Array>, slow: () => boolean): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of source) {
    parts.push(Buffer.from(chunk));
    if (slow()) await tick();
  }
  return Buffer.concat(parts);
}

/** A small deterministic generator, so a failing case can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('ByteSpool', () => {
  it('gives back every byte in order whenever the writer turns to it: before, during or after a spill', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const random = prng(seed);
      const cap = 64 << 10;
      const spool = new ByteSpool(cap);
      const input = randomBytes(3 << 20);
      const producer = (async () => {
        let at = 0;
        while (at < input.length) {
          const n = Math.min(input.length - at, 1 + Math.floor(random() * 40_000));
          await spool.push(input.subarray(at, at + n));
          at += n;
          if (random() < 0.05) await tick();
        }
        await spool.end();
      })();
      // The writer comes at a random moment (possibly after the read ended) and is sometimes slow.
      const arrive = Math.floor(random() * 60);
      for (let i = 0; i < arrive; i++) await tick();
      const output = await collect(spool.drain(), () => random() < 0.3);
      await producer;
      await spool.close();
      expect(output.equals(input), `seed ${seed}`).toBe(true);
    }
  });

  it('spills past its cap while the writer is elsewhere, and holds its reader back once the writer is on it', async () => {
    const spool = new ByteSpool(1 << 20);
    for (let i = 0; i < 8; i++) await spool.push(Buffer.alloc(512 << 10, i));
    expect(spool.spilled).toBeGreaterThan(0);
    const drained = spool.drain()[Symbol.asyncIterator]();
    const parts: Buffer[] = [];
    for (let i = 0; i < 12; i++) {
      const next = await drained.next();
      if (!next.done) parts.push(Buffer.from(next.value));
      if (parts.reduce((n, p) => n + p.length, 0) >= 4 << 20) break;
    }
    // Caught up: from here on the reader waits for the writer instead of spilling.
    const spilled = spool.spilled;
    const pushes = (async () => {
      for (let i = 8; i < 16; i++) await spool.push(Buffer.alloc(512 << 10, i));
      await spool.end();
    })();
    for (;;) {
      const next = await drained.next();
      if (next.done) break;
      parts.push(Buffer.from(next.value));
    }
    await pushes;
    await spool.close();
    const all = Buffer.concat(parts);
    expect(all.length).toBe(16 * (512 << 10));
    for (let i = 0; i < 16; i++) expect(all[i * (512 << 10)]).toBe(i);
    expect(spool.spilled).toBe(spilled);
  });

  it('throws the read failure to the writer and releases a waiting reader', async () => {
    const spool = new ByteSpool(10);
    const drained = spool.drain()[Symbol.asyncIterator]();
    await spool.push(Buffer.from('0123456789'));
    const waiting = spool.push(Buffer.from('more'));
    spool.fail(new Error('lost the connection'));
    await waiting;
    await expect(drained.next()).rejects.toThrow('lost the connection');
    await spool.close();
  });
});

describe('BatchQueue', () => {
  const batch = (n: number, bytes: number): Batch => ({ columns: [], rows: Array.from({ length: n }, () => []), bytes });

  it('holds at most its cap (at least one batch) and gives batches back in order', async () => {
    const queue = new BatchQueue(1000);
    await queue.push(batch(1, 600));
    let second = false;
    const pushing = queue.push(batch(2, 600)).then(() => {
      second = true;
    });
    await tick();
    expect(second).toBe(false);
    const drained = queue.drain()[Symbol.asyncIterator]();
    expect((await drained.next()).value?.rows.length).toBe(1);
    await pushing;
    expect(second).toBe(true);
    await queue.end();
    expect((await drained.next()).value?.rows.length).toBe(2);
    expect((await drained.next()).done).toBe(true);
  });
});
