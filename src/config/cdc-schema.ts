import { z } from 'zod';
import { CDC_DELETE_MODES } from '../core/change-capture.js';

export const DEFAULT_CDC_BATCH_ROWS = 10_000;

/** The `cdc:` block of a sync file: settings shared by its `mode: cdc` streams. */
export const cdcSettingsSchema = z
  .strictObject({
    slot: z
      .string()
      .min(1)
      .optional()
      .describe('Logical replication slot (permanent, pgoutput). Default: ferry_<sync> (lower case, other characters as _). Must be unique on the server.'),
    publication: z
      .string()
      .min(1)
      .optional()
      .describe('Publication for the streamed tables, created or extended by Ferry. Default: the slot name.'),
    deletes: z
      .enum(CDC_DELETE_MODES)
      .default('hard')
      .describe('Deleted source rows: hard (default) deletes them from the target; soft keeps them and sets _ferry_deleted_at.'),
    lsn_column: z.boolean().default(false).describe("Add _ferry_lsn (bigint): the commit LSN of the change that last wrote the row (the snapshot's position for rows from a snapshot)."),
    synced_at_column: z.boolean().default(false).describe('Add _ferry_synced_at (timestamptz): when Ferry last wrote the row (by a snapshot or a change).'),
    batch_rows: z
      .int()
      .positive()
      .default(DEFAULT_CDC_BATCH_ROWS)
      .describe('Changes applied per destination transaction (whole source transactions are never split). Default 10000.'),
    flush_ms: z
      .int()
      .positive()
      .default(500)
      .describe('With ferry run --follow: apply a batch at the latest this many milliseconds after its first change (bounds the lag). Default 500.'),
    heartbeat_seconds: z
      .int()
      .positive()
      .default(10)
      .describe('With ferry run --follow: write a heartbeat mark into the WAL this often, so an idle slot is confirmed forward. Default 10.'),
    max_retained_wal_mb: z
      .int()
      .positive()
      .optional()
      .describe('Warn when the slot keeps more WAL than this many MB on the source server (it pins WAL until Ferry confirms).'),
  })
  .describe('Change data capture settings for the streams with mode: cdc (see docs/cdc.md).');

export type CdcSettings = z.output<typeof cdcSettingsSchema>;
