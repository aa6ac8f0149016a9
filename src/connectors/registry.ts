import type { ConnectorDefinition } from '../core/connector.js';
import { duckdbConnector } from './duckdb/index.js';
import { filesConnector } from './files/index.js';
import { mariadbConnector, mysqlConnector } from './mysql/index.js';
import { postgresConnector } from './postgres/index.js';
import { sqliteConnector } from './sqlite/index.js';

/** Connector definitions by the `type` used in ferry.yml. */
export type ConnectorRegistry = ReadonlyMap<string, ConnectorDefinition>;

/** Every built-in connector. Adding one is one line here. */
export const builtinConnectors: ConnectorRegistry = new Map<string, ConnectorDefinition>(
  [postgresConnector, sqliteConnector, duckdbConnector, filesConnector, mysqlConnector, mariadbConnector].map((c) => [c.name, c as ConnectorDefinition]),
);
