import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openStateStore } from './open-state-store.js';
import { describeStateStore } from './state-store-conformance.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-state-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeStateStore('sqlite file', {
  open: () => openStateStore('sqlite:.ferry/state.db', dir),
  parallelConnections: false,
});
