import type { ZodType } from 'zod';
import { builtinConnectors, type ConnectorRegistry } from './registry.js';

/** Connector config schemas by type, for the config loader (`loadProject`'s `connectorSchemas`). */
export function connectorSchemas(registry: ConnectorRegistry = builtinConnectors): ReadonlyMap<string, ZodType> {
  return new Map([...registry].map(([name, c]) => [name, c.configSchema as ZodType]));
}
