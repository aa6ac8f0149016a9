import type { WireValue } from './write-value.js';

/**
 * How staged rows reach the staging table: streamed LOAD DATA, or large
 * multi-row INSERTs where the server does not allow LOAD DATA LOCAL.
 */
export interface Stager {
  /** Send rows of wire values, in the stager's column order. */
  write(rows: readonly (readonly WireValue[])[]): Promise<void>;
  /** Finish the load; the rows the server stored. Fails on any value the server refused or changed. */
  finish(): Promise<number>;
  /** Stop without finishing; true when the connection is still usable. */
  cancel(): Promise<boolean>;
}
