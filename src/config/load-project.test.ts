import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { ConfigErrors, type ConfigIssue } from './config-errors.js';
import { findProjectDir, loadProject } from './load-project.js';
import type { Project } from './project.js';
import { FERRY_YML, rejection, testConnectorSchemas, writeProject } from './test-project.js';

const SHOP_SYNC = `description: Shop tables into the warehouse
source: shop_db
destination: warehouse
tags: [daily]
schedule: "0 * * * *"                  # stored only for now
defaults:
  mode: full_refresh
  write: replace
  target_schema: raw
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
    batch_size: 5000
  big_orders:
    sql: select * from orders where total > 1000
    write: replace
  legacy_table:
    enabled: false
  customers:
  exports:
    path: exports/*.csv
`;

const LIST_SYNC = `source: shop_db
destination: pg
streams:
  - name: orders
    mode: incremental
    cursor: id
    cursor_start: 9007199254740993
    primary_key: id
  - name: public.*
`;

const load = (dir: string, env: Record<string, string | undefined> = {}) => loadProject(dir, { connectorSchemas: testConnectorSchemas, env });

async function issuesOf(files: Record<string, string>, env: Record<string, string | undefined> = {}): Promise<ConfigIssue[]> {
  const error = await rejection(load(await writeProject(files), env));
  expect(error).toBeInstanceOf(ConfigErrors);
  return [...(error as ConfigErrors).issues];
}

describe('loadProject: valid projects', () => {
  it('loads ferry.yml and a map-shaped sync into the exact expected object', async () => {
    const dir = await writeProject({ 'ferry.yml': FERRY_YML, 'syncs/shop.yml': SHOP_SYNC });
    const at = (line: number, column: number) => ({ file: 'syncs/shop.yml', line, column });
    const expected: Project = {
      name: 'shop',
      dir,
      state: 'sqlite:.ferry/state.db',
      defaults: { threads: 4, batch_size: 10000 },
      connections: new Map([
        ['shop_db', { name: 'shop_db', type: 'sqlite', settings: { path: 'data/shop.db' }, location: { file: 'ferry.yml', line: 7, column: 3 } }],
        ['warehouse', { name: 'warehouse', type: 'duckdb', settings: { path: 'warehouse.duckdb' }, location: { file: 'ferry.yml', line: 10, column: 3 } }],
        ['pg', { name: 'pg', type: 'postgres', settings: { url: 'postgres://postgres@127.0.0.1:5432/app' }, location: { file: 'ferry.yml', line: 13, column: 3 } }],
      ]),
      syncs: new Map([
        [
          'shop',
          {
            name: 'shop',
            file: 'syncs/shop.yml',
            description: 'Shop tables into the warehouse',
            source: 'shop_db',
            destination: 'warehouse',
            tags: ['daily'],
            schedule: '0 * * * *',
            defaults: { mode: 'full_refresh', write: 'replace', target_schema: 'raw' },
            streams: [
              { name: '*', enabled: true, location: at(11, 3) },
              {
                name: 'orders',
                enabled: true,
                mode: 'incremental',
                write: 'merge',
                primary_key: ['id'],
                cursor: 'updated_at',
                cursor_start: '2020-01-01',
                null_cursor: 'exclude',
                columns: ['id', 'status', 'updated_at'],
                exclude_columns: ['secret_*'],
                target: 'analytics.{stream_table}',
                where: "status <> 'test'",
                schema_change: 'evolve',
                batch_size: 5000,
                location: at(12, 3),
              },
              { name: 'big_orders', enabled: true, sql: 'select * from orders where total > 1000', write: 'replace', location: at(25, 3) },
              { name: 'legacy_table', enabled: false, location: at(28, 3) },
              { name: 'customers', enabled: true, location: at(30, 3) },
              { name: 'exports', enabled: true, path: 'exports/*.csv', location: at(31, 3) },
            ],
            location: at(1, 1),
          },
        ],
      ]),
    };
    expect(await load(dir)).toStrictEqual(expected);
  });

  it('reads list-shaped streams, a single primary key and a numeric cursor_start without float rounding', async () => {
    const dir = await writeProject({ 'ferry.yml': FERRY_YML, 'syncs/list.yaml': LIST_SYNC });
    const project = await load(dir);
    const sync = project.syncs.get('list');
    expect(sync?.file).toBe('syncs/list.yaml');
    expect(sync?.defaults).toStrictEqual({});
    expect(sync?.tags).toStrictEqual([]);
    expect(sync?.streams).toStrictEqual([
      {
        name: 'orders',
        enabled: true,
        mode: 'incremental',
        cursor: 'id',
        cursor_start: '9007199254740993',
        primary_key: ['id'],
        location: { file: 'syncs/list.yaml', line: 4, column: 5 },
      },
      { name: 'public.*', enabled: true, location: { file: 'syncs/list.yaml', line: 9, column: 5 } },
    ]);
  });

  it('applies defaults: folder name, sqlite state, 4 threads, 10000 rows per batch, no syncs folder', async () => {
    const dir = await writeProject({ 'ferry.yml': 'connections: {}\n' });
    const project = await load(dir);
    expect(project.name).toBe(dir.split('/').at(-1));
    expect(project.state).toBe('sqlite:.ferry/state.db');
    expect(project.defaults).toStrictEqual({ threads: 4, batch_size: 10000 });
    expect(project.syncs.size).toBe(0);
  });

  it('returns an absolute dir for a relative path', async () => {
    const dir = await writeProject({ 'ferry.yml': 'name: rel\n' });
    const previous = process.cwd();
    process.chdir(join(dir, '..'));
    try {
      const project = await load(dir.split('/').at(-1) ?? '');
      expect(project.dir).toBe(await realpath(dir));
    } finally {
      process.chdir(previous);
    }
  });
});

