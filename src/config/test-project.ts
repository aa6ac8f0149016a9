import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { onTestFinished } from 'vitest';
import { z, type ZodType } from 'zod';

/** Connector schemas standing in for the real connectors in config tests. */
export const testConnectorSchemas: ReadonlyMap<string, ZodType> = new Map<string, ZodType>([
  ['sqlite', z.object({ path: z.string().describe('Database file.') })],
  ['duckdb', z.object({ path: z.string().describe('Database file.') })],
  ['postgres', z.strictObject({ url: z.string().describe('Connection URL.'), schema: z.string().optional().describe('Default schema.') })],
]);

/**
 * Write `files` (relative path -> text) into a fresh temporary folder and
 * return it; called inside a test, the folder is removed when the test ends.
 */
export async function writeProject(files: Readonly<Record<string, string>>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-config-'));
  try {
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
  } catch {
    // Outside a test (a beforeAll): the caller removes it.
  }
  for (const [file, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), text);
  }
  return dir;
}

/** The error a promise rejects with (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

export const FERRY_YML = `name: shop
state: sqlite:.ferry/state.db          # or postgres://user:pass@host/db
defaults:
  threads: 4                            # streams of a sync run concurrently
  batch_size: 10000
connections:
  shop_db:
    type: sqlite
    path: data/shop.db
  warehouse:
    type: duckdb
    path: warehouse.duckdb
  pg:
    type: postgres
    url: \${PG_URL:-postgres://postgres@127.0.0.1:5432/app}
`;
