import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectorSchemas } from '../../src/connectors/connector-schemas.js';
import { loadProject } from '../../src/config/index.js';
import { runSync, type RunResult } from '../../src/engine/run-sync.js';
import { openStateStore } from '../../src/state/index.js';

/**
 * Writes `syncs/<name>.yml` in the project at `dir`, loads the project from disk and
 * runs that sync once (no retries), returning the result and the run's log messages.
 * The state store is closed before returning, so a later run can open it again.
 */
export async function runSyncFile(dir: string, name: string, yaml: string): Promise<{ result: RunResult; log: string[] }> {
  await writeFile(join(dir, 'syncs', `${name}.yml`), yaml);
  const project = await loadProject(dir, { connectorSchemas: connectorSchemas() });
  const state = await openStateStore(project.state, project.dir);
  try {
    const result = await runSync({ project, state, sync: name, attempts: 1 });
    return { result, log: (await state.readLog(result.runId)).map((l) => l.message) };
  } finally {
    await state.close();
  }
}
