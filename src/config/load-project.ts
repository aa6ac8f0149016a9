import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { ZodType } from 'zod';
import { ConfigError } from '../core/errors.js';
import { ConfigErrors, type ConfigIssue } from './config-errors.js';
import { mergeVariables, type Variables } from './interpolate.js';
import type { Project, SyncConfig } from './project.js';
import { readProjectFile } from './project-file.js';
import { readSyncFile } from './sync-file.js';
import { YamlFile } from './yaml-file.js';

export const PROJECT_FILE = 'ferry.yml';
export const SYNCS_FOLDER = 'syncs';
const SYNC_EXTENSIONS: ReadonlySet<string> = new Set(['.yml', '.yaml']);

export interface LoadOptions {
  /** Each connector's settings schema by connection `type`; config does not import connectors. */
  readonly connectorSchemas: ReadonlyMap<string, ZodType>;
  /** Variables for `${VAR}`; default `process.env`. They win over the project's `.env` file. */
  readonly env?: Variables;
}

/**
 * Read and validate a project: `ferry.yml` and `syncs/*.yml|yaml`, with
 * `${VAR}` references resolved from `env` and the project's `.env`. Every
 * problem in every file is reported at once in one {@link ConfigErrors}, each
 * with `file:line:col key: message` (files relative to the project folder).
 *
 * @example const project = await loadProject('.', { connectorSchemas });
 */
export async function loadProject(dir: string, options: LoadOptions): Promise<Project> {
  const root = resolve(dir);
  const variables = mergeVariables(options.env ?? process.env, await readDotenv(root));
  const projectFile = readProjectFile(new YamlFile(await readProjectText(root), PROJECT_FILE, variables), options.connectorSchemas);
  const issues: ConfigIssue[] = [...projectFile.issues];
  const syncs = new Map<string, SyncConfig>();
  const files = new Map<string, string>();
  for (const file of await listSyncFiles(root)) {
    const name = basename(file, extname(file));
    const other = files.get(name);
    if (other !== undefined) {
      issues.push({ file, line: 1, column: 1, key: '', message: `sync "${name}" is also defined by ${other}; keep one of the two files` });
      continue;
    }
    files.set(name, file);
    const result = readSyncFile(new YamlFile(await readFile(join(root, file), 'utf8'), file, variables), name, projectFile.connectionNames);
    issues.push(...result.issues);
    if (result.sync) syncs.set(name, result.sync);
  }
  if (issues.length > 0 || projectFile.content === undefined) throw new ConfigErrors(issues);
  const { content } = projectFile;
  return {
    name: content.name ?? basename(root),
    dir: root,
    state: content.state,
    connections: content.connections,
    syncs,
    defaults: content.defaults,
  };
}

/**
 * The nearest folder at or above `start` that holds a `ferry.yml`, or
 * `undefined` when there is none up to the file system root.
 */
export function findProjectDir(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, PROJECT_FILE))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function readProjectText(root: string): Promise<string> {
  try {
    return await readFile(join(root, PROJECT_FILE), 'utf8');
  } catch (error) {
    if (!isMissing(error)) throw new ConfigError(`cannot read ${PROJECT_FILE} in ${root}`, { file: join(root, PROJECT_FILE), cause: error });
    const misnamed = existsSync(join(root, 'ferry.yaml'));
    throw new ConfigError(`no ${PROJECT_FILE} in ${root}: this folder is not a Ferry project`, {
      cause: error,
      hint: misnamed
        ? `found ferry.yaml: rename it to ${PROJECT_FILE}`
        : 'run `ferry init` to create a project here, or pass --project <folder> of an existing project',
    });
  }
}

/** `.env` in the project folder, if any, parsed the way Node parses `--env-file`. */
async function readDotenv(root: string): Promise<Variables> {
  try {
    return parseEnv(await readFile(join(root, '.env'), 'utf8'));
  } catch (error) {
    if (isMissing(error)) return {};
    throw new ConfigError(`cannot read .env in ${root}`, { file: join(root, '.env'), cause: error });
  }
}

/** Sync files relative to the project folder, sorted so `a.yml` is read before `a.yaml`. */
async function listSyncFiles(root: string): Promise<string[]> {
  try {
    const entries = await readdir(join(root, SYNCS_FOLDER), { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && SYNC_EXTENSIONS.has(extname(e.name)))
      .map((e) => `${SYNCS_FOLDER}/${e.name}`)
      .sort((a, b) => syncSortKey(a).localeCompare(syncSortKey(b)));
  } catch (error) {
    if (isMissing(error)) return [];
    throw new ConfigError(`cannot list ${SYNCS_FOLDER}/ in ${root}`, { cause: error });
  }
}

/** By sync name, then `.yml` before `.yaml`. */
function syncSortKey(file: string): string {
  return `${basename(file, extname(file))}\u0000${extname(file) === '.yml' ? 0 : 1}`;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
