import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh temporary project folder with an empty `syncs/`, named after `prefix`
 * so a leftover folder says which test made it. The caller writes ferry.yml and removes the folder.
 */
export async function makeProjectDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(dir, 'syncs'));
  return dir;
}
