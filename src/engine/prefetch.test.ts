import { describe, expect, it } from 'vitest';
import { prefetch, startRead } from './prefetch.js';

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

  it('startRead reads before anyone iterates, and hands over every item in order', async () => {
    const log: string[] = [];
    async function* source(): AsyncGenerator<number> {
      for (let i = 1; i <= 3; i++) {
        log.push(`read ${i}`);
        yield i;
      }
    }
    const read = startRead(() => source(), new AbortController().signal);
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual(['read 1', 'read 2']);
    const seen: number[] = [];
    for await (const n of read.batches) seen.push(n);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('startRead stops a read nobody will iterate: the source sees the abort and is closed', async () => {
    let closed = false;
    let aborted = false;
    async function* source(signal: AbortSignal): AsyncGenerator<number> {
      try {
        yield 1;
        // A slow source: waits until the read is aborted.
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        aborted = signal.aborted;
        throw new Error('read cancelled');
      } finally {
        closed = true;
      }
    }
    const read = startRead(source, new AbortController().signal);
    await new Promise((r) => setTimeout(r, 5));
    await read.stop();
    expect(aborted).toBe(true);
    expect(closed).toBe(true);
  });

  it('startRead surfaces a failed read on iteration, and follows the caller\'s signal', async () => {
    async function* failing(): AsyncGenerator<number> {
      throw new Error('boom');
    }
    const read = startRead(() => failing(), new AbortController().signal);
    await new Promise((r) => setTimeout(r, 5));
    await expect(async () => {
      for await (const _ of read.batches) void _;
    }).rejects.toThrow('boom');
    const caller = new AbortController();
    let seenAbort = false;
    const waiting = startRead(async function* (signal: AbortSignal): AsyncGenerator<number> {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      seenAbort = true;
    }, caller.signal);
    caller.abort();
    const items: number[] = [];
    for await (const n of waiting.batches) items.push(n);
    expect(seenAbort).toBe(true);
    expect(items).toEqual([]);
  });
});
