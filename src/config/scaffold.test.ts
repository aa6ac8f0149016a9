import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { loadProject } from './load-project.js';
import { scaffoldProject } from './scaffold.js';
import { rejection, testConnectorSchemas, writeProject } from './test-project.js';

describe('scaffoldProject', () => {
  it('writes a commented project that loads without errors: SQLite app -> DuckDB warehouse', async () => {
    const dir = await writeProject({});
    const written = await scaffoldProject(join(dir, 'new project'), { name: 'demo shop' });
    const root = join(dir, 'new project');
    expect(written).toStrictEqual(['ferry.yml', 'syncs/example.yml', '.env.example', '.gitignore'].map((f) => join(root, f)));
    const project = await loadProject(root, { connectorSchemas: testConnectorSchemas, env: {} });
    expect(project.name).toBe('demo shop');
    expect(project.state).toBe('sqlite:.ferry/state.db');
    expect(project.defaults).toStrictEqual({ threads: 4, batch_size: 10000 });
    expect([...project.connections.values()].map((c) => [c.name, c.type, c.settings])).toStrictEqual([
      ['app', 'sqlite', { path: 'data/app.db' }],
      ['warehouse', 'duckdb', { path: 'warehouse.duckdb' }],
    ]);
    const sync = project.syncs.get('example');
    expect(sync).toMatchObject({ source: 'app', destination: 'warehouse', tags: ['daily'], defaults: { mode: 'full_refresh', write: 'replace' } });
    expect(sync?.streams.map((s) => s.name)).toStrictEqual(['*']);
    expect(await readFile(join(root, '.gitignore'), 'utf8')).toBe('.ferry/\n*.duckdb\n*.duckdb.wal\n.env\n');
    expect(await readFile(join(root, '.env.example'), 'utf8')).toContain('PG_URL=');
  });

  it('explains every stream key in the example sync comments', async () => {
    const dir = await writeProject({});
    await scaffoldProject(dir);
    const text = await readFile(join(dir, 'syncs', 'example.yml'), 'utf8');
    for (const key of ['description', 'source', 'destination', 'tags', 'schedule', 'defaults', 'mode', 'write', 'target_schema', 'streams', 'cursor', 'cursor_start', 'null_cursor', 'primary_key', 'columns', 'exclude_columns', 'target', 'where', 'schema_change', 'schema_contract', 'tables', 'data_type', 'batch_size', 'sql', 'path', 'enabled']) {
      expect(text, key).toMatch(new RegExp(`^\\s*#?\\s*${key}:`, 'm'));
    }
  });

  it('refuses to overwrite existing files without force, naming them, and overwrites with force', async () => {
    const dir = await writeProject({ 'ferry.yml': 'name: mine\n', '.gitignore': 'node_modules/\n.env' });
    const error = (await rejection(scaffoldProject(dir))) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`ferry.yml already exists in ${dir}`);
    expect(await readFile(join(dir, 'ferry.yml'), 'utf8')).toBe('name: mine\n');

    await scaffoldProject(dir, { force: true });
    expect(await readFile(join(dir, 'ferry.yml'), 'utf8')).toContain(`name: ${dir.split('/').at(-1)}`);
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\n.env\n# Ferry\n.ferry/\n*.duckdb\n*.duckdb.wal\n');
  });

  it('leaves a .gitignore that already has every line untouched', async () => {
    const dir = await writeProject({ '.gitignore': '.ferry/\n*.duckdb\n*.duckdb.wal\n.env\n' });
    const written = await scaffoldProject(dir);
    expect(written.map((f) => f.slice(dir.length + 1))).toStrictEqual(['ferry.yml', 'syncs/example.yml', '.env.example']);
    await writeFile(join(dir, 'syncs', 'example.yml'), 'x');
    expect(((await rejection(scaffoldProject(dir))) as Error).message).toBe(`ferry.yml, syncs/example.yml, .env.example already exist in ${dir}`);
  });
});
