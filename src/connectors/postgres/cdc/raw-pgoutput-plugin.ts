import { PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';

const keepText = (text: unknown): unknown => text;

/**
 * pgoutput with every column left as the server's text. The stock parser runs
 * node-postgres type parsers (timestamps to Date, numerics to float): lossy.
 * Relation messages are parsed before the tuples that use them, so swapping
 * the parser there covers every later tuple of that relation.
 */
export class RawPgoutputPlugin extends PgoutputPlugin {
  override parse(buffer: Buffer): Pgoutput.Message {
    const message = super.parse(buffer);
    if (message.tag === 'relation') for (const column of message.columns) column.parser = keepText;
    return message;
  }
}
