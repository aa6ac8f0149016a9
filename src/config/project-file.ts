import type { ZodType } from 'zod';
import type { ConfigIssue } from './config-errors.js';
import { suggestion } from './did-you-mean.js';
import type { ConnectionConfig, ProjectDefaults } from './project.js';
import { projectFileSchema } from './schema.js';
import type { KeyPath, Problem, YamlFile } from './yaml-file.js';
import { problemsFromZod } from './zod-problems.js';
import { strayKeys } from './zod-shape.js';

/** What `ferry.yml` contributes to a project. */
export interface ProjectFileContent {
  readonly name?: string;
  readonly state: string;
  readonly defaults: ProjectDefaults;
  readonly connections: ReadonlyMap<string, ConnectionConfig>;
}

export interface ProjectFileResult {
  /** Absent when the file has errors. */
  readonly content?: ProjectFileContent;
  /** Connection names written in the file, even when it has errors, to check syncs against; absent after syntax errors. */
  readonly connectionNames?: ReadonlySet<string>;
  readonly issues: readonly ConfigIssue[];
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Validate `ferry.yml`: its own keys, then each connection's settings with its connector's schema. */
export function readProjectFile(yaml: YamlFile, connectorSchemas: ReadonlyMap<string, ZodType>): ProjectFileResult {
  if (yaml.value === undefined) return { issues: yaml.issues };
  const raw = isRecord(yaml.value) ? yaml.value : undefined;
  const connections = raw !== undefined && isRecord(raw['connections']) ? raw['connections'] : {};
  const connectionNames = new Set(Object.keys(connections));
  const parsed = projectFileSchema.safeParse(yaml.value ?? {});
  const problems = [
    ...(parsed.success ? [] : problemsFromZod(parsed.error.issues, { schema: projectFileSchema, input: yaml.value ?? {} })),
    ...Object.entries(connections).flatMap(([name, value]) => connectionProblems(name, value, connectorSchemas)),
  ];
  const issues = yaml.issuesWith(problems);
  if (!parsed.success || issues.length > 0) return { connectionNames, issues };
  const content: ProjectFileContent = {
    ...(parsed.data.name !== undefined ? { name: parsed.data.name } : {}),
    state: parsed.data.state,
    defaults: parsed.data.defaults,
    connections: new Map(
      Object.entries(parsed.data.connections).map(([name, { type, ...settings }]) => [
        name,
        { name, type, settings, location: yaml.locate(['connections', name], 'key') },
      ]),
    ),
  };
  return { content, connectionNames, issues: [] };
}

function connectionProblems(name: string, value: unknown, connectorSchemas: ReadonlyMap<string, ZodType>): Problem[] {
  if (!isRecord(value) || typeof value['type'] !== 'string') return [];
  const prefix: KeyPath = ['connections', name];
  const { type, ...settings } = value;
  const schema = connectorSchemas.get(type);
  if (schema === undefined) {
    const known = [...connectorSchemas.keys()].sort();
    return [{ path: [...prefix, 'type'], part: 'value', message: `unknown connection type "${type}"${suggestion(type, known)} (known types: ${known.join(', ')})` }];
  }
  const parsed = schema.safeParse(settings);
  const problems = parsed.success ? [] : problemsFromZod(parsed.error.issues, { schema, input: settings, prefix });
  const stray = strayKeys(schema, settings).map((p) => ({ ...p, path: [...prefix, ...p.path] }));
  return [...problems, ...stray];
}
