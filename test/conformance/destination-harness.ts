import type { Destination, DestinationCapabilities, ReadTarget, Source } from '../../src/core/connector.js';
import type { Batch, Column, TableRef, Value } from '../../src/core/schema.js';
import { readRows } from './table-io.js';

/**
 * What the conformance suite needs to run its cases against one destination.
 * Cases are chosen from `capabilities` when the suite is collected (before any
 * destination is open), and one case checks the opened destination declares
 * exactly these, so the choice cannot drift from the connector.
 *
 * @example
 * describeDestination('sqlite', { capabilities, tableSchemas: true, open: async () => ({ destination, source, ... }) });
 */
export interface DestinationHarness {
  readonly capabilities: DestinationCapabilities;
  /**
   * The destination keeps one set of columns per table and applies
   * `schemaChange` to it. False for files, where every load writes a file with
   * the stream's own columns. (DestinationCapabilities has no flag for this.)
   */
  readonly tableSchemas: boolean;
  /**
   * Values the destination's types cannot hold (MySQL: NaN, years past 9999).
   * The suite loads every other value and requires each of these to be
   * refused with a DataError naming its column: refused, never changed.
   */
  readonly refuses?: (column: Column, value: Value) => boolean;
  /** A fresh, empty destination and a source of the same connector reading the same place. */
  open(): Promise<DestinationUnderTest>;
}

/** Registers one conformance case (the suite decides between `it` and an expected failure). */
export type RegisterCase = (title: string, body: () => Promise<void>) => void;

export interface DestinationUnderTest {
  readonly destination: Destination;
  readonly source: Source;
  /** Where a table called `name` lands (with the harness's schema or file extension). */
  target(name: string): TableRef;
  /**
   * What the source reads to see every row written to `target`: the table
   * itself for databases; for files the file plus its append parts. Empty when
   * nothing landed there.
   */
  readTargets(target: TableRef): Promise<readonly ReadTarget[]>;
  /** Staging tables or temp files writers left behind; empty when every writer cleaned up. */
  leftovers(): Promise<readonly string[]>;
  /** Close the destination and source and delete everything they wrote. */
  cleanup(): Promise<void>;
}

/** Every row that landed at `target`, read through the connector's own source. */
export async function landed(under: DestinationUnderTest, target: TableRef): Promise<Batch> {
  return readRows(under.source, await under.readTargets(target));
}
