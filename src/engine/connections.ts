import type { ConnectorContext, ConnectorDefinition, Destination, Logger, Source } from '../core/connector.js';
import { ConfigError } from '../core/errors.js';
import type { ConnectionConfig, Project } from '../config/project.js';
import type { ConnectorRegistry } from '../connectors/registry.js';

export interface ResolvedConnection {
  readonly connection: ConnectionConfig;
  readonly definition: ConnectorDefinition;
  readonly config: unknown;
  readonly context: ConnectorContext;
}

/** Look up a connection by name and validate its settings with its connector's schema. */
export function resolveConnection(
  project: Project,
  registry: ConnectorRegistry,
  name: string,
  logger: Logger,
): ResolvedConnection {
  const connection = project.connections.get(name);
  if (!connection) {
    throw new ConfigError(`connection "${name}" is not defined in ferry.yml`, {
      hint: `defined connections: ${[...project.connections.keys()].join(', ') || '(none)'}`,
    });
  }
  const definition = registry.get(connection.type);
  if (!definition) {
    throw new ConfigError(`connection "${name}" has unknown type "${connection.type}"`, {
      ...connection.location,
      hint: `known types: ${[...registry.keys()].join(', ')}`,
    });
  }
  const parsed = definition.configSchema.safeParse(connection.settings);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ConfigError(`connection "${name}": ${first ? `${first.path.join('.')}: ${first.message}` : 'invalid settings'}`, {
      ...connection.location,
      connection: name,
    });
  }
  return {
    connection,
    definition,
    config: parsed.data,
    context: { connection: name, projectDir: project.dir, logger },
  };
}

/** Create a source for a connection (loading its connector first), or say clearly that its connector cannot read. */
export async function createSource(resolved: ResolvedConnection): Promise<Source> {
  const { definition, config, context } = resolved;
  if (!definition.createSource) {
    throw new ConfigError(`connection "${context.connection}" (${definition.name}) cannot be used as a source`, {
      connection: context.connection,
    });
  }
  await definition.load?.();
  return definition.createSource(config, context);
}

/** Create a destination for a connection (loading its connector first), or say clearly that its connector cannot write. */
export async function createDestination(resolved: ResolvedConnection): Promise<Destination> {
  const { definition, config, context } = resolved;
  if (!definition.createDestination) {
    throw new ConfigError(`connection "${context.connection}" (${definition.name}) cannot be used as a destination`, {
      connection: context.connection,
    });
  }
  await definition.load?.();
  return definition.createDestination(config, context);
}
