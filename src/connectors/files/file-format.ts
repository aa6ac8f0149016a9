import { ConfigError } from '../../core/errors.js';
import type { FileFormat } from './config.js';

const EXTENSIONS: Readonly<Record<string, FileFormat>> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
};

/** File name extension written for each format. */
export const FORMAT_EXTENSIONS: Readonly<Record<FileFormat, string>> = { csv: '.csv', jsonl: '.jsonl', parquet: '.parquet' };

/** True when the file is gzip-compressed by its name (`.gz`). */
export function isGzipPath(path: string): boolean {
  return path.toLowerCase().endsWith('.gz');
}

/** The format extension of a path (`.gz` stripped), or undefined. */
export function formatOfPath(path: string): FileFormat | undefined {
  const plain = isGzipPath(path) ? path.slice(0, -3) : path;
  const dot = plain.lastIndexOf('.');
  if (dot < 0 || plain.lastIndexOf('/') > dot) return undefined;
  return EXTENSIONS[plain.slice(dot).toLowerCase()];
}

/**
 * The format of a file: its extension when it names one, else the connection's
 * `format` (so `.txt` or extension-less files can be read); throws when neither says.
 */
export function resolveFormat(path: string, configured: FileFormat | undefined): FileFormat {
  const format = formatOfPath(path) ?? configured;
  if (format === undefined) {
    throw new ConfigError(`cannot tell the format of "${path}"`, {
      file: path,
      hint: 'name it .csv, .jsonl or .parquet (optionally .gz), or set `format` on the connection',
    });
  }
  return format;
}

/** The path without its format extension and `.gz`: `exports/orders.csv.gz` -> `exports/orders`. */
export function pathStem(path: string): string {
  const plain = isGzipPath(path) ? path.slice(0, -3) : path;
  return formatOfPath(plain) === undefined ? plain : plain.slice(0, plain.lastIndexOf('.'));
}
