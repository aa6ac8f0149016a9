import { z, type ZodType } from 'zod';
import { projectFileSchema, syncFileSchema } from './schema.js';

/** A JSON Schema document (draft 7, the dialect YAML editor extensions understand best). */
export type JsonSchema = { [key: string]: unknown };

/**
 * How to get completion and hover docs in VS Code (the Red Hat YAML extension)
 * or any editor using yaml-language-server.
 */
export const EDITOR_SETUP = `Editor completion and inline docs for Ferry files:

1. Write the schemas into the project:
     ferry schema > ferry.schema.json
     ferry schema --sync > sync.schema.json
2. Either put a modeline on the first line of each file:
     # yaml-language-server: $schema=./ferry.schema.json        (in ferry.yml)
     # yaml-language-server: $schema=../sync.schema.json        (in syncs/*.yml)
   or map them once in .vscode/settings.json:
     "yaml.schemas": {
       "./ferry.schema.json": "ferry.yml",
       "./sync.schema.json": "syncs/*.{yml,yaml}"
     }
Regenerate ferry.schema.json after upgrading Ferry: it lists the settings of every connector.`;

const OPTIONS = { target: 'draft-7', io: 'input', unrepresentable: 'any' } as const;

function toJson(schema: ZodType): JsonSchema {
  return z.toJSONSchema(schema, OPTIONS) as JsonSchema;
}

/** JSON Schema of `syncs/*.yml`. */
export function syncJsonSchema(): JsonSchema {
  return { ...toJson(syncFileSchema), title: 'Ferry sync (syncs/*.yml)' };
}

/**
 * JSON Schema of `ferry.yml`, where each connection is checked against its
 * connector's settings schema, chosen by its `type`.
 */
export function projectJsonSchema(connectorSchemas: ReadonlyMap<string, ZodType>): JsonSchema {
  const base = toJson(projectFileSchema);
  const properties = base['properties'] as Record<string, JsonSchema>;
  const connections = properties['connections'] ?? {};
  const types = [...connectorSchemas.keys()].sort();
  const branches = types.map((type) => connectionBranch(type, connectorSchemas.get(type) as ZodType));
  const connection: JsonSchema = {
    type: 'object',
    description: 'A named endpoint: `type` plus the settings of its connector. Use ${VAR} for secrets.',
    properties: { type: { type: 'string', enum: types, description: 'Connector type; the other keys depend on it.' } },
    required: ['type'],
    ...(branches.length > 0 ? { allOf: branches } : {}),
  };
  return {
    ...base,
    title: 'Ferry project (ferry.yml)',
    properties: { ...properties, connections: { ...connections, additionalProperties: connection } },
  };
}

/** `if type is X then the settings follow X's schema` (plus `type` itself, which the connector does not know). */
function connectionBranch(type: string, schema: ZodType): JsonSchema {
  const { $schema: _dialect, ...settings } = toJson(schema);
  const properties = (settings['properties'] as Record<string, unknown> | undefined) ?? {};
  const required = (settings['required'] as string[] | undefined) ?? [];
  return {
    if: { properties: { type: { const: type } }, required: ['type'] },
    then: {
      ...settings,
      // The loader rejects keys a connector does not know even when its zod schema would strip them; so does the editor.
      ...(settings['type'] === 'object' ? { additionalProperties: settings['additionalProperties'] ?? false } : {}),
      properties: { type: { const: type, description: `Connector type: ${type}.` }, ...properties },
      required: ['type', ...required],
    },
  };
}
