import { StringDecoder } from 'node:string_decoder';
import { DataError, FerryError } from '../../core/errors.js';
import type { CsvOptions } from './config.js';
import { CsvRecordParser, type TextRecord } from './csv-record-parser.js';
import { openFileInput, type SourceFile } from './file-input.js';
import { isGzipPath } from './file-format.js';

export type { TextRecord } from './csv-record-parser.js';

function readFailure(file: SourceFile, error: unknown): FerryError {
  if (error instanceof FerryError) return error;
  return new DataError(`${file.name}: cannot read the file: ${(error as Error).message}`, { file: file.name, cause: error });
}

/**
 * Stream the records of a CSV file (gunzipped by `.gz`) in runs, one per chunk
 * read, never holding more than one chunk and the record it cuts. Quoted fields
 * keep their text; an unquoted field whose text is in `null_values` becomes
 * null. Malformed input throws a DataError with the file and line.
 */
export async function* readCsvRecords(file: SourceFile, options: CsvOptions, signal: AbortSignal): AsyncGenerator<readonly TextRecord[]> {
  const parser = new CsvRecordParser(
    { delimiter: options.delimiter, quote: options.quote, escape: options.escape, nullValues: options.null_values, skipLines: options.skip_rows, bom: options.bom },
    file.name,
  );
  const decoder = new StringDecoder(options.encoding);
  const input = openFileInput(file.path, isGzipPath(file.name), signal);
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const run = parser.push(decoder.write(chunk));
      if (run.length > 0) yield run;
    }
    const last = [...parser.push(decoder.end()), ...parser.end()];
    if (last.length > 0) yield last;
  } catch (error) {
    if (signal.aborted) throw error;
    throw readFailure(file, error);
  } finally {
    input.destroy();
  }
}
