import { describe, expect, it } from 'vitest';
import type { ReadRequest, SharedSnapshot, Source } from '../core/connector.js';
import { joinsRanges, orderedRawBytes, type OrderedRead } from './ordered-parallel-read.js';
import { RunLog } from './run-log.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface FakeRead {
  readonly source: Source;
  readonly active: () => number;
  readonly most: () => number;
  readonly snapshots: string[];
  readonly released: string[];
}

/** A source whose range n yields `chunks` chunks of the text `n:i;`, failing range `failing` after its first chunk. */
function fakeSource(chunks: number, failing?: number): FakeRead {
  let active = 0;
  let most = 0;
  const snapshots: string[] = [];
  const released: string[] = [];
  const source = {
    rawFormats: ['ferry-csv'],
    async *readRaw(request: ReadRequest): AsyncIterable<Uint8Array> {
      const n = request.chunk?.kind === 'pages' ? request.chunk.fromPage : -1;
      snapshots.push(request.snapshot ?? 'none');
      active++;
      most = Math.max(most, active);
      try {
        for (let i = 0; i < chunks; i++) {
          await tick();
          if (n === failing && i === 1) throw new Error(`range ${n} failed`);
          yield Buffer.from(`${n}:${i};`);
        }
      } finally {
        active--;
      }
    },
    shareSnapshot: async (): Promise<SharedSnapshot> => ({ id: 'snap-1', release: async () => void released.push('snap-1') }),
  } as unknown as Source;
  return { source, active: () => active, most: () => most, snapshots, released };
}

function ranges(n: number, parallelism: number): OrderedRead {
  const base: ReadRequest = { stream: 's', target: { kind: 'table', table: { name: 't' } }, batchSize: 10 };
  return { requests: Array.from({ length: n }, (_, i) => ({ ...base, chunk: { kind: 'pages' as const, fromPage: i, toPage: i + 1 } })), parallelism };
}

const log = new RunLog('r', undefined, undefined);

describe('orderedRawBytes', () => {
  it('gives every range in order, reads at most `parallelism` at once, all in the shared snapshot, and releases it', async () => {
    const fake = fakeSource(5);
    let text = '';
    for await (const chunk of orderedRawBytes({ source: fake.source, ordered: ranges(6, 2), format: 'ferry-csv', tempFolder: undefined, signal: new AbortController().signal, log })) {
      text += Buffer.from(chunk).toString();
      await tick();
    }
    const expected = Array.from({ length: 6 }, (_, n) => Array.from({ length: 5 }, (_, i) => `${n}:${i};`).join('')).join('');
    expect(text).toBe(expected);
    expect(fake.most()).toBe(2);
    expect(fake.snapshots).toEqual(Array(6).fill('snap-1'));
    expect(fake.released).toEqual(['snap-1']);
  });

  it('throws a later range failure at once, stops the other reads and releases the snapshot', async () => {
    const fake = fakeSource(1000, 2);
    const seen: string[] = [];
    const reading = (async () => {
      for await (const chunk of orderedRawBytes({ source: fake.source, ordered: ranges(4, 3), format: 'ferry-csv', tempFolder: undefined, signal: new AbortController().signal, log })) {
        seen.push(Buffer.from(chunk).toString());
        await tick();
      }
    })();
    await expect(reading).rejects.toThrow('range 2 failed');
    // Range 0 has 1000 chunks: the failure of range 2 came through long before it was written.
    expect(seen.length).toBeLessThan(100);
    expect(fake.active()).toBe(0);
    expect(fake.released).toEqual(['snap-1']);
  });

  it('joins only formats without a header or trailer per read', () => {
    expect(joinsRanges('ferry-csv')).toBe(true);
    expect(joinsRanges('pg-binary')).toBe(false);
    expect(() => orderedRawBytes({ source: fakeSource(1).source, ordered: ranges(2, 2), format: 'pg-binary', tempFolder: undefined, signal: new AbortController().signal, log })).toThrow('do not join');
  });
});
