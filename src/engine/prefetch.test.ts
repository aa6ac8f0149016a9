import { describe, expect, it } from 'vitest';
import { prefetch } from './prefetch.js';

describe('prefetch', () => {
  it('reads one item ahead of the consumer, never more', async () => {
    const log: string[] = [];
    async function* source(): AsyncGenerator<number> {
      for (let i = 1; i <= 3; i++) {
        log.push(`read ${i}`);
        yield i;
      }
    }
    for await (const n of prefetch(source())) {
      log.push(`use ${n}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(log).toEqual(['read 1', 'read 2', 'use 1', 'read 3', 'use 2', 'use 3']);
  });

  it('closes the source when the consumer stops early and surfaces source errors', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<number> {
      try {
        yield 1;
        yield 2;
        yield 3;
      } finally {
        closed = true;
      }
    }
    for await (const n of prefetch(source())) if (n === 1) break;
    expect(closed).toBe(true);
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw new Error('boom');
    }
    const seen: number[] = [];
    await expect(async () => {
      for await (const n of prefetch(failing())) seen.push(n);
    }).rejects.toThrow('boom');
    expect(seen).toEqual([1]);
  });
});
