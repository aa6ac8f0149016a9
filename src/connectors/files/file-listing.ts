import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { ConfigError } from '../../core/errors.js';
import { formatOfPath } from './file-format.js';
import type { SourceFile } from './file-input.js';

/** Absolute path of `name` under `root`; refuses absolute paths and `..` escapes. */
export function pathUnderRoot(root: string, name: string): string {
  const path = resolve(root, name);
  const rel = relative(root, path);
  if (isAbsolute(name) || rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new ConfigError(`"${name}" is not a file under the connection's folder ${root}`, {
      hint: 'name files relative to the connection `path`, without `..`',
    });
  }
  return path;
}

/**
 * Files a stream name refers to, sorted: the file itself, or every match of a
 * glob (`exports/*.jsonl.gz`). Throws a ConfigError when nothing matches.
 */
export async function listStreamFiles(root: string, pattern: string, stream: string): Promise<SourceFile[]> {
  pathUnderRoot(root, pattern.replace(/[*?[\]{}]/g, '_'));
  if (!isDynamicPattern(pattern)) {
    const path = pathUnderRoot(root, pattern);
    const found = await stat(path).catch(() => undefined);
    if (!found?.isFile()) {
      throw new ConfigError(`file "${pattern}" does not exist under ${root}`, { stream, hint: 'check the stream name (a path relative to the connection `path`) or run `ferry discover`' });
    }
    return [{ path, name: pattern }];
  }
  const names = (await glob(pattern, { cwd: root, onlyFiles: true, expandDirectories: false })).sort();
  if (names.length === 0) {
    throw new ConfigError(`no file under ${root} matches "${pattern}"`, { stream, hint: 'check the glob; it is matched relative to the connection `path`' });
  }
  return names.map((name) => ({ path: resolve(root, name), name }));
}

/** Every readable data file under the root (recursively), by relative path, sorted. */
export async function listDataFiles(root: string): Promise<string[]> {
  const names = await glob('**/*', { cwd: root, onlyFiles: true });
  return names.filter((name) => formatOfPath(name) !== undefined && !name.split('/').some((part) => part.startsWith('.'))).sort();
}