describe('loadProject: errors name file:line:col, key path and what was expected', () => {
  it('reports every problem of every file at once, sorted, with did-you-mean', async () => {
    const sync = `source: shop_dbb
destination: warehouse
defaults:
  mode: incremental
  write: upsert
streams:
  orders:
    curser: updated_at
    batch_size: 0
  big:
    sql: select 1
    path: x.csv
    cursor: id
    primary_key: 7
`;
    const ferry = FERRY_YML.replace('  threads: 4 ', '  threads: 65').replace('    type: duckdb', '    type: duckbd');
    const issues = await issuesOf({ 'ferry.yml': ferry, 'syncs/shop.yml': sync });
    expect(issues).toStrictEqual([
      { file: 'ferry.yml', line: 4, column: 12, key: 'defaults.threads', message: 'expected at most 64, found 65' },
      {
        file: 'ferry.yml',
        line: 11,
        column: 11,
        key: 'connections.warehouse.type',
        message: 'unknown connection type "duckbd"; did you mean "duckdb"? (known types: duckdb, postgres, sqlite)',
      },
      {
        file: 'syncs/shop.yml',
        line: 1,
        column: 9,
        key: 'source',
        message: 'connection "shop_dbb" is not defined in ferry.yml; did you mean "shop_db"? (defined: shop_db, warehouse, pg)',
      },
      { file: 'syncs/shop.yml', line: 5, column: 10, key: 'defaults.write', message: 'expected one of replace, append, truncate, merge, mirror, found "upsert"' },
      {
        file: 'syncs/shop.yml',
        line: 7,
        column: 3,
        key: 'streams.orders',
        message: 'mode incremental (from defaults.mode) needs a cursor: add `cursor: <column>` to the stream or to defaults',
      },
      { file: 'syncs/shop.yml', line: 8, column: 5, key: 'streams.orders.curser', message: 'unknown key; did you mean "cursor"?' },
      { file: 'syncs/shop.yml', line: 9, column: 17, key: 'streams.orders.batch_size', message: 'expected more than 0, found 0' },
      {
        file: 'syncs/shop.yml',
        line: 12,
        column: 5,
        key: 'streams.big.path',
        message: '`sql` and `path` are mutually exclusive: a stream reads a query or files, not both',
      },
      {
        file: 'syncs/shop.yml',
        line: 14,
        column: 18,
        key: 'streams.big.primary_key',
        message: 'expected a column name or a list of them, found 7',
      },
    ]);
  });

  it('puts one `file:line:col key: message` line per issue in the message', async () => {
    const dir = await writeProject({ 'ferry.yml': 'name: x\nconection: {}\nstate: mysql://h/db\n' });
    const error = (await rejection(load(dir))) as ConfigErrors;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      [
        '2 configuration errors:',
        'ferry.yml:2:1 conection: unknown key; did you mean "connections"?',
        'ferry.yml:3:8 state: expected sqlite:<path> or postgres://user@host/db, found "mysql://h/db"',
      ].join('\n'),
    );
    expect(error.describe()).toBe(error.message);
    expect(error.context).toMatchObject({ file: 'ferry.yml', line: 2, column: 1, key: 'conection' });
  });

  it('reports YAML syntax errors with their line and column', async () => {
    const issues = await issuesOf({
      'ferry.yml': FERRY_YML,
      'syncs/a.yml': 'source: shop_db\ndestination: pg: x\n',
      'syncs/b.yml': 'source: a\nstreams:\n  orders: [id\n  other: {}\n',
    });
    expect(issues).toStrictEqual([
      { file: 'syncs/a.yml', line: 2, column: 14, key: '', message: 'YAML syntax error: Nested mappings are not allowed in compact mappings' },
      {
        file: 'syncs/b.yml',
        line: 4,
        column: 3,
        key: '',
        message: 'YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
      },
    ]);
  });

  it('reports duplicate map keys as YAML errors at the second key', async () => {
    const issues = await issuesOf({ 'ferry.yml': FERRY_YML, 'syncs/dup.yml': 'source: shop_db\ndestination: pg\nstreams:\n  a: {}\n  a: {}\n' });
    expect(issues.map((i) => [i.line, i.column])).toStrictEqual([[5, 3]]);
    expect(issues[0]?.message).toContain('unique');
  });

  it('points a missing required key at its parent, and a wrong type at the value', async () => {
    const issues = await issuesOf({
      'ferry.yml': FERRY_YML,
      'syncs/a.yml': 'destination: pg\nstreams: public.orders\n',
    });
    expect(issues).toStrictEqual([
      { file: 'syncs/a.yml', line: 1, column: 1, key: 'source', message: 'missing required key (text)' },
      {
        file: 'syncs/a.yml',
        line: 2,
        column: 10,
        key: 'streams',
        message: 'expected a map of stream name to settings, or a list of streams with a name each, found "public.orders"',
      },
    ]);
  });

  it('locates errors inside list-shaped streams and duplicate list names', async () => {
    const issues = await issuesOf({
      'ferry.yml': FERRY_YML,
      'syncs/a.yml': 'source: pg\ndestination: pg\nstreams:\n  - name: orders\n    writ: merge\n  - name: orders\n  - mode: full_refresh\n',
    });
    expect(issues).toStrictEqual([
      { file: 'syncs/a.yml', line: 5, column: 5, key: 'streams[0].writ', message: 'unknown key; did you mean "write"?' },
      { file: 'syncs/a.yml', line: 6, column: 11, key: 'streams[1].name', message: 'stream "orders" is listed twice (also at streams[0])' },
      { file: 'syncs/a.yml', line: 7, column: 5, key: 'streams[2].name', message: 'missing required key (text)' },
    ]);
  });

  it('validates connection settings with the connector schema, under the connection key path', async () => {
    const ferry = `connections:
  app:
    type: sqlite
    paht: data/app.db
  pg:
    type: postgres
    url: 5432
    shema: public
`;
    expect(await issuesOf({ 'ferry.yml': ferry })).toStrictEqual([
      { file: 'ferry.yml', line: 2, column: 3, key: 'connections.app.path', message: 'missing required key (text)' },
      { file: 'ferry.yml', line: 4, column: 5, key: 'connections.app.paht', message: 'unknown key; did you mean "path"?' },
      { file: 'ferry.yml', line: 7, column: 10, key: 'connections.pg.url', message: 'expected text, found <redacted>' },
      { file: 'ferry.yml', line: 8, column: 5, key: 'connections.pg.shema', message: 'unknown key; did you mean "schema"?' },
    ]);
  });

  it('requires a type for every connection', async () => {
    expect(await issuesOf({ 'ferry.yml': 'connections:\n  app:\n    path: x.db\n' })).toStrictEqual([
      { file: 'ferry.yml', line: 2, column: 3, key: 'connections.app.type', message: 'missing required key (text)' },
    ]);
  });

  it('requires a cursor for incremental streams, at the stream mode', async () => {
    const sync = 'source: pg\ndestination: pg\nstreams:\n  orders:\n    mode: incremental\n  off:\n    mode: incremental\n    enabled: false\n';
    expect(await issuesOf({ 'ferry.yml': FERRY_YML, 'syncs/a.yml': sync })).toStrictEqual([
      {
        file: 'syncs/a.yml',
        line: 5,
        column: 11,
        key: 'streams.orders.mode',
        message: 'mode incremental needs a cursor: add `cursor: <column>` to the stream or to defaults',
      },
    ]);
  });

  it('accepts merge without primary_key: the engine takes keys from the source', async () => {
    const dir = await writeProject({ 'ferry.yml': FERRY_YML, 'syncs/a.yml': 'source: pg\ndestination: pg\nstreams:\n  "public.*":\n    write: merge\n' });
    expect((await load(dir)).syncs.get('a')?.streams[0]).toMatchObject({ name: 'public.*', write: 'merge' });
  });

  it('rejects a sync without streams and an empty file', async () => {
    expect(await issuesOf({ 'ferry.yml': FERRY_YML, 'syncs/a.yml': 'source: pg\ndestination: pg\nstreams: {}\n', 'syncs/b.yml': '# nothing yet\n' })).toStrictEqual([
      { file: 'syncs/a.yml', line: 3, column: 1, key: 'streams', message: 'no streams: add at least one, e.g. `"*": {}` for every table' },
      { file: 'syncs/b.yml', line: 1, column: 1, key: '', message: 'expected a map, found an empty file' },
    ]);
  });

  it('rejects two files defining the same sync', async () => {
    const sync = 'source: pg\ndestination: pg\nstreams:\n  a: {}\n';
    expect(await issuesOf({ 'ferry.yml': FERRY_YML, 'syncs/a.yml': sync, 'syncs/a.yaml': sync })).toStrictEqual([
      { file: 'syncs/a.yaml', line: 1, column: 1, key: '', message: 'sync "a" is also defined by syncs/a.yml; keep one of the two files' },
    ]);
  });

  it('says which folder has no ferry.yml and suggests ferry init', async () => {
    const dir = await writeProject({ 'syncs/a.yml': 'source: x\n' });
    const error = (await rejection(load(dir))) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`no ferry.yml in ${dir}: this folder is not a Ferry project`);
    expect(error.context.hint).toContain('ferry init');
  });
});

