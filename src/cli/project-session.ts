import { resolve } from 'node:path';
import type { Project } from '../config/project.js';
import type { StateStore } from '../state/state-store.js';

/**
 * The command line loads the config loader, the connectors and the state
 * store only when a command needs them (`import()` in the actions), so
 * `ferry --version`, `--help` and a mistyped command answer without loading
 * kysely, zod and every driver (about 0.45 s of module loading).
 */

export interface GlobalOptions {
  /** Project folder (`--project`); default: nearest folder with ferry.yml. */
  readonly project?: string;
}

/** Load the project the user points at (or the one around the working directory). */
export async function openProject(options: GlobalOptions): Promise<Project> {
  const [{ findProjectDir, loadProject }, { connectorSchemas }] = await Promise.all([import('../config/index.js'), import('../connectors/connector-schemas.js')]);
  const dir = options.project ? resolve(options.project) : (findProjectDir(process.cwd()) ?? process.cwd());
  return loadProject(dir, { connectorSchemas: connectorSchemas() });
}

/** Run `body` with the project and its state store, closing the store afterwards. */
export async function withProject<T>(options: GlobalOptions, body: (project: Project, state: StateStore) => Promise<T>): Promise<T> {
  const project = await openProject(options);
  const { openStateStore } = await import('../state/index.js');
  const state = await openStateStore(project.state, project.dir);
  try {
    return await body(project, state);
  } finally {
    await state.close();
  }
}
