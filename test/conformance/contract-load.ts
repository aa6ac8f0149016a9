import type { WriteMode } from '../../src/core/connector.js';
import { resolveContract, type ContractReport, type SchemaContractSetting, expandContract } from '../../src/core/schema-contract.js';
import type { Batch, Column, Row, TableRef } from '../../src/core/schema.js';
import { openWithContract } from '../../src/engine/contract-writer.js';
import type { DestinationUnderTest } from './destination-harness.js';
import { NEVER, openRequest } from './table-io.js';

/** What one load under a schema contract did: rows published, the report the run record keeps, the log lines. */
export interface ContractLoad {
  readonly rows: number;
  readonly report: ContractReport | undefined;
  readonly log: readonly string[];
}

/**
 * Load `rows` of `columns` into `target` through the engine's contract path
 * (the same `openWithContract` the stream runner uses), committing at the end.
 */
export async function loadWithContract(
  under: DestinationUnderTest,
  target: TableRef,
  options: { readonly columns: readonly Column[]; readonly rows: readonly Row[]; readonly contract?: SchemaContractSetting; readonly write?: WriteMode; readonly primaryKey?: readonly string[] },
): Promise<ContractLoad> {
  const log: string[] = [];
  const { writer, report } = await openWithContract({
    destination: under.destination,
    request: openRequest(target, options.write ?? 'append', options.columns, { primaryKey: options.primaryKey ?? [] }),
    contract: resolveContract([expandContract(options.contract)]),
    log: { write: (level, _stream, message) => log.push(`${level}: ${message}`) },
    signal: NEVER,
  });
  try {
    const batch: Batch = { columns: options.columns, rows: options.rows };
    await writer.write(batch);
    const { rows } = await writer.commit(undefined);
    return { rows, report: report(), log };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** Decimal text without trailing fraction zeros: engines pad to the column's scale after a widening. */
export function plainDecimal(value: unknown): unknown {
  return typeof value === 'string' && /^-?\d+\.\d+$/.test(value) ? value.replace(/\.?0+$/, '') : value;
}
