import type { Checkpoint } from '../core/checkpoint.js';
import type { CommitResult, Destination, OpenRequest, StreamWriter, WriteResult } from '../core/connector.js';
import { contractText, type ContractReport, type SchemaContract } from '../core/schema-contract.js';
import { tableRefText, type Batch } from '../core/schema.js';
import { ContractBatches } from './contract-batches.js';
import { planContract } from './contract-plan.js';
import type { RunLog } from './run-log.js';

/** Where contract decisions are logged: the run's log (a test may collect lines instead). */
export type ContractLog = Pick<RunLog, 'write'>;

export interface ContractedOpen {
  readonly destination: Destination;
  readonly request: OpenRequest;
  readonly contract: SchemaContract;
  readonly log: ContractLog;
  readonly signal: AbortSignal;
}

export interface ContractedWriter {
  readonly writer: StreamWriter;
  /** The open request as sent (columns and types after the contract). */
  readonly request: OpenRequest;
  /** What the contract dropped so far; complete after commit. */
  report(): ContractReport | undefined;
}

/**
 * Open a stream's writer under its schema contract: describe the existing
 * target, decide (or refuse) the changes, and wrap the writer so every batch
 * is filtered and converted on its way in. Destinations without table
 * schemas (files) are opened as they are.
 *
 * @example const { writer, report } = await openWithContract({ destination, request, contract, log, signal });
 */
export async function openWithContract(options: ContractedOpen): Promise<ContractedWriter> {
  const { destination, request, contract } = options;
  if (!destination.describeTarget) {
    const writer = await destination.open({ ...request, schemaChange: contract.columns === 'freeze' ? 'freeze' : 'evolve' }, options.signal);
    return { writer, request, report: () => undefined };
  }
  const target = await destination.describeTarget(request.target);
  const label = tableRefText(request.target);
  const plan = planContract({ stream: request.stream, targetLabel: label, columns: request.columns, write: request.write, contract, target });
  const batches = new ContractBatches(plan, request.stream);
  if (plan.discardTable) {
    options.log.write('warn', request.stream, `target ${label} does not exist and schema_contract.tables is ${contract.tables}: the stream's rows are discarded (${contractText(contract)})`);
    return { writer: new DiscardingWriter(batches), request, report: () => batches.report() };
  }
  for (const change of plan.widened) options.log.write('info', request.stream, `widening ${label}.${change}`);
  for (const name of plan.variants) options.log.write('warn', request.stream, `values that do not fit their column go to variant column ${label}.${name} (schema_contract.data_type: evolve)`);
  const { rawFormat: _raw, ...withoutRaw } = request;
  // Rows that need inspecting cannot pass through as raw bytes.
  const sent: OpenRequest = {
    ...(plan.transforms ? withoutRaw : request),
    columns: plan.columns,
    schemaChange: 'evolve',
    ...(plan.widen.length > 0 ? { widen: plan.widen } : {}),
  };
  const inner = await destination.open(sent, options.signal);
  if (!plan.transforms) return { writer: inner, request: sent, report: () => batches.report() };
  return { writer: new FilteringWriter(inner, batches), request: sent, report: () => batches.report() };
}

/** Applies the contract to each batch before the destination sees it. */
class FilteringWriter implements StreamWriter {
  readonly #inner: StreamWriter;
  readonly #batches: ContractBatches;

  constructor(inner: StreamWriter, batches: ContractBatches) {
    this.#inner = inner;
    this.#batches = batches;
  }

  async write(batch: Batch): Promise<WriteResult> {
    const kept = this.#batches.apply(batch);
    return kept.rows.length > 0 ? this.#inner.write(kept) : { rows: 0 };
  }

  commit(checkpoint: Checkpoint | undefined): Promise<CommitResult> {
    return this.#inner.commit(checkpoint);
  }

  abort(): Promise<void> {
    return this.#inner.abort();
  }
}

/**
 * The target table was discarded by the contract: rows are read and counted,
 * nothing is written. Like every discard, the cursor moves past them.
 */
class DiscardingWriter implements StreamWriter {
  readonly #batches: ContractBatches;

  constructor(batches: ContractBatches) {
    this.#batches = batches;
  }

  async write(batch: Batch): Promise<WriteResult> {
    this.#batches.discardAll(batch);
    return { rows: 0 };
  }

  async commit(): Promise<CommitResult> {
    return { rows: 0, sql: [] };
  }

  async abort(): Promise<void> {}
}
