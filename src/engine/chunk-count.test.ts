import { describe, expect, it } from 'vitest';
import type { CursorState } from '../core/checkpoint.js';
import { mergeCursorStates } from './chunk-cursor.js';
import { AUTO_MAX_CHUNKS, chunkCount, defaultParallelism } from './chunk-count.js';

describe('chunk count and parallelism defaults', () => {
  it('auto reads small or unknown tables in one piece and grows with size up to the cap', () => {
    expect(chunkCount('auto', undefined)).toBe(1);
    expect(chunkCount('auto', 999_999)).toBe(1);
    expect(chunkCount('auto', 1_000_000)).toBe(2);
    expect(chunkCount('auto', 5_000_000)).toBe(10);
    expect(chunkCount('auto', 1e12)).toBe(AUTO_MAX_CHUNKS);
    expect(chunkCount(7, 10)).toBe(7);
  });

  it('parallelism never exceeds the threads budget', () => {
    expect(defaultParallelism(1)).toBe(1);
    expect(defaultParallelism(64)).toBeGreaterThanOrEqual(2);
    expect(defaultParallelism(2)).toBe(2);
  });
});

describe('merging the cursor states of chunks', () => {
  const type = { kind: 'timestamptz' } as const;
  const at = (value: string | null, keys: string[]): CursorState => ({ column: 'u', kind: 'timestamptz', value, boundaryKeys: keys });

  it('keeps the highest value and unites the keys of chunks that reached it', () => {
    const a = at('2025-01-01T00:00:01Z', ['[1]']);
    const b = at('2025-01-01T00:00:01Z', ['[9]']);
    const c = at('2025-01-01T00:00:00.5Z', ['[4]']);
    expect(mergeCursorStates(type, mergeCursorStates(type, a, c), b)).toEqual(at('2025-01-01T00:00:01Z', ['[1]', '[9]']));
    expect(mergeCursorStates(type, c, a)).toEqual(a);
  });

  it('ignores chunks that delivered no cursor value', () => {
    const a = at('2025-01-01T00:00:01Z', ['[1]']);
    expect(mergeCursorStates(type, a, at(null, []))).toEqual(a);
    expect(mergeCursorStates(type, undefined, a)).toEqual(a);
    expect(mergeCursorStates(type, at(null, []), a)).toEqual(a);
  });
});
