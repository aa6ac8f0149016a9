import { DuckDBInstance } from '@duckdb/node-api';
import { ConnectionError } from '../../core/errors.js';

/**
 * DuckDB locks its file for one instance per process, so sources and
 * destinations on the same path share one instance, counted by users and
 * closed when the last one releases it.
 */
interface Entry {
  readonly instance: Promise<DuckDBInstance>;
  users: number;
}

const instances = new Map<string, Entry>();

/** A shared instance; call `release` exactly once when done. */
export interface InstanceLease {
  readonly instance: DuckDBInstance;
  release(): void;
}

export async function acquireInstance(path: string, options: Record<string, string>, connection: string): Promise<InstanceLease> {
  let entry = instances.get(path);
  if (!entry) {
    entry = { instance: DuckDBInstance.create(path, options), users: 0 };
    instances.set(path, entry);
  }
  entry.users++;
  const current = entry;
  let instance: DuckDBInstance;
  try {
    instance = await current.instance;
  } catch (error) {
    current.users--;
    if (instances.get(path) === current) instances.delete(path);
    throw new ConnectionError(`cannot open DuckDB database ${path}: ${(error as Error).message}`, {
      connection,
      hint: 'another process may hold the file lock, or the folder is not writable',
      cause: error,
    });
  }
  let released = false;
  return {
    instance,
    release: () => {
      if (released) return;
      released = true;
      current.users--;
      if (current.users === 0 && instances.get(path) === current) {
        instances.delete(path);
        instance.closeSync();
      }
    },
  };
}
