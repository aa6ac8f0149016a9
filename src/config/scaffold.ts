import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { ENV_EXAMPLE, EXAMPLE_SYNC, GITIGNORE_LINES, projectFileText } from './scaffold-files.js';

export interface ScaffoldOptions {
  /** Project name; default: the folder name. */
  readonly name?: string;
  /** Overwrite ferry.yml, syncs/example.yml and .env.example when they exist. */
  readonly force?: boolean;
}

/**
 * Create a project in `dir` (made if missing): a commented `ferry.yml`,
 * `syncs/example.yml` and `.env.example`, and the Ferry lines in `.gitignore`
 * (appended to an existing one, never replacing it). Refuses to overwrite any
 * other existing file unless `force`. Returns the absolute paths written.
 *
 * @example await scaffoldProject('my-project', { name: 'shop' })
 */
export async function scaffoldProject(dir: string, options: ScaffoldOptions = {}): Promise<string[]> {
  const root = resolve(dir);
  const files: readonly (readonly [string, string])[] = [
    ['ferry.yml', projectFileText(options.name ?? basename(root))],
    ['syncs/example.yml', EXAMPLE_SYNC],
    ['.env.example', ENV_EXAMPLE],
  ];
  const existing = files.map(([file]) => file).filter((file) => existsSync(join(root, file)));
  if (existing.length > 0 && options.force !== true) {
    throw new ConfigError(`${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''} in ${root}`, {
      file: join(root, existing[0] ?? ''),
      hint: 'use --force to overwrite, or init another folder',
    });
  }
  await mkdir(join(root, 'syncs'), { recursive: true });
  for (const [file, text] of files) await writeFile(join(root, file), text, { flag: options.force === true ? 'w' : 'wx' });
  const written = files.map(([file]) => join(root, file));
  if (await extendGitignore(join(root, '.gitignore'))) written.push(join(root, '.gitignore'));
  return written;
}

/** Add the lines Ferry needs that are missing; returns whether the file changed. */
async function extendGitignore(path: string): Promise<boolean> {
  const current = existsSync(path) ? await readFile(path, 'utf8') : '';
  const present = new Set(current.split(/\r?\n/).map((line) => line.trim()));
  const missing = GITIGNORE_LINES.filter((line) => !present.has(line));
  if (missing.length === 0) return false;
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  const header = current === '' ? '' : '# Ferry\n';
  await writeFile(path, `${current}${separator}${header}${missing.join('\n')}\n`);
  return true;
}
