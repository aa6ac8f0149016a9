/** The state store: run history, logs, checkpoints and locks, over SQLite or Postgres. */
export { openStateStore } from './open-state-store.js';
export { KyselyStateStore } from './kysely-state-store.js';
export { LATEST_STATE_VERSION } from './migrations.js';
export type * from './state-store.js';
export { LOG_LEVELS, RUN_STATUSES } from './state-store.js';
