import { DataError } from '../../core/errors.js';
import type { Column, LogicalKind, Row } from '../../core/schema.js';
import { logicalTypeText } from '../../core/schema.js';
import type { SourceFile } from './file-input.js';

/** A file opened for reading: its columns and a lazy stream of its rows. */
export interface DecodedFile {
  readonly columns: readonly Column[];
  /**
   * The rows, in runs of any length (a CSV chunk, a Parquet vector, one JSONL
   * line): one async step per run, not per row, which costs less than the rows.
   */
  readonly rows: AsyncIterable<readonly Row[]>;
  /** Stop reading early and release the file. */
  close(): Promise<void>;
}

/** Column list of a file of the given names and kinds (all nullable: files declare no constraints). */
export function fileColumns(names: readonly string[], kinds: readonly LogicalKind[], sourceType: string): Column[] {
  return names.map((name, i) => ({ name, type: { kind: kinds[i] ?? 'string' }, nullable: true, sourceType, sourceEngine: 'files' }));
}

/**
 * Throw unless a file of a glob has the same column names as the first file:
 * one stream has one schema.
 */
export function assertSameColumns(file: SourceFile, first: SourceFile, expected: readonly Column[], actual: readonly Column[]): void {
  const want = expected.map((c) => c.name);
  const got = actual.map((c) => c.name);
  if (want.length === got.length && want.every((name, i) => name === got[i])) return;
  throw new DataError(`${file.name} has columns (${got.join(', ')}) but ${first.name} has (${want.join(', ')})`, {
    file: file.name,
    hint: 'every file matched by one stream must have the same columns in the same order; narrow the glob or split the stream',
  });
}

/** Throw unless a Parquet file of a glob also has the same column types. */
export function assertSameTypes(file: SourceFile, first: SourceFile, expected: readonly Column[], actual: readonly Column[]): void {
  assertSameColumns(file, first, expected, actual);
  actual.forEach((column, i) => {
    const want = expected[i];
    if (want && logicalTypeText(want.type) !== logicalTypeText(column.type)) {
      throw new DataError(`${file.name}: column "${column.name}" is ${logicalTypeText(column.type)} but ${logicalTypeText(want.type)} in ${first.name}`, {
        file: file.name,
        hint: 'every file matched by one stream must have the same column types',
      });
    }
  });
}

/** Unique, non-empty column names: blanks become `column_<n>`; duplicates are an error. */
export function columnNames(file: SourceFile, raw: readonly (string | null)[]): string[] {
  const names = raw.map((name, i) => (name === null || name.trim() === '' ? `column_${i + 1}` : name));
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      throw new DataError(`${file.name}: the header names column "${name}" twice`, {
        file: file.name,
        line: 1,
        hint: 'rename one of them, or set csv.header: false with csv.columns',
      });
    }
    seen.add(name);
  }
  return names;
}
