/**
 * What the files connector needs to read and write, behind one import: Parquet
 * goes through DuckDB, whose native binding `index.ts` loads only when a run uses files.
 */
export { FilesDestination } from './destination.js';
export { FilesSource } from './source.js';
