import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EDITOR_SETUP, projectJsonSchema, syncJsonSchema, type JsonSchema } from './json-schema.js';
import { scaffoldProject } from './scaffold.js';
import { FERRY_YML, testConnectorSchemas, writeProject } from './test-project.js';

/** A small JSON Schema (draft 7) checker for the keywords zod emits: enough to prove the schema accepts and rejects the right files. */
function violations(schema: JsonSchema, value: unknown, path = '$'): string[] {
  const s = schema as Record<string, any>;
  const out: string[] = [];
  const types = s['type'] === undefined ? undefined : [s['type']].flat();
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (types && !types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return [`${path}: ${actual} is not ${types.join('|')}`];
  if (s['enum'] && !s['enum'].includes(value)) out.push(`${path}: not in enum`);
  if ('const' in s && s['const'] !== value) out.push(`${path}: not ${String(s['const'])}`);
  if (typeof value === 'number' && s['maximum'] !== undefined && value > s['maximum']) out.push(`${path}: above maximum`);
  if (typeof value === 'number' && s['minimum'] !== undefined && value < s['minimum']) out.push(`${path}: below minimum`);
  if (typeof value === 'number' && s['exclusiveMinimum'] !== undefined && value <= s['exclusiveMinimum']) out.push(`${path}: not above minimum`);
  if (typeof value === 'string' && s['pattern'] && !new RegExp(s['pattern']).test(value)) out.push(`${path}: pattern`);
  if (Array.isArray(value) && s['items']) value.forEach((v, i) => out.push(...violations(s['items'], v, `${path}[${i}]`)));
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of s['required'] ?? []) if (!(key in object)) out.push(`${path}.${key}: required`);
    for (const [key, v] of Object.entries(object)) {
      const property = s['properties']?.[key] ?? s['additionalProperties'];
      if (property === false) out.push(`${path}.${key}: not allowed`);
      else if (property !== undefined && property !== true) out.push(...violations(property, v, `${path}.${key}`));
    }
  }
  if (s['anyOf'] && !s['anyOf'].some((b: JsonSchema) => violations(b, value, path).length === 0)) out.push(`${path}: matches no anyOf branch`);
  for (const part of s['allOf'] ?? []) out.push(...violations(part, value, path));
  if (s['if'] && violations(s['if'], value, path).length === 0 && s['then']) out.push(...violations(s['then'], value, path));
  return out;
}

/** Every key under `properties`, anywhere in the schema, with its description (`if` conditions are not docs). */
function documentedKeys(schema: unknown, path = ''): [string, unknown][] {
  if (typeof schema !== 'object' || schema === null) return [];
  const entries: [string, unknown][] = [];
  for (const [key, child] of Object.entries(schema)) {
    if (key === 'if') continue;
    if (key === 'properties') {
      for (const [name, property] of Object.entries(child as object)) {
        entries.push([`${path}${name}`, (property as JsonSchema)['description']], ...documentedKeys(property, `${path}${name}.`));
      }
    } else {
      entries.push(...documentedKeys(child, path));
    }
  }
  return entries;
}

const FULL_SYNC = `description: all keys
source: shop_db
destination: warehouse
tags: [daily]
schedule: "0 * * * *"
defaults: { mode: full_refresh, write: replace, target_schema: raw }
watermarks:
  last: { sql: "select max(updated_at) from raw.orders", default: 0 }
hooks:
  after: [{ sql: "insert into audit values (1)", run_on: always }]
streams:
  "*": {}
  orders:
    mode: incremental
    write: merge
    primary_key: [id]
    cursor: updated_at
    cursor_start: "2020-01-01"
    null_cursor: exclude
    columns: [id, status, updated_at]
    exclude_columns: [secret_*]
    target: "analytics.{stream_table}"
    where: "status <> 'test'"
    schema_change: evolve
    schema_contract: { tables: evolve, data_type: discard_value }
    batch_size: 5000
    filters: [{ column: status, op: in, value: [paid, 1, null] }, { column: total, op: gte, value: 10.5 }]
    hooks: { after: ["analyze analytics.orders", { sql: "select 1", run_on: failure }] }
  big_orders:
    sql: "select * from orders where updated_at > {since}"
    write: replace
    schema_contract: freeze
    watermarks: { since: { connection: warehouse, sql: "select max(updated_at) from raw.big_orders", default: "1970-01-01" } }
  legacy_table: { enabled: false }
  nothing:
  files: { path: exports/*.csv, primary_key: id }
`;

