import { DataError } from '../../core/errors.js';
import type { Column, LogicalKind, Row, Value } from '../../core/schema.js';
import type { CsvOptions, InferenceOptions } from './config.js';
import { readCsvRecords, type TextRecord } from './csv-reader.js';
import { assertSameColumns, columnNames, type DecodedFile, fileColumns } from './decoded-file.js';
import type { SourceFile } from './file-input.js';
import { type TextCellConverter, textCellConverter } from './cell-converter.js';
import { TextKindInference } from './type-inference.js';

export interface CsvFileOptions {
  readonly csv: CsvOptions;
  readonly inference: InferenceOptions;
  /** Columns of the first file of a glob: this file must match them and is converted to their kinds. */
  readonly expected?: { readonly file: SourceFile; readonly columns: readonly Column[] };
  readonly signal: AbortSignal;
}

function inferKinds(names: readonly string[], sample: readonly TextRecord[], inference: InferenceOptions): LogicalKind[] {
  return names.map((name, i) => {
    const chosen = inference.columnTypes[name];
    if (chosen !== undefined) return chosen;
    if (!inference.inferTypes) return 'string';
    const guess = new TextKindInference();
    for (const record of sample) guess.add(record.cells[i] ?? null);
    return guess.kind();
  });
}

/** A record whose field count differs from the column count (`csv.columns` shorter or longer than the file). */
export function fieldCountError(file: SourceFile, record: TextRecord, expected: number): DataError {
  return new DataError(`${file.name}: line ${record.line}: ${record.cells.length} fields, expected ${expected}`, {
    file: file.name,
    line: record.line,
    hint: 'csv.columns must name every field of the file',
  });
}

function convertRecord(file: SourceFile, record: TextRecord, names: readonly string[], converters: readonly TextCellConverter[]): Row {
  if (record.cells.length !== names.length) throw fieldCountError(file, record, names.length);
  const cells = record.cells;
  const row: Row = new Array<Value>(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i] ?? null;
    row[i] = cell === null ? null : (converters[i] as TextCellConverter)(cell, record.line);
  }
  return row;
}

async function* convertedRows(
  file: SourceFile,
  head: readonly TextRecord[],
  rest: AsyncIterator<readonly TextRecord[]>,
  names: readonly string[],
  converters: readonly TextCellConverter[],
): AsyncGenerator<readonly Row[]> {
  const convert = (record: TextRecord): Row => convertRecord(file, record, names, converters);
  if (head.length > 0) yield head.map(convert);
  for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value.map(convert);
}

/** Takes single records off a stream of runs (for the header and the sample); `rest()` is what was taken but not used. */
class RecordTaker {
  #run: readonly TextRecord[] = [];
  #at = 0;

  constructor(private readonly runs: AsyncIterator<readonly TextRecord[]>) {}

  async next(): Promise<TextRecord | undefined> {
    while (this.#at >= this.#run.length) {
      const next = await this.runs.next();
      if (next.done === true) return undefined;
      this.#run = next.value;
      this.#at = 0;
    }
    return this.#run[this.#at++];
  }

  rest(): readonly TextRecord[] {
    return this.#run.slice(this.#at);
  }
}

/**
 * Open a CSV file: read the header and a sample (`sample_rows`) to name and
 * type the columns, then stream the remaining rows without buffering the file.
 */
export async function openCsvFile(file: SourceFile, options: CsvFileOptions): Promise<DecodedFile> {
  const { csv, inference } = options;
  const records = readCsvRecords(file, csv, options.signal);
  const taker = new RecordTaker(records);
  const sample: TextRecord[] = [];
  let names: string[] = [...(csv.columns ?? [])];
  if (csv.header) {
    const header = await taker.next();
    if (header !== undefined) names = columnNames(file, header.cells);
  }
  for (let i = 0; i < inference.sampleRows; i++) {
    const next = await taker.next();
    if (next === undefined) break;
    sample.push(next);
  }
  if (names.length === 0 && sample[0]) names = sample[0].cells.map((_, i) => `column_${i + 1}`);
  let columns = fileColumns(names, inferKinds(names, sample, inference), 'csv');
  if (options.expected) {
    assertSameColumns(file, options.expected.file, options.expected.columns, columns);
    columns = [...options.expected.columns];
  }
  const converters = columns.map((c, index) => textCellConverter(c.type.kind, { file: file.name, index, name: c.name }, inference));
  return {
    columns,
    rows: convertedRows(file, [...sample, ...taker.rest()], records, names, converters),
    close: async () => {
      await records.return(undefined);
    },
  };
}