describe('findProjectDir', () => {
  it('walks up to the folder holding ferry.yml, or returns undefined', async () => {
    const dir = await writeProject({ 'ferry.yml': 'name: x\n', 'syncs/deep/er/.keep': '' });
    expect(findProjectDir(join(dir, 'syncs', 'deep', 'er'))).toBe(dir);
    expect(findProjectDir(dir)).toBe(dir);
    expect(findProjectDir('/')).toBeUndefined();
  });
});

describe('loadProject: YAML aliases', () => {
  it('explains that an unquoted * is read as an alias', async () => {
    const issues = await issuesOf({
      'ferry.yml': FERRY_YML,
      'syncs/a.yml': 'source: pg\ndestination: pg\nstreams:\n  *: {}\n',
      'syncs/b.yml': 'source: *pg\ndestination: pg\nstreams:\n  "*": {}\n',
    });
    const hint = '; quote names that start with * (YAML reads *name as an alias), e.g. "*": {}';
    expect(issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.key}: ${i.message}`)).toStrictEqual([
      `syncs/a.yml:4:6 : YAML syntax error: Unexpected flow-map-start at node end${hint}`,
      `syncs/a.yml:4:7 : YAML syntax error: Unexpected flow-map-end token in YAML stream: "}"${hint}`,
      `syncs/b.yml:1:9 source: unknown YAML alias *pg${hint}`,
    ]);
  });

  it('resolves anchors, aliases and << merge keys', async () => {
    const sync = 'source: pg\ndestination: pg\nstreams:\n  orders: &inc\n    mode: incremental\n    cursor: updated_at\n  items:\n    <<: *inc\n    cursor: changed_at\n  copy: *inc\n';
    const project = await load(await writeProject({ 'ferry.yml': FERRY_YML, 'syncs/a.yml': sync }));
    expect(project.syncs.get('a')?.streams.map((s) => [s.name, s.mode, s.cursor])).toStrictEqual([
      ['orders', 'incremental', 'updated_at'],
      ['items', 'incremental', 'changed_at'],
      ['copy', 'incremental', 'updated_at'],
    ]);
  });
});
