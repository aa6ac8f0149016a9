import { randomBytes } from 'node:crypto';

/** The last millisecond given out in this process, so ids made in one millisecond still sort in order. */
let lastMs = 0;

/**
 * A run id that sorts by start time: `20261122T101500.123Z-3f9a1c` (UTC
 * millisecond + 24 random bits). Readable in logs and unique across machines
 * in practice. Within a process, each id's time is later than the one before
 * (a second id in the same millisecond takes the next one), so things named
 * after runs, such as the part files of `append` writes, list in run order.
 */
export function newRunId(now: Date = new Date()): string {
  const ms = Math.max(now.getTime(), lastMs + 1);
  lastMs = ms;
  const stamp = new Date(ms).toISOString().replace(/[-:]/g, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
