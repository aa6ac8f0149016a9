import { resolve } from 'node:path';
import type { ZodType } from 'zod';
import type { Project } from '../config/project.js';
import { findProjectDir, loadProject } from '../config/index.js';
import { builtinConnectors, type ConnectorRegistry } from '../connectors/registry.js';
import { openStateStore } from '../state/index.js';
import type { StateStore } from '../state/state-store.js';

export interface GlobalOptions {
  /** Project folder (`--project`); default: nearest folder with ferry.yml. */
  readonly project?: string;
}

/** Connector config schemas by type, for the config loader. */
export function connectorSchemas(registry: ConnectorRegistry = builtinConnectors): ReadonlyMap<string, ZodType> {
  return new Map([...registry].map(([name, c]) => [name, c.configSchema as ZodType]));
}

/** Load the project the user points at (or the one around the working directory). */
export async function openProject(options: GlobalOptions): Promise<Project> {
  const dir = options.project ? resolve(options.project) : (findProjectDir(process.cwd()) ?? process.cwd());
  return loadProject(dir, { connectorSchemas: connectorSchemas() });
}

/** Run `body` with the project and its state store, closing the store afterwards. */
export async function withProject<T>(options: GlobalOptions, body: (project: Project, state: StateStore) => Promise<T>): Promise<T> {
  const project = await openProject(options);
  const state = await openStateStore(project.state, project.dir);
  try {
    return await body(project, state);
  } finally {
    await state.close();
  }
}
