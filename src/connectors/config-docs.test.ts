import { describe, expect, it } from 'vitest';
import { type ZodType, z } from 'zod';
import { duckdbConnector } from './duckdb/index.js';
import { filesConnector } from './files/index.js';
import { mysqlConnector } from './mysql/index.js';
import { postgresConnector } from './postgres/index.js';
import { sqliteConnector } from './sqlite/index.js';

type JsonNode = { readonly [key: string]: unknown };

const CONNECTORS: ReadonlyArray<readonly [string, ZodType]> = [
  ['postgres', postgresConnector.configSchema],
  ['sqlite', sqliteConnector.configSchema],
  ['duckdb', duckdbConnector.configSchema],
  ['files', filesConnector.configSchema],
  ['mysql', mysqlConnector.configSchema],
];

function isNode(value: unknown): value is JsonNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasDescription(node: JsonNode): boolean {
  const text = node['description'];
  return typeof text === 'string' && text.trim().length > 0;
}

/** Dotted paths of every property (nested objects included) whose JSON Schema has no description. */
function undocumented(node: JsonNode, prefix: string): string[] {
  const properties = node['properties'];
  if (!isNode(properties)) return [];
  return Object.entries(properties).flatMap(([key, child]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (!isNode(child)) return [path];
    return [...(hasDescription(child) ? [] : [path]), ...undocumented(child, path)];
  });
}

/** Property count including nested objects, so the check cannot pass on an empty schema. */
function propertyCount(node: JsonNode): number {
  const properties = node['properties'];
  if (!isNode(properties)) return 0;
  return Object.values(properties).reduce<number>((n, child) => n + 1 + (isNode(child) ? propertyCount(child) : 0), 0);
}

describe('connector config docs', () => {
  it.each(CONNECTORS)('%s: the schema and every key (nested too) have a description', (_type, schema) => {
    const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as JsonNode;
    expect(hasDescription(json)).toBe(true);
    expect(propertyCount(json)).toBeGreaterThan(1);
    expect(undocumented(json, '')).toEqual([]);
  });

  it('walks into the files `csv` options', () => {
    const json = z.toJSONSchema(filesConnector.configSchema, { io: 'input' }) as JsonNode;
    const csv = (json['properties'] as JsonNode)['csv'];
    expect(isNode(csv) && propertyCount(csv)).toBeGreaterThanOrEqual(10);
  });
});
