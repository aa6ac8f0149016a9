import type { PauseRecord, StateStore } from '../../state/state-store.js';

/** How often a running cdc run looks for a changed pause. */
export const PAUSE_POLL_MS = 1000;

/** The pauses of one sync: its own (all its cdc streams) and single streams'. */
export interface CdcPauses {
  readonly sync: PauseRecord | undefined;
  readonly streams: ReadonlyMap<string, PauseRecord>;
}

export async function readPauses(state: StateStore, sync: string): Promise<CdcPauses> {
  const records = await state.listPauses(sync);
  return {
    sync: records.find((r) => r.stream === null),
    streams: new Map(records.flatMap((r) => (r.stream === null ? [] : [[r.stream, r] as const]))),
  };
}

export function isPaused(pauses: CdcPauses, stream: string): boolean {
  return pauses.sync !== undefined || pauses.streams.has(stream);
}

/** What is paused, as one comparable string (JSON, so the sync's pause never reads like no pause). */
function pauseKey(pauses: CdcPauses): string {
  return JSON.stringify({ sync: pauses.sync !== undefined, streams: [...pauses.streams.keys()].sort() });
}

export interface PauseWatch {
  /** Aborted once the pauses differ from the ones the watch started with. */
  readonly signal: AbortSignal;
  close(): void;
}

/**
 * Poll the state store until the sync's pauses change (a pause or a resume by
 * `ferry cdc pause|resume`, from any process). A failed poll is tried again on
 * the next tick: the state store being briefly away must not stop a run.
 */
export function watchPauses(state: StateStore, sync: string, start: CdcPauses, pollMs: number): PauseWatch {
  const controller = new AbortController();
  const key = pauseKey(start);
  let polling = false;
  const timer = setInterval(() => {
    if (polling || controller.signal.aborted) return;
    polling = true;
    readPauses(state, sync)
      .then((now) => {
        if (pauseKey(now) !== key) controller.abort();
      })
      .catch(() => undefined)
      .finally(() => (polling = false));
  }, pollMs);
  timer.unref();
  return { signal: controller.signal, close: () => clearInterval(timer) };
}
