import { describe, expect, it } from 'vitest';
import type { ChunkPlan, ChunkPlanRequest } from '../core/chunk.js';
import type { ReadRequest, Source } from '../core/connector.js';
import { decideChunks } from './chunk-plan.js';
import type { PlannedStream } from './plan-streams.js';
import { RunLog } from './run-log.js';

/** A source that only plans: two key ranges, and a fixed planner estimate for narrowed reads. */
function planningSource(estimate: number | undefined): Source & { plans: ChunkPlanRequest[]; estimates: ReadRequest[] } {
  const plans: ChunkPlanRequest[] = [];
  const estimates: ReadRequest[] = [];
  const plan: ChunkPlan = {
    ranges: [
      { kind: 'key', columns: ['id'], lower: null, upper: ['500'] },
      { kind: 'key', columns: ['id'], lower: ['500'], upper: null },
    ],
    fingerprint: 'key:id',
    method: 'key (id)',
    cursorMax: '2030-01-01T00:00:00Z',
  };
  return {
    plans,
    estimates,
    rawFormats: [],
    discover: () => Promise.resolve([]),
    describe: () => Promise.reject(new Error('not used')),
    readSql: () => 'SELECT',
    count: () => Promise.resolve(0),
    read: () => (async function* () {})(),
    estimateRows: (request) => {
      estimates.push(request);
      return Promise.resolve(estimate);
    },
    planChunks: (request) => {
      plans.push(request);
      return Promise.resolve(plan);
    },
    close: () => Promise.resolve(),
  };
}

const stream = {
  name: 'public.t',
  mode: 'incremental',
  cursor: 'at',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'int64' }, nullable: false },
    { name: 'at', type: { kind: 'timestamptz' }, nullable: false },
  ],
  write: 'merge',
  target: { schema: 'public', name: 't' },
  chunks: 'auto',
  estimatedRows: 5_000_000,
} as unknown as PlannedStream;

const table: ReadRequest = { stream: 'public.t', target: { kind: 'table', table: { schema: 'public', name: 't' } }, batchSize: 1000 };
const window: ReadRequest = { ...table, cursor: { column: 'at', type: { kind: 'timestamptz' }, from: '2026-01-01T00:00:00Z', includeNulls: false } };

function decide(source: Source, request: ReadRequest, planned: PlannedStream = stream): ReturnType<typeof decideChunks> {
  return decideChunks({ runId: 'r1', source, stream: planned, request, stored: undefined, log: new RunLog('r1', undefined, undefined) });
}

describe('chunks: auto on an incremental read', () => {
  it('reads a small cursor window of a large table in one piece, without planning chunks', async () => {
    const source = planningSource(50_000);
    expect(await decide(source, window)).toEqual({ chunked: false });
    expect(source.estimates).toHaveLength(1);
    expect(source.plans).toHaveLength(0);
  });

  it('chunks a window the planner expects to be large, sized by the window', async () => {
    const source = planningSource(1_500_000);
    const decision = await decide(source, window);
    expect(decision.chunked).toBe(true);
    expect(source.plans.map((p) => p.chunks)).toEqual([3]);
  });

  it('sizes by the table on a first run (no lower bound), and when the source has no estimate', async () => {
    const first = planningSource(10);
    expect((await decide(first, table)).chunked).toBe(true);
    expect(first.estimates).toHaveLength(0);
    expect(first.plans.map((p) => p.chunks)).toEqual([10]);
    const unknown = planningSource(undefined);
    expect((await decide(unknown, window)).chunked).toBe(true);
    expect(unknown.plans.map((p) => p.chunks)).toEqual([10]);
  });

  it('keeps an explicit chunk count whatever the estimate', async () => {
    const source = planningSource(10);
    expect((await decide(source, window, { ...stream, chunks: 4 } as PlannedStream)).chunked).toBe(true);
    expect(source.estimates).toHaveLength(0);
    expect(source.plans.map((p) => p.chunks)).toEqual([4]);
  });
});

describe('chunks for an ordered parallel read (storageOrder)', () => {
  it('asks the source for ranges in storage order and keeps the explicit count; a small auto table stays one piece', async () => {
    const cases: [PlannedStream, number | undefined][] = [
      [{ ...stream, estimatedRows: 5_000_000, chunks: 3 } as PlannedStream, 3],
      [{ ...stream, estimatedRows: 5_000_000 } as PlannedStream, 10],
      [{ ...stream, estimatedRows: 900_000 } as PlannedStream, undefined],
    ];
    for (const [planned, asked] of cases) {
      const source = planningSource(undefined);
      await decideChunks({ runId: 'r1', source, stream: planned, request: table, stored: undefined, log: new RunLog('r1', undefined, undefined), storageOrder: true });
      expect(source.plans.map((p) => p.chunks)).toEqual(asked === undefined ? [] : [asked]);
      expect(source.plans.every((p) => p.storageOrder === true)).toBe(true);
    }
  });
});