describe('JSON Schema', () => {
  const project = projectJsonSchema(testConnectorSchemas);
  const sync = syncJsonSchema();

  it('documents every key of ferry.yml, sync files and connector settings', () => {
    const keys = [...documentedKeys(project), ...documentedKeys(sync)];
    expect(keys.filter(([, description]) => typeof description !== 'string' || description.length < 10).map(([key]) => key)).toStrictEqual([]);
    const names = new Set(keys.map(([key]) => key.split('.').at(-1)));
    for (const key of ['name', 'state', 'threads', 'batch_size', 'connections', 'type', 'path', 'url', 'source', 'destination', 'tags', 'schedule', 'description', 'defaults', 'streams']) {
      expect(names, key).toContain(key);
    }
    for (const key of ['mode', 'write', 'primary_key', 'cursor', 'cursor_start', 'null_cursor', 'columns', 'exclude_columns', 'target', 'target_schema', 'where', 'schema_change', 'schema_contract', 'tables', 'data_type', 'sql', 'enabled', 'mirror_delete', 'mirror_scope', 'mirror_allow_empty', 'mirror_max_delete_percent', 'metadata_columns', 'filters', 'column', 'op', 'value', 'watermarks', 'connection', 'default', 'hooks', 'after', 'run_on']) {
      expect(names, key).toContain(key);
    }
    expect(project['$schema']).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('accepts the documented example files', () => {
    expect(violations(project, parse(FERRY_YML))).toStrictEqual([]);
    expect(violations(sync, parse(FULL_SYNC))).toStrictEqual([]);
    expect(violations(sync, { source: 'a', destination: 'b', streams: [{ name: 'orders', primary_key: 'id' }] })).toStrictEqual([]);
  });

  it('accepts what ferry init writes', async () => {
    const dir = await writeProject({});
    await scaffoldProject(dir, { name: 'demo' });
    expect(violations(project, parse(await readFile(join(dir, 'ferry.yml'), 'utf8')))).toStrictEqual([]);
    expect(violations(sync, parse(await readFile(join(dir, 'syncs', 'example.yml'), 'utf8')))).toStrictEqual([]);
  });

  it('rejects bad values, unknown keys and connector settings of the wrong type', () => {
    expect(violations(sync, { source: 'a', destination: 'b', streams: { o: { write: 'upsert', curser: 'x' } } })).toStrictEqual([
      '$.streams: matches no anyOf branch',
    ]);
    expect(violations(project, { defaults: { threads: 65 } })).toStrictEqual(['$.defaults.threads: above maximum']);
    expect(violations(project, { connections: { a: { type: 'sqlite', paht: 'x' } } })).toContain('$.connections.a.path: required');
    expect(violations(project, { connections: { a: { type: 'postgres', url: 'u', shema: 'x' } } })).toStrictEqual(['$.connections.a.shema: not allowed']);
    expect(violations(project, { connections: { a: { type: 'mysql' } } })).toStrictEqual(['$.connections.a.type: not in enum']);
    expect(violations(project, { connections: { a: { type: 'sqlite', path: 'x', paht: 'x' } } })).toStrictEqual(['$.connections.a.paht: not allowed']);
  });

  it('explains the editor setup', () => {
    expect(EDITOR_SETUP).toContain('# yaml-language-server: $schema=./ferry.schema.json');
    expect(EDITOR_SETUP).toContain('ferry schema --sync > sync.schema.json');
  });
});
