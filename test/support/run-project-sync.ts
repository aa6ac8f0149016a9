import { connectorSchemas } from '../../src/connectors/connector-schemas.js';
import { loadProject } from '../../src/config/load-project.js';
import type { RunEvent } from '../../src/engine/run-events.js';
import { runSync, type RunResult } from '../../src/engine/run-sync.js';
import { openStateStore } from '../../src/state/index.js';

/**
 * Loads the project at `dir` and runs sync `sync` once through the engine
 * (retries without delay), returning the result and every run event; the state
 * store is closed before returning, so a later run can open it again.
 */
export async function runProjectSync(dir: string, sync = 's'): Promise<{ result: RunResult; events: RunEvent[] }> {
  const loaded = await loadProject(dir, { connectorSchemas: connectorSchemas() });
  const state = await openStateStore(loaded.state, loaded.dir);
  const events: RunEvent[] = [];
  try {
    const result = await runSync({ project: loaded, state, sync, retryDelayMs: 1, onEvent: (e) => events.push(e) });
    return { result, events };
  } finally {
    await state.close();
  }
}
