import { StringDecoder } from 'node:string_decoder';
import { DataError } from '../../core/errors.js';
import { isGzipPath } from './file-format.js';
import { openFileInput, type SourceFile } from './file-input.js';
import { jsonObjectFields, type JsonField } from './json-fields.js';

/** One JSONL object: its fields in source order and its line number (1-based). */
export interface JsonRecord {
  readonly fields: ReadonlyMap<string, JsonField>;
  readonly line: number;
}

async function* fileLines(file: SourceFile, signal: AbortSignal): AsyncGenerator<string> {
  const input = openFileInput(file.path, isGzipPath(file.name), signal);
  const decoder = new StringDecoder('utf8');
  let pending = '';
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const lines = (pending + decoder.write(chunk)).split('\n');
      pending = lines.pop() ?? '';
      yield* lines;
    }
    pending += decoder.end();
    if (pending !== '') yield pending;
  } catch (error) {
    if (error instanceof DataError || signal.aborted) throw error;
    throw new DataError(`${file.name}: cannot read the file: ${(error as Error).message}`, { file: file.name, cause: error });
  } finally {
    input.destroy();
  }
}

function parseLine(file: SourceFile, text: string, line: number): JsonRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DataError(`${file.name}: line ${line}: invalid JSON: ${(error as Error).message}`, {
      file: file.name,
      line,
      hint: 'each line of a JSONL file must be one complete JSON object',
      cause: error,
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DataError(`${file.name}: line ${line}: expected a JSON object, got ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}`, {
      file: file.name,
      line,
      hint: 'each line of a JSONL file must be one JSON object ({"column": value, ...})',
    });
  }
  return { fields: jsonObjectFields(text), line };
}

/**
 * Stream the objects of a JSONL file (gunzipped by `.gz`) line by line with
 * backpressure. Blank lines are skipped; a line that is not a JSON object
 * throws a DataError naming the file and line.
 */
export async function* readJsonRecords(file: SourceFile, signal: AbortSignal): AsyncGenerator<JsonRecord> {
  let line = 0;
  for await (const raw of fileLines(file, signal)) {
    line++;
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
    if (text.trim() === '') continue;
    yield parseLine(file, text, line);
  }
}
