import { z } from 'zod';
import type { Checkpoint } from '../../src/core/checkpoint.js';
import type {
  ConnectorDefinition,
  Destination,
  OpenRequest,
  ReadRequest,
  Source,
  StreamWriter,
} from '../../src/core/connector.js';
import { RetryableError } from '../../src/core/errors.js';
import type { Batch, Column, Row, StreamDescriptor } from '../../src/core/schema.js';
import { compareValues } from '../../src/core/values.js';
import { exactAs, type TypeFidelity } from '../../src/core/type-fidelity.js';

/**
 * An in-memory source and a transactional in-memory destination with fault
 * injection, for testing the engine's loop, retries, aborts and checkpoints
 * without a database. Tables live in a shared `MemoryWorld` object.
 */
export interface MemoryTable {
  columns: Column[];
  primaryKey: string[];
  rows: Row[];
}

export interface Faults {
  /** Throw a RetryableError on these write() call numbers (1-based, counted per world). */
  retryableOnWrite?: number[];
  /** Throw a plain (terminal) error on this write() call. */
  terminalOnWrite?: number;
  /** Throw a RetryableError on this commit() call. */
  retryableOnCommit?: number[];
  /** Make every write() take this long (to let timers fire mid-run). */
  writeDelayMs?: number;
}

export class MemoryWorld {
  readonly source = new Map<string, MemoryTable>();
  readonly target = new Map<string, MemoryTable>();
  readonly checkpoints = new Map<string, Checkpoint>();
  faults: Faults = {};
  writes = 0;
  commits = 0;
  aborts = 0;
  /** Staged rows of open writers, to prove abort drops them. */
  staged = 0;
}

const configSchema = z.object({ world: z.string() });
const worlds = new Map<string, MemoryWorld>();

/** Register a world under a name usable as `world:` in a connection's settings. */
export function memoryWorld(name: string): MemoryWorld {
  const world = new MemoryWorld();
  worlds.set(name, world);
  return world;
}

function worldOf(config: { world: string }): MemoryWorld {
  const world = worlds.get(config.world);
  if (!world) throw new Error(`no memory world ${config.world}`);
  return world;
}

function descriptor(name: string, table: MemoryTable): StreamDescriptor {
  return { name, table: { name }, columns: table.columns, primaryKey: table.primaryKey, estimatedRows: table.rows.length };
}

class MemorySource implements Source {
  readonly rawFormats = [] as const;
  readonly #world: MemoryWorld;
  constructor(world: MemoryWorld) {
    this.#world = world;
  }
  async discover(): Promise<StreamDescriptor[]> {
    return [...this.#world.source].map(([name, t]) => descriptor(name, t));
  }
  async describe(target: ReadRequest['target']): Promise<StreamDescriptor> {
    if (target.kind !== 'table') throw new Error('memory source reads tables only');
    const table = this.#world.source.get(target.table.name);
    if (!table) throw new Error(`no table ${target.table.name}`);
    return descriptor(target.table.name, table);
  }
  readSql(request: ReadRequest): string {
    return `memory read ${request.stream}${request.cursor ? ` where ${request.cursor.column} >= ${String(request.cursor.from)}` : ''}`;
  }
  async count(request: ReadRequest): Promise<number> {
    return this.#select(request).length;
  }
  async *read(request: ReadRequest): AsyncIterable<Batch> {
    const rows = this.#select(request);
    const table = this.#world.source.get(request.stream);
    const columns = (request.columns ?? table?.columns.map((c) => c.name) ?? []).map((n) => table?.columns.find((c) => c.name === n) as Column);
    const indexes = columns.map((c) => table?.columns.indexOf(c) ?? -1);
    for (let i = 0; i < rows.length; i += request.batchSize) {
      yield { columns, rows: rows.slice(i, i + request.batchSize).map((r) => indexes.map((j) => r[j] ?? null)) };
    }
  }
  #select(request: ReadRequest): Row[] {
    const table = this.#world.source.get(request.stream);
    if (!table) return [];
    const cursor = request.cursor;
    if (!cursor || (cursor.from === undefined && cursor.to === undefined)) return [...table.rows];
    const index = table.columns.findIndex((c) => c.name === cursor.column);
    return table.rows.filter((r) => {
      const v = r[index] ?? null;
      if (v === null) return cursor.includeNulls;
      if (cursor.from !== undefined && cursor.from !== null && compareValues(cursor.type.kind, v, cursor.from) < 0) return false;
      return cursor.to === undefined || cursor.to === null || compareValues(cursor.type.kind, v, cursor.to) <= 0;
    });
  }
  async close(): Promise<void> {}
}

