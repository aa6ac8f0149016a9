import { describe, expect, it } from 'vitest';
import { newRunId } from './run-id.js';

describe('newRunId', () => {
  it('is the UTC millisecond of the start and 24 random bits', () => {
    expect(newRunId(new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678)))).toMatch(/^20300102T030405\.678Z-[0-9a-f]{6}$/);
  });

  it('sorts in the order the ids were made, also many in one millisecond and when the clock steps back', () => {
    const at = new Date(Date.UTC(2031, 5, 6, 7, 8, 9, 999));
    const ids = [...Array.from({ length: 500 }, () => newRunId(at)), newRunId(new Date(at.getTime() - 60_000)), newRunId()];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // The 500 ids share a start but take consecutive milliseconds: 2031-06-06T07:08:09.999 and on.
    expect(ids[1]).toMatch(/^20310606T070810\.000Z-/);
  });
});
