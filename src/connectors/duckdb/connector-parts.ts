/**
 * What the DuckDB connector needs to read and write, behind one import: it loads
 * DuckDB's native binding, so `index.ts` imports it only when a run uses DuckDB.
 */
export { DuckdbDestination } from './destination.js';
export { acquireInstance } from './instance-cache.js';
export { DuckdbSource } from './source.js';
