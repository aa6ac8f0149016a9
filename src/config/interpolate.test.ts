import { describe, expect, it } from 'vitest';
import { z, type ZodType } from 'zod';
import { ConfigErrors } from './config-errors.js';
import { interpolate, mergeVariables } from './interpolate.js';
import { loadProject } from './load-project.js';
import { FERRY_YML, rejection, testConnectorSchemas, writeProject } from './test-project.js';

describe('interpolate', () => {
  const variables = { HOST: 'db.local', EMPTY: '', PORT: '5433' };

  it('replaces ${VAR} and ${VAR:-default}, defaulting unset and empty variables like a shell', () => {
    expect(interpolate('postgres://${HOST}:${PORT:-5432}/app', variables)).toStrictEqual({ value: 'postgres://db.local:5433/app', replaced: true, problems: [] });
    expect(interpolate('${MISSING:-fallback}|${EMPTY:-was empty}|${EMPTY}|${MISSING:-}', variables).value).toBe('fallback|was empty||');
    expect(interpolate('no references', variables)).toStrictEqual({ value: 'no references', replaced: false, problems: [] });
  });

  it('keeps $${ as a literal ${', () => {
    expect(interpolate("where x = '$${HOST}' and y = '${HOST}'", variables).value).toBe("where x = '${HOST}' and y = 'db.local'");
  });

  it('names a missing variable and rejects malformed references', () => {
    expect(interpolate('${NOPE}', variables).problems).toStrictEqual([
      'environment variable NOPE is not set and has no default; set it in the environment or in .env, or write ${NOPE:-default}',
    ]);
    expect(interpolate('${HOST', variables).problems[0]).toMatch(/^unterminated variable reference "\$\{HOST"/);
    expect(interpolate('${1X} ${A-b}', variables).problems).toHaveLength(2);
  });

  it('lets the real environment win over .env, treating undefined as unset', () => {
    expect(mergeVariables({ A: 'env', B: undefined }, { A: 'file', B: 'file', C: 'file' })).toStrictEqual({ A: 'env', B: 'file', C: 'file' });
  });
});

describe('loadProject interpolation', () => {
  const sync = "source: pg\ndestination: warehouse\nstreams:\n  orders:\n    where: \"note <> '$${literal}' and region = '${REGION:-eu}'\"\n    target: ${TARGET_SCHEMA}.orders\n";

  it('takes variables from the environment, then .env, then defaults', async () => {
    const dir = await writeProject({
      'ferry.yml': FERRY_YML,
      'syncs/shop.yml': sync,
      '.env': 'PG_URL=postgres://file@h/db\nTARGET_SCHEMA=from_file\n# comment\n',
    });
    const project = await loadProject(dir, { connectorSchemas: testConnectorSchemas, env: { TARGET_SCHEMA: 'from_env', REGION: undefined } });
    expect(project.connections.get('pg')?.settings).toStrictEqual({ url: 'postgres://file@h/db' });
    expect(project.syncs.get('shop')?.streams[0]).toMatchObject({
      where: "note <> '${literal}' and region = 'eu'",
      target: 'from_env.orders',
    });
  });

  it('reports each missing variable at its value with the key path, together with the other errors of the file', async () => {
    const ferry = 'connections:\n  pg:\n    type: postgres\n    url: ${PG_URL}\n    shema: raw\n  warehouse:\n    type: postgres\n    url: x\n';
    const dir = await writeProject({ 'ferry.yml': ferry, 'syncs/shop.yml': `${sync}    mode: incremental\n` });
    const schemas = new Map<string, ZodType>([['postgres', z.strictObject({ url: z.string().min(1), schema: z.string().optional() })]]);
    const error = (await rejection(loadProject(dir, { connectorSchemas: schemas, env: {} }))) as ConfigErrors;
    expect(error.issues).toStrictEqual([
      {
        file: 'ferry.yml',
        line: 4,
        column: 10,
        key: 'connections.pg.url',
        message: 'environment variable PG_URL is not set and has no default; set it in the environment or in .env, or write ${PG_URL:-default}',
      },
      { file: 'ferry.yml', line: 5, column: 5, key: 'connections.pg.shema', message: 'unknown key; did you mean "schema"?' },
      {
        file: 'syncs/shop.yml',
        line: 6,
        column: 13,
        key: 'streams.orders.target',
        message: 'environment variable TARGET_SCHEMA is not set and has no default; set it in the environment or in .env, or write ${TARGET_SCHEMA:-default}',
      },
      {
        file: 'syncs/shop.yml',
        line: 7,
        column: 11,
        key: 'streams.orders.mode',
        message: 'mode incremental needs a cursor: add `cursor: <column>` to the stream or to defaults',
      },
    ]);
  });

  it('never prints the value of a secret-looking key, interpolated or written out', async () => {
    const secret = 'hunter2-very-secret';
    const schemas = new Map<string, ZodType>([
      ...testConnectorSchemas,
      ['api', z.object({ token: z.string().regex(/^tk_/, { error: 'expected a token starting with tk_' }), password: z.string().min(30) })],
    ]);
    const ferry = `state: mysql://admin:\${DB_PASSWORD}@db/state
connections:
  api:
    type: api
    token: \${API_TOKEN}
    password: ${secret}
`;
    const dir = await writeProject({ 'ferry.yml': ferry });
    const error = (await rejection(loadProject(dir, { connectorSchemas: schemas, env: { API_TOKEN: secret, DB_PASSWORD: secret } }))) as ConfigErrors;
    expect(error.issues.map((i) => `${i.line}:${i.column} ${i.key}: ${i.message}`)).toStrictEqual([
      '1:8 state: expected sqlite:<path> or postgres://user@host/db, found "mysql://admin:***@db/state"',
      '5:12 connections.api.token: expected a token starting with tk_, found <redacted>',
      '6:15 connections.api.password: expected at least 30 characters, found <redacted>',
    ]);
    expect(error.message).not.toContain(secret);
    expect(error.describe()).not.toContain(secret);
  });
});
