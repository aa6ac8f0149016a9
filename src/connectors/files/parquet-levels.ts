import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress as ZstdStream } from 'fzstd';
import { lz4RawDecompress, snappyDecompress } from './block-decompress.js';

/**
 * Repetition levels of Parquet data pages, decoded only as far as counting
 * needs: how many levels a page holds, its first level and how many rows
 * (level 0) start in it.
 */
export interface LevelSummary {
  readonly levels: number;
  readonly first: number | undefined;
  readonly rowStarts: number;
}

/** Thrown when levels cannot be decoded as the page header says. */
export class LevelError extends Error {}

function uleb128(bytes: Uint8Array, at: { pos: number }, end: number): number {
  let result = 0;
  for (let factor = 1; factor < 2 ** 35; factor *= 128) {
    if (at.pos >= end) throw new LevelError('a run header runs past the end of the level data');
    const b = bytes[at.pos++] as number;
    result += (b & 0x7f) * factor;
    if ((b & 0x80) === 0) return result;
  }
  throw new LevelError('a run header is too long');
}

/**
 * Walk `count` levels of RLE/bit-packed hybrid data in bytes [start, end)
 * (`bitWidth` >= 1). Fewer levels than `count` is an error: the page header
 * promised them.
 */
export function summarizeLevels(bytes: Uint8Array, start: number, end: number, bitWidth: number, count: number): LevelSummary {
  const at = { pos: start };
  let levels = 0;
  let first: number | undefined;
  let rowStarts = 0;
  const valueBytes = Math.ceil(bitWidth / 8);
  while (levels < count) {
    if (at.pos >= end) throw new LevelError(`the level data ends after ${levels} of ${count} levels`);
    const header = uleb128(bytes, at, end);
    if ((header & 1) === 0) {
      const run = Math.floor(header / 2);
      if (at.pos + valueBytes > end) throw new LevelError('a repeated run runs past the end of the level data');
      let value = 0;
      for (let b = 0; b < valueBytes; b++) value += (bytes[at.pos + b] as number) * 2 ** (8 * b);
      at.pos += valueBytes;
      const used = Math.min(run, count - levels);
      if (used > 0 && first === undefined) first = value;
      if (value === 0) rowStarts += used;
      levels += used;
    } else {
      const groups = Math.floor(header / 2);
      const packedBytes = groups * bitWidth;
      const available = Math.min(groups * 8, Math.floor(((end - at.pos) * 8) / bitWidth));
      const used = Math.min(available, count - levels);
      for (let i = 0; i < used; i++) {
        let value = 0;
        for (let bit = 0; bit < bitWidth; bit++) {
          const position = i * bitWidth + bit;
          value |= (((bytes[at.pos + (position >> 3)] as number) >> (position & 7)) & 1) << bit;
        }
        if (first === undefined) first = value;
        if (value === 0) rowStarts++;
      }
      levels += used;
      if (used < groups * 8 && levels < count) throw new LevelError(`the level data ends after ${levels} of ${count} levels`);
      at.pos += packedBytes;
    }
  }
  return { levels, first, rowStarts };
}

/**
 * The start of a decompressed page, at least `wanted(prefix)` bytes of it (or
 * all of it): level data comes first in a v1 page, so checking levels never
 * needs the values, which can be gigabytes.
 */
type PagePrefix = (body: Uint8Array, size: number, wanted: (prefix: Uint8Array) => number) => Promise<Uint8Array>;

/** Decompress through a zlib stream, stopping once enough bytes came out. */
function streamPrefix(stream: Transform, body: Uint8Array, wanted: (prefix: Uint8Array) => number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let target = 4;
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length < target) return;
      const prefix = Buffer.concat(chunks);
      target = wanted(prefix);
      if (length >= target) {
        stream.destroy();
        resolve(prefix);
      }
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
    stream.end(body);
  });
}

/** Decompress with a block decoder that can stop early: first 4 bytes, then what they ask for. */
function blockPrefix(decode: (body: Uint8Array, size: number, limit: number) => Uint8Array): PagePrefix {
  return (body, size, wanted) => {
    const head = decode(body, size, 4);
    return Promise.resolve(decode(body, size, wanted(head)));
  };
}

/** Input slice fed to fzstd between checks for enough output: a prefix stops within a block or two. */
const ZSTD_SLICE = 16 * 1024;

/**
 * Decompress ZSTD in pure JS (fzstd), for Node versions whose zlib has no zstd
 * (before 22.15): input goes in slices so that a page prefix stops early.
 * Corrupt input throws, like the zlib streams.
 */
function fzstdPrefix(body: Uint8Array, _size: number, wanted: (prefix: Uint8Array) => number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  // fzstd hands out views of its window buffer, which later blocks overwrite: keep copies.
  const stream = new ZstdStream((chunk) => {
    chunks.push(chunk.slice());
    length += chunk.length;
  });
  let target = 4;
  for (let at = 0; at < body.length; at += ZSTD_SLICE) {
    stream.push(body.subarray(at, at + ZSTD_SLICE), at + ZSTD_SLICE >= body.length);
    if (length < target) continue;
    const prefix = Buffer.concat(chunks);
    target = wanted(prefix);
    if (length >= target) return Promise.resolve(prefix);
  }
  return Promise.resolve(Buffer.concat(chunks));
}

// zlib has zstd from Node 22.15 on; before that, fzstd decodes ZSTD pages.
const createZstd = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress;
const zstdPrefix: PagePrefix = createZstd ? (body, _size, wanted) => streamPrefix(createZstd(), body, wanted) : fzstdPrefix;

/** Parquet codec ids (CompressionCodec in parquet.thrift) with a decompressor here. LZO and Hadoop-framed LZ4 have none. */
const PREFIX = new Map<number, PagePrefix>([
  [0, (body) => Promise.resolve(body)],
  [1, blockPrefix(snappyDecompress)],
  [2, (body, _size, wanted) => streamPrefix(zlib.createGunzip(), body, wanted)],
  [4, (body, _size, wanted) => streamPrefix(zlib.createBrotliDecompress(), body, wanted)],
  [6, zstdPrefix],
  [7, blockPrefix(lz4RawDecompress)],
]);

/** How a codec's page starts are decompressed, or undefined where Node has no decoder. */
export function pagePrefixOf(codec: number): PagePrefix | undefined {
  return PREFIX.get(codec);
}
