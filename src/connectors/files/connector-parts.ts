/**
 * What the files connector needs to read and write, behind one import that
 * `index.ts` makes only when a run uses files. Parquet goes through DuckDB,
 * whose native binding is imported on the first Parquet file read or written.
 */
export { FilesDestination } from './destination.js';
export { FilesSource } from './source.js';
