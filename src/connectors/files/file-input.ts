import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** A file being read: where it is on disk and how messages name it. */
export interface SourceFile {
  /** Absolute path. */
  readonly path: string;
  /** Path relative to the connection's root, as users wrote it. */
  readonly name: string;
}

/**
 * A byte stream of the file, gunzipped when the name ends in `.gz`. Errors of
 * either stage surface on the returned stream; destroying it closes the file.
 */
export function openFileInput(path: string, gzip: boolean, signal: AbortSignal): Readable {
  const raw = createReadStream(path, { signal, highWaterMark: 256 * 1024 });
  if (!gzip) return raw;
  const gunzip = createGunzip();
  pipeline(raw, gunzip, () => undefined);
  return gunzip;
}
