import { access, constants, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ConnectorContext, ConnectorDefinition } from '../../core/connector.js';
import { ConnectionError } from '../../core/errors.js';
import { type FilesConfig, filesConfigSchema } from './config.js';
import { lazyModule } from '../lazy-module.js';

/** The source and destination, imported when a run uses files (DuckDB's binding only with the first Parquet file). */
const parts = lazyModule('files', () => import('./connector-parts.js'));

export type { FilesConfig } from './config.js';

function rootOf(config: FilesConfig, ctx: ConnectorContext): string {
  return resolve(ctx.projectDir, config.path);
}

/** The nearest existing folder at or above `path`. */
async function existingAncestor(path: string): Promise<string> {
  for (let at = path; ; at = dirname(at)) {
    if ((await stat(at).catch(() => undefined)) !== undefined || dirname(at) === at) return at;
  }
}

/**
 * The root must be a readable folder, or not exist yet under a writable folder
 * (a destination creates it on the first write). Nothing is created here.
 */
async function checkRoot(config: FilesConfig, ctx: ConnectorContext): Promise<void> {
  const root = rootOf(config, ctx);
  try {
    const found = await stat(root).catch(() => undefined);
    if (found === undefined) {
      await access(await existingAncestor(root), constants.W_OK);
      return;
    }
    if (!found.isDirectory()) throw new Error(`${root} is a file`);
    await access(root, constants.R_OK);
  } catch (error) {
    throw new ConnectionError(`folder ${root} is not readable and cannot be created`, {
      connection: ctx.connection,
      hint: 'set `path` to a folder (relative to the project) that exists or can be created',
      cause: error,
    });
  }
}

/**
 * CSV, JSONL and Parquet files in a folder, as a source (a stream is a file or
 * a glob) and a destination (one file per stream, replaced atomically).
 *
 * @example
 * connections:
 *   exports: { type: files, path: data/exports, format: csv, csv: { delimiter: ';' } }
 */
export const filesConnector: ConnectorDefinition<FilesConfig> = {
  name: 'files',
  description: 'CSV, JSONL and Parquet files in a local folder (gzip for CSV/JSONL)',
  configSchema: filesConfigSchema,
  secretKeys: [],
  load: () => parts.load(),
  check: checkRoot,
  createSource: (config, ctx) => new (parts.get().FilesSource)(config, rootOf(config, ctx), ctx),
  createDestination: (config, ctx) => new (parts.get().FilesDestination)(config, rootOf(config, ctx), ctx),
};
