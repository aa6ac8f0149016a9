import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { streamContract } from '../engine/stream-contract.js';
import { ConfigErrors } from './config-errors.js';
import { loadProject } from './load-project.js';
import { FERRY_YML, rejection, testConnectorSchemas, writeProject } from './test-project.js';

const SYNC = `source: shop_db
destination: warehouse
defaults:
  schema_contract: discard_row
streams:
  orders:
    schema_contract: { columns: freeze }
  customers:
    schema_change: freeze
  items:
    schema_contract:
      data_type: evolve
      tables: freeze
`;

const where = { stream: 'orders' };

describe('schema_contract setting', () => {
  it('loads a single mode and a map, and resolves them per entity: stream, then sync defaults, then Ferry defaults', async () => {
    const project = await loadProject(await writeProject({ 'ferry.yml': FERRY_YML, 'syncs/shop.yml': SYNC }), { connectorSchemas: testConnectorSchemas, env: {} });
    const sync = project.syncs.get('shop');
    expect(sync?.defaults.schema_contract).toBe('discard_row');
    const contractOf = (name: string) => streamContract(sync?.streams.find((s) => s.name === name) ?? {}, sync?.defaults ?? {}, where);
    expect(contractOf('orders')).toEqual({ tables: 'discard_row', columns: 'freeze', data_type: 'discard_row' });
    expect(contractOf('customers')).toEqual({ tables: 'discard_row', columns: 'freeze', data_type: 'discard_row' });
    expect(contractOf('items')).toEqual({ tables: 'freeze', columns: 'discard_row', data_type: 'evolve' });
    expect(streamContract({}, {}, where)).toEqual({ tables: 'evolve', columns: 'evolve', data_type: 'freeze' });
  });

  it('schema_change is shorthand for schema_contract.columns; both at one level are refused with what to write', () => {
    expect(streamContract({ schema_change: 'freeze', schema_contract: { data_type: 'discard_value' } }, {}, where)).toEqual({ tables: 'evolve', columns: 'freeze', data_type: 'discard_value' });
    const error = (() => {
      try {
        return streamContract({ schema_change: 'evolve', schema_contract: { columns: 'freeze' } }, {}, { ...where, file: 'syncs/shop.yml', line: 6, column: 3 });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).describe()).toContain('syncs/shop.yml:6:3: [stream orders] the stream set both schema_change and schema_contract.columns');
    expect((error as ConfigError).context.hint).toBe('schema_change is shorthand for schema_contract.columns; keep one: schema_contract: { columns: freeze }');
  });

  it('reports unknown modes and entities at their line and column', async () => {
    const sync = `source: shop_db
destination: warehouse
streams:
  orders:
    schema_contract: { colums: freeze }
  customers:
    schema_contract: melt
`;
    const error = await rejection(loadProject(await writeProject({ 'ferry.yml': FERRY_YML, 'syncs/shop.yml': sync }), { connectorSchemas: testConnectorSchemas, env: {} }));
    expect(error).toBeInstanceOf(ConfigErrors);
    const issues = (error as ConfigErrors).issues.map((i) => `${i.line}:${i.column} ${i.key}: ${i.message}`);
    expect(issues).toContain('7:22 streams.customers.schema_contract: expected one of evolve, freeze, discard_row, discard_value, found "melt"');
    expect(issues.find((i) => i.startsWith('5:'))).toMatch(/^5:24 streams\.orders\.schema_contract\.colums: unknown key; did you mean "columns"\?/);
  });
});
