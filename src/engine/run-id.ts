import { randomBytes } from 'node:crypto';

/**
 * A run id that sorts by start time: `20261122T101500Z-3f9a1c` (UTC second +
 * 24 random bits). Readable in logs and unique across machines in practice.
 */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
