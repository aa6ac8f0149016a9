import { type CsvError, type Options, parse } from 'csv-parse';
import { DataError } from '../../core/errors.js';
import type { CsvOptions } from './config.js';
import { openFileInput, type SourceFile } from './file-input.js';
import { isGzipPath } from './file-format.js';
import { quotedFields } from './quoted-fields.js';

/** One CSV record: its cells (NULL where an unquoted field is a null text) and the line it starts on. */
export interface TextRecord {
  readonly cells: readonly (string | null)[];
  readonly line: number;
}

function csvFailure(file: SourceFile, error: unknown, recordStart: number): DataError {
  const e = error as Partial<CsvError> & Error;
  if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new DataError(`${file.name}: line ${recordStart}: a quoted field is never closed`, {
      file: file.name,
      line: recordStart,
      hint: 'a field opened with a quote on this line has no closing quote; check for a stray quote character or set csv.quote',
      cause: error,
    });
  }
  const line = typeof e.lines === 'number' ? e.lines : recordStart;
  if (e.code !== undefined) {
    return new DataError(`${file.name}: line ${line}: malformed CSV: ${e.message}`, {
      file: file.name,
      line,
      hint: e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' ? 'every record must have as many fields as the header; check delimiters and quoting' : 'check the file and the csv settings (delimiter, quote, escape, encoding)',
      cause: error,
    });
  }
  return new DataError(`${file.name}: cannot read the file: ${e.message}`, { file: file.name, cause: error });
}

/**
 * Stream the records of a CSV file (gunzipped by `.gz`), never holding more
 * than the parser's buffer. Quoted fields keep their text; an unquoted field
 * whose text is in `null_values` becomes null. Malformed input throws a
 * DataError with the file and line.
 */
export async function* readCsvRecords(file: SourceFile, options: CsvOptions, signal: AbortSignal): AsyncGenerator<TextRecord> {
  const nullTexts = new Set(options.null_values);
  let lastEnd = options.skip_rows;
  // With `raw: true` csv-parse hands on_record `{ record, raw }`.
  const toRecord = ({ record, raw }: { record: string[]; raw: string }, context: { lines: number }): TextRecord => {
    const line = lastEnd + 1;
    lastEnd = context.lines;
    if (!record.some((cell) => nullTexts.has(cell))) return { cells: record, line };
    const quoted = quotedFields(raw, options.delimiter, options.quote, options.escape);
    return { cells: record.map((cell, i) => (nullTexts.has(cell) && quoted[i] !== true ? null : cell)), line };
  };
  const parserOptions: Options = {
    delimiter: options.delimiter,
    quote: options.quote,
    escape: options.escape,
    bom: options.bom,
    encoding: options.encoding,
    from_line: options.skip_rows + 1,
    relax_column_count: false,
    raw: true,
    // csv-parse types records as string[]; ours carry nulls and a line number.
    on_record: toRecord as unknown as Options['on_record'],
  };
  const parser = parse(parserOptions);
  const input = openFileInput(file.path, isGzipPath(file.name), signal);
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);
  try {
    for await (const record of parser as AsyncIterable<TextRecord>) yield record;
  } catch (error) {
    if (signal.aborted) throw error;
    throw csvFailure(file, error, lastEnd + 1);
  } finally {
    input.destroy();
    parser.destroy();
  }
}
