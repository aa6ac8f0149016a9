import { join } from 'node:path';
import type { ConnectorContext, Destination, Source } from '../../src/core/connector.js';
import type { TableRef } from '../../src/core/schema.js';
import { builtinConnectors } from '../../src/connectors/registry.js';

/**
 * The engines of the fidelity matrix. Each is a source and a destination; a
 * pair copies into a place of its own (a schema, a database file, a folder)
 * named after the source, so every pair's tables stay side by side for reading
 * back. Adding an engine is one entry in `fidelityEndpoints`.
 */
export interface Endpoint {
  readonly name: string;
  /** Registry name of the connector. */
  readonly connector: string;
  /** Connection settings for the place `place` (e.g. `from_sqlite`). */
  settings(place: string): Record<string, unknown>;
  /** Where table `table` lands in `place`, and where the source reads it. */
  target(place: string, table: string): TableRef;
}

export interface EndpointEnvironment {
  /** Scratch folder for files and database files. */
  readonly work: string;
  /** URL of the test's Postgres database. */
  readonly postgresUrl: string;
  /** URL of the test's MariaDB database; each place is a database named after it with this prefix. */
  readonly mysqlUrl: string;
  readonly mysqlDatabase: string;
}

function fileEndpoint(format: 'parquet' | 'csv' | 'jsonl', work: string): Endpoint {
  return {
    name: format,
    connector: 'files',
    settings: (place) => ({ path: join(work, format, place), format }),
    target: (_place, table) => ({ name: `${table}.${format}` }),
  };
}

/** Postgres, MySQL/MariaDB, SQLite, DuckDB, Parquet, CSV and JSONL, in matrix order. */
export function fidelityEndpoints(env: EndpointEnvironment): Endpoint[] {
  return [
    { name: 'postgres', connector: 'postgres', settings: (place) => ({ url: env.postgresUrl, schema: place }), target: (place, table) => ({ schema: place, name: table }) },
    { name: 'mysql', connector: 'mysql', settings: () => ({ url: env.mysqlUrl }), target: (place, table) => ({ schema: `${env.mysqlDatabase}_${place}`, name: table }) },
    { name: 'sqlite', connector: 'sqlite', settings: (place) => ({ path: join(env.work, `${place}.db`) }), target: (_place, table) => ({ name: table }) },
    { name: 'duckdb', connector: 'duckdb', settings: (place) => ({ path: join(env.work, `${place}.duckdb`) }), target: (_place, table) => ({ schema: 'main', name: table }) },
    fileEndpoint('parquet', env.work),
    fileEndpoint('csv', env.work),
    fileEndpoint('jsonl', env.work),
  ];
}

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A destination and a source of one endpoint over the same place. */
export interface OpenEndpoint {
  readonly destination: Destination;
  readonly source: Source;
  close(): Promise<void>;
}

export function openEndpoint(endpoint: Endpoint, place: string, work: string): OpenEndpoint {
  const def = builtinConnectors.get(endpoint.connector);
  if (!def?.createDestination || !def.createSource) throw new Error(`connector ${endpoint.connector} needs a source and a destination`);
  const ctx: ConnectorContext = { connection: `${endpoint.name}-${place}`, projectDir: work, logger: quiet };
  const config = def.configSchema.parse(endpoint.settings(place));
  const destination = def.createDestination(config, ctx);
  const source = def.createSource(config, ctx);
  return {
    destination,
    source,
    async close() {
      await source.close();
      await destination.close();
    },
  };
}
