import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { DataError } from '../../core/errors.js';
import type { Column, Row } from '../../core/schema.js';
import { assertSameTypes, type DecodedFile } from './decoded-file.js';
import type { SourceFile } from './file-input.js';
import { type ParquetColumnPlan, parquetColumnPlan } from './parquet-columns.js';
import { FERRY_COLUMNS_KEY, type StoredColumn } from './parquet-meta.js';
import { checkParquetLevels, ParquetDamageError } from './parquet-level-check.js';

export interface ParquetOpenOptions {
  readonly expected?: { readonly file: SourceFile; readonly columns: readonly Column[] };
  /** A trusted SQL predicate from the project, applied by DuckDB. */
  readonly where?: string;
  readonly signal: AbortSignal;
}

function parquetFailure(file: SourceFile, error: unknown): DataError {
  const message = error instanceof Error ? error.message : String(error);
  return new DataError(`${file.name}: cannot read Parquet: ${message.split('\n')[0]}`, {
    file: file.name,
    hint: 'the file is not valid Parquet (or uses a feature DuckDB cannot read); check how it was produced',
    cause: error,
  });
}

/** Check row counts and levels before DuckDB reads the file (it returns wrong rows for some damage instead of failing). */
async function checkDamage(file: SourceFile): Promise<void> {
  try {
    await checkParquetLevels(file.path);
  } catch (error) {
    if (!(error instanceof ParquetDamageError)) throw parquetFailure(file, error);
    throw new DataError(`${file.name}: damaged Parquet: ${error.message}`, {
      file: file.name,
      hint: 'the writer that produced this file wrote inconsistent levels or counts; reading it would lose or shift values. Rewrite it from its source',
      cause: error,
    });
  }
}

async function storedColumns(connection: DuckDBConnection, path: string): Promise<Map<string, StoredColumn>> {
  const reader = await connection.runAndReadAll(
    `SELECT decode(value) FROM parquet_kv_metadata($1) WHERE decode(key) = '${FERRY_COLUMNS_KEY}'`,
    [path],
  );
  const text = reader.getRows()[0]?.[0];
  if (typeof text !== 'string') return new Map();
  const stored = JSON.parse(text) as StoredColumn[];
  return new Map(stored.map((c) => [c.name, c]));
}

/**
 * Reads Parquet files through an in-memory DuckDB: `read_parquet` streamed in
 * chunks (about 2,048 rows each), so memory stays flat whatever the file size.
 * Each file is first checked for counts and repetition levels that disagree
 * (`checkParquetLevels`), damage DuckDB 1.5 reads without an error.
 */
export class ParquetReader {
  #instance: Promise<DuckDBInstance> | undefined;
  /** Files already checked by `checkDamage` (plan and open both need it). */
  readonly #checked = new Map<string, Promise<void>>();

  async #connect(): Promise<DuckDBConnection> {
    this.#instance ??= DuckDBInstance.create(':memory:');
    return (await this.#instance).connect();
  }

  /** Column plans of one file; a malformed file throws a DataError naming it. */
  async plan(file: SourceFile): Promise<ParquetColumnPlan[]> {
    const connection = await this.#connect();
    try {
      return await this.#planWith(connection, file);
    } finally {
      connection.closeSync();
    }
  }

  async #planWith(connection: DuckDBConnection, file: SourceFile): Promise<ParquetColumnPlan[]> {
    let checked = this.#checked.get(file.path);
    if (!checked) {
      checked = checkDamage(file);
      this.#checked.set(file.path, checked);
    }
    await checked;
    try {
      const stored = await storedColumns(connection, file.path);
      const described = await connection.runAndReadAll('DESCRIBE SELECT * FROM read_parquet($1)', [file.path]);
      return described.getRows().map((r) => parquetColumnPlan(String(r[0]), String(r[1]), stored.get(String(r[0]))));
    } catch (error) {
      throw parquetFailure(file, error);
    }
  }

  /** The statement that reads a file with its plans, for run records. */
  static selectSql(plans: readonly ParquetColumnPlan[], where: string | undefined): string {
    const list = plans.map((p) => p.expression).join(', ') || '*';
    return `SELECT ${list} FROM read_parquet($1)${where === undefined ? '' : ` WHERE (${where})`}`;
  }

  async open(file: SourceFile, options: ParquetOpenOptions): Promise<DecodedFile> {
    const connection = await this.#connect();
    try {
      const plans = await this.#planWith(connection, file);
      const columns = plans.map((p) => p.column);
      if (options.expected) assertSameTypes(file, options.expected.file, options.expected.columns, columns);
      const rows = streamRows(connection, file, plans, options);
      return { columns, rows, close: async () => void (await rows.return(undefined)) };
    } catch (error) {
      connection.closeSync();
      throw error;
    }
  }

  close(): void {
    void this.#instance?.then((instance) => instance.closeSync());
    this.#instance = undefined;
  }
}

async function* streamRows(
  connection: DuckDBConnection,
  file: SourceFile,
  plans: readonly ParquetColumnPlan[],
  options: ParquetOpenOptions,
): AsyncGenerator<readonly Row[]> {
  const abort = (): void => connection.interrupt();
  options.signal.addEventListener('abort', abort);
  try {
    const result = await connection.stream(ParquetReader.selectSql(plans, options.where), [file.path]).catch((error: unknown) => {
      throw parquetFailure(file, error);
    });
    for (;;) {
      const chunk = await result.fetchChunk().catch((error: unknown) => {
        throw parquetFailure(file, error);
      });
      if (chunk === null || chunk.rowCount === 0) return;
      yield chunk.getRows().map((values) => values.map((v, i) => (v === null ? null : (plans[i] as ParquetColumnPlan).convert(v))));
    }
  } finally {
    options.signal.removeEventListener('abort', abort);
    connection.closeSync();
  }
}
