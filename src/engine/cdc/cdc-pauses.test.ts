import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../state/open-state-store.js';
import type { StateStore } from '../../state/state-store.js';
import { isPaused, readPauses, watchPauses } from './cdc-pauses.js';
import { microsText, parseMicros } from './cdc-position.js';

let dir = '';
let state: StateStore;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-pauses-'));
  state = await openStateStore('sqlite::memory:', dir);
});
afterAll(async () => {
  await state.close();
  await rm(dir, { recursive: true, force: true });
});

const aborted = (signal: AbortSignal): Promise<void> => new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

describe('cdc pauses', () => {
  it('reads the sync pause and stream pauses', async () => {
    await state.savePause({ sync: 's1', stream: 'public.a', pausedBy: 'ann', reason: null });
    const pauses = await readPauses(state, 's1');
    expect([isPaused(pauses, 'public.a'), isPaused(pauses, 'public.b')]).toEqual([true, false]);
    await state.savePause({ sync: 's1', stream: null, pausedBy: 'ann', reason: null });
    expect(isPaused(await readPauses(state, 's1'), 'public.b')).toBe(true);
  });

  it('signals when the sync gets paused after everything was resumed, and when a stream is resumed', async () => {
    const none = await readPauses(state, 's2');
    const watch = watchPauses(state, 's2', none, 10);
    await state.savePause({ sync: 's2', stream: null, pausedBy: 'ann', reason: null });
    await aborted(watch.signal);
    watch.close();

    await state.deletePauses('s2');
    await state.savePause({ sync: 's2', stream: 'public.a', pausedBy: 'ann', reason: null });
    const one = await readPauses(state, 's2');
    const second = watchPauses(state, 's2', one, 10);
    await state.savePause({ sync: 's2', stream: 'public.a', pausedBy: 'bob', reason: 'again' });
    await new Promise((r) => setTimeout(r, 50));
    expect(second.signal.aborted).toBe(false);
    await state.deletePauses('s2', ['public.a']);
    await aborted(second.signal);
    second.close();
  });
});

describe('synced_to text', () => {
  it('keeps microseconds both ways', () => {
    expect(microsText(1796140593918440n)).toBe('2026-12-01T15:56:33.918440Z');
    expect(parseMicros('2026-12-01T15:56:33.918440Z')).toBe(1796140593918440n);
    expect(parseMicros('2026-12-01T15:56:33Z')).toBe(1796140593000000n);
    expect(parseMicros('2026-12-01T15:56:33.5Z')).toBe(1796140593500000n);
    expect(parseMicros('yesterday')).toBeUndefined();
  });
});
