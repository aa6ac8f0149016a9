import pg from 'pg';
import type { SnapshotSession } from '../../../core/change-capture.js';
import type { ConnectorContext, ReadRequest } from '../../../core/connector.js';
import { CancelledError } from '../../../core/errors.js';
import type { Batch } from '../../../core/schema.js';
import { describeRelation } from '../catalog.js';
import { destroyClient, openClient } from '../client.js';
import type { PostgresConfig } from '../config.js';
import { CopyDataOut } from '../copy-data-out.js';
import { CopyTextParser } from '../copy-text-parser.js';
import { driverError } from '../driver-error.js';
import { quoteLiteral } from '../identifiers.js';
import { copyOutSql } from '../read-sql.js';

export interface ExportedSnapshot {
  readonly config: PostgresConfig;
  readonly ctx: ConnectorContext;
  /** The replication connection that exported the snapshot; it must stay open and idle while tables are read. */
  readonly exporter: pg.Client;
  readonly snapshotName: string;
  readonly lsn: bigint;
}

/**
 * Reads tables at a snapshot exported by CREATE_REPLICATION_SLOT: each read is a
 * REPEATABLE READ transaction that imports it (`SET TRANSACTION SNAPSHOT`), so it
 * sees exactly the transactions committed before the slot's consistent point —
 * the slot streams every later one. No gap, no overlap.
 */
export class PostgresSnapshotSession implements SnapshotSession {
  readonly lsn: bigint;
  readonly #exported: ExportedSnapshot;

  constructor(exported: ExportedSnapshot) {
    this.#exported = exported;
    this.lsn = exported.lsn;
  }

  async *read(request: ReadRequest, signal: AbortSignal): AsyncIterable<Batch> {
    const { config, ctx } = this.#exported;
    const client = await openClient(config, ctx);
    let finished = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(this.#exported.snapshotName)}`);
      if (request.target.kind !== 'table') throw new CancelledError('a cdc snapshot reads tables only', { stream: request.stream });
      const described = await describeRelation(client, request.target.table, config.schema);
      const wanted = request.columns ?? described.columns.map((c) => c.name);
      const columns = wanted.flatMap((name) => described.columns.filter((c) => c.name === name));
      const parser = new CopyTextParser(columns, request.stream);
      const stream = client.query(new CopyDataOut(copyOutSql({ ...request, columns: columns.map((c) => c.name) }, config.schema, 'text'), { payloads: true }));
      const onAbort = (): void => void stream.destroy(new CancelledError('snapshot read cancelled', { stream: request.stream }));
      signal.addEventListener('abort', onAbort, { once: true });
      let yielded = false;
      try {
        for await (const chunk of stream) {
          parser.push(chunk as Buffer);
          while (parser.pending >= request.batchSize) {
            yield { columns, rows: parser.take(request.batchSize) };
            yielded = true;
          }
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      parser.end();
      if (parser.pending > 0 || !yielded) yield { columns, rows: parser.take() };
      await client.query('COMMIT');
      finished = true;
    } catch (error) {
      if (signal.aborted) throw new CancelledError('snapshot read cancelled', { stream: request.stream, cause: error });
      throw driverError(error, `snapshot read of ${request.stream}`, { stream: request.stream });
    } finally {
      if (finished) await client.end().catch(() => undefined);
      else destroyClient(client);
    }
  }

  async release(): Promise<void> {
    await this.#exported.exporter.end().catch(() => undefined);
  }
}
