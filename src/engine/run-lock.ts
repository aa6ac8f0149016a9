import { hostname } from 'node:os';
import { LockedError } from '../core/errors.js';
import type { StateStore } from '../state/state-store.js';

/** `host:pid` of this process, as recorded on the locks it holds. */
export function lockOwner(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * Take a sync's lock. A live holder makes this throw LockedError. A holder on
 * this machine whose process no longer exists (killed with -9, power cut of a
 * container) is taken over at once; elsewhere a holder is presumed dead only
 * when its heartbeat is older than `staleAfterMs`.
 */
export async function acquireSyncLock(state: StateStore, sync: string, runId: string, staleAfterMs: number): Promise<void> {
  const owner = lockOwner();
  if (await state.acquireLock(sync, runId, owner, staleAfterMs)) return;
  const holder = await state.getLock(sync);
  if (holder && processIsGone(holder.owner) && (await state.takeOverLock(sync, holder.runId, runId, owner))) return;
  throw new LockedError(`sync "${sync}" is already running (run ${holder?.runId ?? '?'} on ${holder?.owner ?? '?'})`, {
    sync,
    hint: `wait for it; if that process is gone the lock expires ${staleAfterMs / 1000} s after its last heartbeat`,
  });
}

/** True only when `owner` is a process on this host that does not exist any more. */
export function processIsGone(owner: string): boolean {
  const colon = owner.lastIndexOf(':');
  const host = owner.slice(0, colon);
  const pid = Number(owner.slice(colon + 1));
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