class MemoryWriter implements StreamWriter {
  readonly #world: MemoryWorld;
  readonly #request: OpenRequest;
  #rows: Row[] = [];
  constructor(world: MemoryWorld, request: OpenRequest) {
    this.#world = world;
    this.#request = request;
  }
  async write(batch: Batch): Promise<{ rows: number }> {
    const n = ++this.#world.writes;
    if (this.#world.faults.writeDelayMs) await new Promise((r) => setTimeout(r, this.#world.faults.writeDelayMs));
    if (this.#world.faults.retryableOnWrite?.includes(n)) throw new RetryableError(`injected retryable fault on write ${n}`);
    if (this.#world.faults.terminalOnWrite === n) throw new Error(`injected terminal fault on write ${n}`);
    this.#rows.push(...batch.rows);
    this.#world.staged += batch.rows.length;
    return { rows: batch.rows.length };
  }
  async commit(checkpoint: Checkpoint | undefined): Promise<{ rows: number; sql: string[] }> {
    const n = ++this.#world.commits;
    if (this.#world.faults.retryableOnCommit?.includes(n)) throw new RetryableError(`injected retryable fault on commit ${n}`);
    const name = this.#request.target.name;
    const existing = this.#world.target.get(name);
    const keyIdx = this.#request.primaryKey.map((k) => this.#request.columns.findIndex((c) => c.name === k));
    const key = (r: Row): string => JSON.stringify(keyIdx.map((i) => String(r[i])));
    let rows: Row[];
    switch (this.#request.write) {
      case 'replace':
      case 'truncate':
        rows = [...this.#rows];
        break;
      case 'append':
        rows = [...(existing?.rows ?? []), ...this.#rows];
        break;
      case 'merge': {
        const byKey = new Map((existing?.rows ?? []).map((r) => [key(r), r]));
        for (const r of this.#rows) byKey.set(key(r), r);
        rows = [...byKey.values()];
        break;
      }
      case 'mirror':
        throw new Error('the memory destination does not mirror');
    }
    // Data and checkpoint become visible together: this destination is "transactional".
    this.#world.target.set(name, { columns: [...this.#request.columns], primaryKey: [...this.#request.primaryKey], rows });
    if (checkpoint) this.#world.checkpoints.set(`${checkpoint.sync}/${checkpoint.stream}`, checkpoint);
    this.#world.staged -= this.#rows.length;
    const count = this.#rows.length;
    this.#rows = [];
    return { rows: count, sql: [`memory ${this.#request.write} ${name}`] };
  }
  async abort(): Promise<void> {
    this.#world.aborts++;
    this.#world.staged -= this.#rows.length;
    this.#rows = [];
  }
}

class MemoryDestination implements Destination {
  readonly capabilities = { writes: ['replace', 'append', 'truncate', 'merge'], transactional: true, rawFormats: [], schemas: false } as const;
  readonly #world: MemoryWorld;
  constructor(world: MemoryWorld) {
    this.#world = world;
  }
  /** Holds every kind as the canonical value itself. */
  typeFidelity(column: Column): TypeFidelity {
    return exactAs(`memory ${column.type.kind}`);
  }
  defaultTarget(stream: StreamDescriptor): { name: string } {
    return { name: stream.table.name };
  }
  async open(request: OpenRequest): Promise<StreamWriter> {
    return new MemoryWriter(this.#world, request);
  }
  async readCheckpoint(sync: string, stream: string): Promise<Checkpoint | undefined> {
    return this.#world.checkpoints.get(`${sync}/${stream}`);
  }
  async close(): Promise<void> {}
}

export const memoryConnector: ConnectorDefinition<{ world: string }> = {
  name: 'memory',
  description: 'in-memory tables for engine tests',
  configSchema,
  secretKeys: [],
  async check(config) {
    worldOf(config);
  },
  createSource: (config) => new MemorySource(worldOf(config)),
  createDestination: (config) => new MemoryDestination(worldOf(config)),
};
