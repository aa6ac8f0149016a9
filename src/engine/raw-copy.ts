import type { Destination, RawFormat, ReadRequest, Source, StreamWriter, WriteResult } from '../core/connector.js';
import { DataError, FerryError } from '../core/errors.js';
import type { Column, TableRef } from '../core/schema.js';

export interface RawFormatChoice {
  /** Where the rows land: the destination may take a format for some targets only (`Destination.rawFormatsFor`). */
  readonly target?: TableRef;
  /** Formats the caller can use (an ordered read of ranges needs formats whose reads join). */
  readonly accept?: (format: RawFormat) => boolean;
}

/**
 * The raw format both ends speak for this read, if any: the source's first
 * format (by its preference) that the destination ingests at this target and
 * that this read's columns and filters allow (`Source.rawFormatsFor`).
 */
export function pickRawFormat(source: Source, destination: Destination, request: ReadRequest, columns: readonly Column[], choice: RawFormatChoice = {}): RawFormat | undefined {
  if (!source.readRaw) return undefined;
  const usable = source.rawFormatsFor ? source.rawFormatsFor(request, columns) : source.rawFormats;
  const { target, accept } = choice;
  const ingested = destination.rawFormatsFor && target ? destination.rawFormatsFor(target, columns) : destination.capabilities.rawFormats;
  return source.rawFormats.find((f) => usable.includes(f) && ingested.includes(f) && (accept === undefined || accept(f)));
}

export interface RawCopied {
  readonly rows: number;
  readonly bytes: number;
}

/**
 * Pipe the source's bytes of `format` (`read`, when given: the request's bytes
 * read another way) into the writer. A row the destination
 * rejects (a DataError carrying `rawPosition`) is named by the source's file
 * and line where the source can tell.
 */
export async function copyRawBytes(source: Source, writer: StreamWriter, request: ReadRequest, format: RawFormat, signal: AbortSignal, read?: AsyncIterable<Uint8Array>): Promise<RawCopied> {
  if (!source.readRaw || !writer.writeRaw) throw new FerryError('pass-through is not available', { stream: request.stream });
  let bytes = 0;
  const counted = async function* (chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      yield chunk;
    }
  };
  let result: WriteResult;
  try {
    result = await writer.writeRaw(counted(read ?? source.readRaw(request, format, signal)), signal);
  } catch (error) {
    throw await located(source, request, format, error);
  }
  return { rows: result.rows, bytes };
}

async function located(source: Source, request: ReadRequest, format: RawFormat, error: unknown): Promise<unknown> {
  const position = error instanceof DataError ? error.context.rawPosition : undefined;
  if (position === undefined || !source.locateRawRow || !(error instanceof DataError)) return error;
  const place = await source.locateRawRow(request, format, position).catch(() => undefined);
  if (place?.file === undefined) return error;
  const { rawPosition: _position, ...context } = error.context;
  return new DataError(error.message, { ...context, file: place.file, ...(place.line !== undefined ? { line: place.line } : {}), cause: error });
}
