import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Sync a folder so a rename inside it survives a crash. */
export async function fsyncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A hidden temp file next to `target` (same folder, so the final rename is atomic). */
export async function tempPathFor(target: string): Promise<string> {
  await mkdir(dirname(target), { recursive: true });
  return join(dirname(target), `.${basename(target)}.${randomUUID().slice(0, 8)}.tmp`);
}

/** Publish a finished, fsynced temp file: an atomic rename over the target. */
export async function publishFile(temp: string, target: string): Promise<void> {
  await rename(temp, target);
  await fsyncFolder(dirname(target));
}

/**
 * Where an `append` writes: `<folder>/<stem>/part-<runId>[-n]<ext>` next to the
 * target, never an existing file, so earlier data is never rewritten.
 */
export async function appendPartPath(folder: string, stem: string, runId: string, ext: string): Promise<string> {
  const safeRun = runId.replace(/[^A-Za-z0-9._-]/g, '_');
  for (let n = 0; ; n++) {
    const path = join(folder, stem, `part-${safeRun}${n === 0 ? '' : `-${n}`}${ext}`);
    if ((await stat(path).catch(() => undefined)) === undefined) return path;
  }
}

/** Delete the part files earlier appends left for a target (a `replace` starts over). */
export async function removeAppendParts(folder: string, stem: string): Promise<string[]> {
  const partsFolder = join(folder, stem);
  const names = await readdir(partsFolder).catch(() => [] as string[]);
  const parts = names.filter((n) => n.startsWith('part-'));
  for (const name of parts) await rm(join(partsFolder, name), { force: true });
  return parts.map((name) => join(partsFolder, name));
}
