import { EventEmitter } from 'node:events';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import { CopyDataOut } from './copy-data-out.js';
import { CsvRowPatch } from './csv-row-patch.js';
import { CopyIn } from './copy-in.js';
import { destroyClient } from './client.js';

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase('pgchunks_cdo');
  await db.query(`
    CREATE TABLE t (id bigint PRIMARY KEY, note text, doc jsonb);
    INSERT INTO t SELECT g, repeat('x', g % 300), jsonb_build_object('k', g) FROM generate_series(1, 30000) g;
    CREATE FUNCTION noisy(i bigint) RETURNS bigint LANGUAGE plpgsql AS $$
    BEGIN IF i % 1000 = 0 THEN RAISE NOTICE 'row %', i; END IF; RETURN i; END $$;
  `);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

/** The payloads of a run of CopyData messages, concatenated: what a binary COPY file holds. */
function payloads(framed: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos < framed.length) {
    expect(framed[pos]).toBe(0x64);
    const length = framed.readUInt32BE(pos + 1);
    parts.push(framed.subarray(pos + 5, pos + 1 + length));
    pos += 1 + length;
  }
  expect(pos).toBe(framed.length);
  return Buffer.concat(parts);
}

describe('CopyDataOut', () => {
  it('yields whole CopyData messages whose payloads are the binary COPY, skipping notices, and leaves the client usable', async () => {
    const sql = 'COPY (SELECT noisy(id) AS id, note, doc FROM t ORDER BY id) TO STDOUT (FORMAT binary)';
    const stream = client.query(new CopyDataOut(sql));
    const framed = await collect(stream);
    const plain = await collect(client.query(copyTo(sql)));
    expect(payloads(framed).equals(plain)).toBe(true);
    expect(framed.length).toBe(plain.length + 5 * (30000 + 1)); // one message per row (the first carries the file header), one for the trailer
    expect((await client.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
    // The server did send notices amid the rows (one per 1000): they were dropped, not forwarded as rows.
    const notices: string[] = [];
    client.on('notice', (n) => notices.push(n.message ?? ''));
    await client.query('SELECT noisy(1000)');
    expect(notices).toEqual(['row 1000']);
  });

  it('fails with the server error raised midway, and the client stays usable', async () => {
    const sql = 'COPY (SELECT 1 / (20000 - g) AS x, repeat(\'y\', 100) FROM generate_series(1, 30000) g) TO STDOUT (FORMAT binary)';
    await expect(collect(client.query(new CopyDataOut(sql)))).rejects.toThrow(/division by zero/);
    expect((await client.query<{ n: number }>('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
  });

  it('fails on an unknown relation before any row', async () => {
    await expect(collect(client.query(new CopyDataOut('COPY missing TO STDOUT (FORMAT binary)')))).rejects.toThrow(/missing/);
    expect((await client.query<{ n: number }>('SELECT 3 AS n')).rows).toEqual([{ n: 3 }]);
  });

  it('a framed COPY IN abandoned midway (source failed) rolls back at once and leaves its connection usable', async () => {
    await client.query('CREATE TABLE landing (id bigint, note text, doc jsonb)');
    const writer = new pg.Client({ connectionString: db.url });
    const reader = new pg.Client({ connectionString: db.url });
    await writer.connect();
    await reader.connect();
    try {
      const copy = new CopyIn(writer, 'COPY landing FROM STDIN (FORMAT binary)', { framed: true });
      let sent = 0;
      for await (const piece of reader.query(new CopyDataOut('COPY (SELECT id, note, doc FROM t) TO STDOUT (FORMAT binary)', { readAhead: 2 }))) {
        await copy.write(piece as Buffer);
        sent += (piece as Buffer).length;
        if (sent > 200_000) break;
      }
      expect(await copy.cancel(3000)).toBe(true);
      expect((await writer.query<{ n: number }>('SELECT count(*)::int AS n FROM landing')).rows).toEqual([{ n: 0 }]);
    } finally {
      await writer.end();
      // Left mid-COPY by the break: only closing the socket stops the server's query.
      destroyClient(reader);
    }
  });

  it('a framed COPY IN lands exactly the rows read', async () => {
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    try {
      await writer.query('CREATE TABLE landing2 (id bigint, note text, doc jsonb)');
      const copy = new CopyIn(writer, 'COPY landing2 FROM STDIN (FORMAT binary)', { framed: true });
      for await (const piece of client.query(new CopyDataOut('COPY (SELECT id, note, doc FROM t) TO STDOUT (FORMAT binary)'))) await copy.write(piece as Buffer);
      expect(await copy.finish()).toBe(30000);
      const diff = await writer.query<{ n: number }>('SELECT count(*)::int AS n FROM ((TABLE t EXCEPT ALL TABLE landing2) UNION ALL (TABLE landing2 EXCEPT ALL TABLE t)) d');
      expect(diff.rows).toEqual([{ n: 0 }]);
    } finally {
      await writer.end();
    }
  });

  it('payloads: yields exactly what pg-copy-streams does, in chunks of whole rows, counting the rows, with notices amid them and rows longer than many socket reads', async () => {
    const sql = "COPY (SELECT noisy(id) AS id, CASE WHEN id % 7000 = 0 THEN repeat('z', 3000000) ELSE note END, doc FROM t ORDER BY id) TO STDOUT";
    const stream = new CopyDataOut(sql, { payloads: true });
    const pieces: Buffer[] = [];
    for await (const piece of client.query(stream)) pieces.push(piece as Buffer);
    const plain = await collect(client.query(copyTo(sql)));
    expect(Buffer.concat(pieces).equals(plain)).toBe(true);
    expect(plain.length).toBeGreaterThan(4 * 3_000_000);
    // Text COPY: one message per row, each ending with a line feed, and no chunk cuts a row.
    expect(stream.messages).toBe(30000);
    expect(stream.rowCount).toBe(30000);
    for (const piece of pieces) expect(piece[piece.length - 1]).toBe(0x0a);
    expect(pieces.length).toBeLessThan(30000);
    // Binary COPY too (its header rides on the first row's message, its trailer has one of its own).
    const binary = 'COPY (SELECT id, note, doc FROM t) TO STDOUT (FORMAT binary)';
    expect((await collect(client.query(new CopyDataOut(binary, { payloads: true })))).equals(await collect(client.query(copyTo(binary))))).toBe(true);
    expect((await client.query<{ n: number }>('SELECT 4 AS n')).rows).toEqual([{ n: 4 }]);
  });

  it('payloads with a rewrite: every row rewritten in place, rows longer than many socket reads too, as the server would render them', async () => {
    const patch = CsvRowPatch.for([
      { name: 'id', type: { kind: 'int64' }, nullable: false },
      { name: 'note', type: { kind: 'string' }, nullable: true },
      { name: 'at', type: { kind: 'timestamptz' }, nullable: true },
      { name: 'plain', type: { kind: 'timestamp' }, nullable: true },
    ]) as CsvRowPatch;
    const from = "FROM t, LATERAL (SELECT CASE WHEN id % 7000 = 0 THEN repeat('z', 3000000) ELSE note END AS n, CASE WHEN id % 3 = 0 THEN NULL ELSE timestamptz '2024-01-01' + id * interval '1.5 second' END AS at) x";
    const native = `COPY (SELECT id, n, at, at::timestamp ${from} ORDER BY id) TO STDOUT (FORMAT csv)`;
    const rendered = `COPY (SELECT id, n, replace((at AT TIME ZONE 'UTC')::text, ' ', 'T') || 'Z', replace(at::timestamp::text, ' ', 'T') ${from} ORDER BY id) TO STDOUT (FORMAT csv)`;
    await client.query("SET TimeZone = 'UTC'");
    const stream = new CopyDataOut(native, { rewrite: patch });
    const pieces: Buffer[] = [];
    for await (const piece of client.query(stream)) pieces.push(piece as Buffer);
    const want = await collect(client.query(copyTo(rendered)));
    expect(want.length).toBeGreaterThan(4 * 3_000_000);
    expect(Buffer.concat(pieces).equals(want)).toBe(true);
    expect(stream.messages).toBe(30000);
    for (const piece of pieces) expect(piece[piece.length - 1]).toBe(0x0a);
  });

  it('payloads with a rewrite: a row it refuses fails the read with its reason', async () => {
    const reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
    try {
      const refusing = { rewrite: (): number => { throw new Error('unexpected CSV from the server: test'); } };
      await expect(collect(reader.query(new CopyDataOut('COPY (SELECT id FROM t) TO STDOUT (FORMAT csv)', { rewrite: refusing })))).rejects.toThrow('unexpected CSV from the server: test');
    } finally {
      // Left mid-COPY: only closing the socket stops the server's query.
      destroyClient(reader);
    }
  });

  it('payloads: fails with the server error raised midway, and the client stays usable', async () => {
    const sql = "COPY (SELECT 1 / (20000 - g) AS x, repeat('y', 100) FROM generate_series(1, 30000) g) TO STDOUT (FORMAT csv)";
    await expect(collect(client.query(new CopyDataOut(sql, { payloads: true })))).rejects.toThrow(/division by zero/);
    expect((await client.query<{ n: number }>('SELECT 5 AS n')).rows).toEqual([{ n: 5 }]);
  });

  it('payloads: reassembles rows and headers cut at any byte by the socket reads', async () => {
    const sql = 'COPY (SELECT id, note FROM t WHERE id <= 200) TO STDOUT (FORMAT csv)';
    const framed = await collect(client.query(new CopyDataOut(sql)));
    const response = Buffer.from([0x48, 0, 0, 0, 11, 0, 0, 2, 0, 0, 0, 0]);
    const notice = Buffer.concat([Buffer.from([0x4e, 0, 0, 0, 12]), Buffer.from('Mhello\0\0')]);
    const after = Buffer.from([0x43, 0, 0, 0, 13, ...Buffer.from('COPY 200\0'), 0x5a, 0, 0, 0, 5, 0x49]);
    const half = framed.indexOf(0x64, 4000);
    const wire = Buffer.concat([response, framed.subarray(0, half), notice, framed.subarray(half), Buffer.from([0x63, 0, 0, 0, 4]), after]);
    for (const size of [1, 2, 3, 4, 5, 6, 7, 64, 1000, wire.length]) {
      const { out, pieces, handedBack, stream } = await replay(wire, size, true);
      expect(out.equals(payloads(framed))).toBe(true);
      for (const piece of pieces) expect(piece[piece.length - 1]).toBe(0x0a);
      expect(stream.messages).toBe(200);
      expect(handedBack.equals(after)).toBe(true);
    }
  });

  it('reassembles message headers cut at any byte by the socket reads', async () => {
    const framed = await collect(client.query(new CopyDataOut('COPY (SELECT id, note FROM t WHERE id <= 200) TO STDOUT (FORMAT binary)')));
    // The server's bytes: CopyOutResponse, the messages, a notice, CopyDone, then what pg must get back.
    const response = Buffer.from([0x48, 0, 0, 0, 11, 1, 0, 2, 0, 1, 0, 1]);
    const notice = Buffer.concat([Buffer.from([0x4e, 0, 0, 0, 12]), Buffer.from('Mhello\0\0')]);
    const after = Buffer.from([0x43, 0, 0, 0, 13, ...Buffer.from('COPY 200\0'), 0x5a, 0, 0, 0, 5, 0x49]);
    const half = framed.indexOf(0x64, 4000);
    const wire = Buffer.concat([response, framed.subarray(0, half), notice, framed.subarray(half), Buffer.from([0x63, 0, 0, 0, 4]), after]);
    for (const size of [1, 2, 3, 4, 5, 6, 7, 64, 1000]) {
      const { out, pieces, handedBack } = await replay(wire, size);
      expect(out.equals(framed)).toBe(true);
      // Every piece ends where a message ends, however the reads cut them.
      for (const piece of pieces) payloads(piece);
      expect(handedBack.equals(after)).toBe(true);
    }
  });
});

/**
 * Feed `wire` to a CopyDataOut through a stand-in socket in reads of `size`
 * bytes, each a buffer of its own as a socket's are (payloads mode moves bytes within them).
 */
async function replay(wire: Buffer, size: number, payloadMode = false): Promise<{ out: Buffer; pieces: Buffer[]; handedBack: Buffer; stream: CopyDataOut }> {
  const reads: Buffer[] = [];
  for (let i = 0; i < wire.length; i += size) reads.push(Buffer.from(wire.subarray(i, i + size)));
  const handed: Buffer[] = [];
  const socket = new (class extends EventEmitter {
    readableLength = 0;
    pause(): void {}
    resume(): void {}
    read(): Buffer | null {
      return reads.shift() ?? null;
    }
  })();
  socket.on('data', (chunk: Buffer) => handed.push(chunk));
  const stream = new CopyDataOut('COPY x TO STDOUT (FORMAT binary)', { payloads: payloadMode });
  stream.submit({ stream: socket, query: () => undefined } as unknown as pg.Connection);
  const pieces: Buffer[] = [];
  const out = collect((async function* () {
    for await (const piece of stream) {
      pieces.push(piece as Buffer);
      yield piece as Buffer;
    }
  })());
  socket.emit('readable');
  const bytes = await out;
  // pg's data handler got everything after CopyDone, in whatever pieces followed it.
  for (let more = reads.shift(); more; more = reads.shift()) socket.emit('data', more);
  return { out: bytes, pieces, handedBack: Buffer.concat(handed), stream };
}
