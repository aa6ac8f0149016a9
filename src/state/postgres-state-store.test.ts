import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { openStateStore } from './open-state-store.js';
import { describeStateStore } from './state-store-conformance.js';

let database: TestDatabase | undefined;
beforeAll(async () => {
  database = await createTestDatabase('state');
});
afterAll(async () => {
  await database?.drop();
});

describeStateStore('postgres', {
  open: () => openStateStore(database?.url ?? '', '/nonexistent'),
  parallelConnections: true,
});
