import { DataError } from '../../core/errors.js';
import type { Column, LogicalKind, Row, Value } from '../../core/schema.js';
import { canonicalDecimal } from '../../core/values.js';
import type { InferenceOptions } from './config.js';
import { type DecodedFile, fileColumns } from './decoded-file.js';
import type { SourceFile } from './file-input.js';
import { type JsonField, jsonString, jsonText } from './json-fields.js';
import { isFloatSpecial, isIntegerText, JsonKindInference } from './json-inference.js';
import { readJsonRecords, type JsonRecord } from './jsonl-reader.js';
import { parseTextAs } from './text-values.js';
import { convertInferredText, isInferredTextKind } from './type-inference.js';

export interface JsonlFileOptions {
  readonly inference: InferenceOptions;
  /** Columns of the first file of a glob: this file's keys must be among them. */
  readonly expected?: { readonly file: SourceFile; readonly columns: readonly Column[] };
  readonly signal: AbortSignal;
}

/** Converts one field of an inferred kind; undefined when it does not fit. */
type FieldConverter = (field: JsonField) => Value | undefined;

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function inferredConverter(kind: LogicalKind): FieldConverter {
  switch (kind) {
    case 'int64':
      return (f) => (f.type === 'number' && isIntegerText(f.raw) && BigInt(f.raw) <= INT64_MAX && BigInt(f.raw) >= INT64_MIN ? BigInt(f.raw) : undefined);
    case 'float64':
      return (f) => {
        if (f.type === 'string') return isFloatSpecial(jsonString(f)) ? Number(jsonString(f)) : undefined;
        if (f.type !== 'number') return undefined;
        // An integer beyond 2^53 would change in a float: refuse rather than round.
        return isIntegerText(f.raw) && !Number.isSafeInteger(Number(f.raw)) ? undefined : Number(f.raw);
      };
    case 'decimal':
      return (f) => (f.type === 'number' ? canonicalDecimal(f.raw) : undefined);
    case 'boolean':
      return (f) => (f.type === 'boolean' ? f.raw === 'true' : undefined);
    case 'json':
      return (f) => f.raw;
    case 'string':
      return (f) => (f.type === 'string' ? jsonString(f) : undefined);
    default:
      return (f) => (f.type === 'string' && isInferredTextKind(kind) ? convertInferredText(kind, jsonString(f)) : undefined);
  }
}

function chosenConverter(kind: LogicalKind): FieldConverter {
  if (kind === 'json') return (f) => f.raw;
  return (f) => parseTextAs(kind, jsonText(f));
}

function fieldError(file: SourceFile, line: number, index: number, name: string, message: string, hint: string, cause?: unknown): DataError {
  return new DataError(`${file.name}: line ${line}, column "${name}": ${message}`, { file: file.name, line, column: index + 1, hint, cause });
}

class JsonRowDecoder {
  readonly #index: Map<string, number>;
  readonly #converters: FieldConverter[];
  constructor(
    readonly file: SourceFile,
    readonly columns: readonly Column[],
    readonly inference: InferenceOptions,
  ) {
    this.#index = new Map(columns.map((c, i) => [c.name, i]));
    this.#converters = columns.map((c) => (inference.columnTypes[c.name] !== undefined || !inference.inferTypes ? chosenConverter(c.type.kind) : inferredConverter(c.type.kind)));
  }

  decode(record: JsonRecord): Row {
    const row: Row = new Array<Value>(this.columns.length).fill(null);
    for (const [key, field] of record.fields) {
      const i = this.#index.get(key);
      if (i === undefined) throw this.#unknownKey(record.line, key);
      if (field.type !== 'null') row[i] = this.#convert(record.line, i, field);
    }
    return row;
  }

  #convert(line: number, i: number, field: JsonField): Value {
    const column = this.columns[i] as Column;
    let value: Value | undefined;
    try {
      value = (this.#converters[i] as FieldConverter)(field);
    } catch (error) {
      throw fieldError(this.file, line, i, column.name, `${field.raw.slice(0, 60)} does not parse as ${column.type.kind}`, `fix the value or change column_types for "${column.name}"`, error);
    }
    if (value !== undefined) return value;
    throw fieldError(
      this.file,
      line,
      i,
      column.name,
      `${field.raw.slice(0, 60)} does not fit the type inferred from the first ${this.inference.sampleRows} lines: ${column.type.kind}`,
      `set column_types: { ${JSON.stringify(column.name)}: json } (or the kind it should be) on the connection, raise sample_rows, or set infer_types: false`,
    );
  }

  #unknownKey(line: number, key: string): DataError {
    return new DataError(`${this.file.name}: line ${line}: key "${key}" is not a column of this stream (it does not appear in the first ${this.inference.sampleRows} lines)`, {
      file: this.file.name,
      line,
      hint: `raise sample_rows so the sample covers it, or declare it in column_types: { ${JSON.stringify(key)}: string }`,
    });
  }
}

function inferColumns(sample: readonly JsonRecord[], inference: InferenceOptions): Column[] {
  const names = new Set<string>();
  for (const record of sample) for (const key of record.fields.keys()) names.add(key);
  for (const key of Object.keys(inference.columnTypes)) names.add(key);
  const kinds = [...names].map((name): LogicalKind => {
    const chosen = inference.columnTypes[name];
    if (chosen !== undefined) return chosen;
    if (!inference.inferTypes) return 'string';
    const guess = new JsonKindInference();
    for (const record of sample) guess.add(record.fields.get(name));
    return guess.kind();
  });
  return fileColumns([...names], kinds, 'jsonl');
}

async function* decodedRows(decoder: JsonRowDecoder, sample: readonly JsonRecord[], rest: AsyncIterator<JsonRecord>): AsyncGenerator<readonly Row[]> {
  yield sample.map((record) => decoder.decode(record));
  for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield [decoder.decode(next.value)];
}

/**
 * Open a JSONL file: the union of keys in the first `sample_rows` objects names
 * the columns (in order of first appearance) and their values type them; the
 * rest streams line by line.
 */
export async function openJsonlFile(file: SourceFile, options: JsonlFileOptions): Promise<DecodedFile> {
  const records = readJsonRecords(file, options.signal);
  const sample: JsonRecord[] = [];
  for (let i = 0; i < options.inference.sampleRows; i++) {
    const next = await records.next();
    if (next.done === true) break;
    sample.push(next.value);
  }
  const columns = options.expected ? [...options.expected.columns] : inferColumns(sample, options.inference);
  const decoder = new JsonRowDecoder(file, columns, options.inference);
  return {
    columns,
    rows: decodedRows(decoder, sample, records),
    close: async () => {
      await records.return(undefined);
    },
  };
}
