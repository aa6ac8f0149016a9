/**
 * Ferry as a library: everything the CLI does is a typed function call.
 *
 * @example
 * import { loadProject, openStateStore, runSync, builtinConnectors, connectorSchemas } from 'ferry';
 * const project = await loadProject('.', { connectorSchemas: connectorSchemas() });
 * const state = await openStateStore(project.state, project.dir);
 * const result = await runSync({ project, state, sync: 'shop' });
 */
export * from './core/index.js';
export type * from './config/project.js';
export { loadProject, findProjectDir, scaffoldProject, projectJsonSchema, syncJsonSchema } from './config/index.js';
export { builtinConnectors, type ConnectorRegistry } from './connectors/registry.js';
export { connectorSchemas } from './connectors/connector-schemas.js';
export { runSync, type RunSyncOptions, type RunResult, type DryRunStream } from './engine/run-sync.js';
export type { RunEvent, RunEventListener } from './engine/run-events.js';
export { openStateStore } from './state/index.js';
export type * from './state/state-store.js';
