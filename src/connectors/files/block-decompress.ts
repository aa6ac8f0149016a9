/**
 * Decompressors for the two block codecs Parquet pages use that Node's zlib
 * lacks: raw Snappy and raw LZ4 blocks. Both refuse malformed input with an
 * Error instead of reading or writing out of bounds.
 */

function byteAt(bytes: Uint8Array, at: number): number {
  const b = bytes[at];
  if (b === undefined) throw new Error('compressed block is truncated');
  return b;
}

function copyMatch(out: Uint8Array, to: number, offset: number, length: number): void {
  if (offset === 0 || offset > to) throw new Error(`back-reference offset ${offset} points before the start`);
  if (to + length > out.length) throw new Error('block decompresses past its declared size');
  for (let i = 0; i < length; i++) out[to + i] = out[to + i - offset] as number;
}

/**
 * Decompress one raw Snappy block (`expected` bytes when the page header says
 * so), or only its first `limit` bytes (at least; whole elements are copied).
 */
export function snappyDecompress(bytes: Uint8Array, expected: number, limit = expected): Uint8Array {
  let at = 0;
  let size = 0;
  for (let factor = 1; ; factor *= 128) {
    const b = byteAt(bytes, at++);
    size += (b & 0x7f) * factor;
    if ((b & 0x80) === 0) break;
    if (factor > 2 ** 28) throw new Error('snappy length header is too long');
  }
  if (size !== expected) throw new Error(`snappy block holds ${size} bytes, the page header says ${expected}`);
  const out = new Uint8Array(size);
  let to = 0;
  while (at < bytes.length) {
    if (to >= limit) return out.subarray(0, to);
    const tag = byteAt(bytes, at++);
    const kind = tag & 3;
    if (kind === 0) {
      let length = tag >> 2;
      if (length >= 60) {
        const extra = length - 59;
        length = 0;
        for (let i = 0; i < extra; i++) length += byteAt(bytes, at++) * 2 ** (8 * i);
      }
      length += 1;
      if (at + length > bytes.length || to + length > size) throw new Error('snappy literal runs past the end');
      out.set(bytes.subarray(at, at + length), to);
      at += length;
      to += length;
      continue;
    }
    let length: number;
    let offset: number;
    if (kind === 1) {
      length = ((tag >> 2) & 7) + 4;
      offset = ((tag >> 5) << 8) | byteAt(bytes, at++);
    } else if (kind === 2) {
      length = (tag >> 2) + 1;
      offset = byteAt(bytes, at) | (byteAt(bytes, at + 1) << 8);
      at += 2;
    } else {
      length = (tag >> 2) + 1;
      offset = byteAt(bytes, at) + byteAt(bytes, at + 1) * 2 ** 8 + byteAt(bytes, at + 2) * 2 ** 16 + byteAt(bytes, at + 3) * 2 ** 24;
      at += 4;
    }
    copyMatch(out, to, offset, length);
    to += length;
  }
  if (to !== size) throw new Error(`snappy block ends after ${to} of ${size} bytes`);
  return out;
}

function lz4Length(bytes: Uint8Array, at: { pos: number }, base: number): number {
  let length = base;
  if (base !== 15) return length;
  for (;;) {
    const b = byteAt(bytes, at.pos++);
    length += b;
    if (b !== 255) return length;
  }
}

/** Decompress one raw LZ4 block into exactly `expected` bytes, or only its first `limit` (at least). */
export function lz4RawDecompress(bytes: Uint8Array, expected: number, limit = expected): Uint8Array {
  const out = new Uint8Array(expected);
  const at = { pos: 0 };
  let to = 0;
  while (at.pos < bytes.length) {
    if (to >= limit) return out.subarray(0, to);
    const token = byteAt(bytes, at.pos++);
    const literals = lz4Length(bytes, at, token >> 4);
    if (at.pos + literals > bytes.length || to + literals > expected) throw new Error('lz4 literals run past the end');
    out.set(bytes.subarray(at.pos, at.pos + literals), to);
    at.pos += literals;
    to += literals;
    if (at.pos >= bytes.length) break;
    const offset = byteAt(bytes, at.pos) | (byteAt(bytes, at.pos + 1) << 8);
    at.pos += 2;
    const length = lz4Length(bytes, at, token & 15) + 4;
    copyMatch(out, to, offset, length);
    to += length;
  }
  if (to !== expected) throw new Error(`lz4 block ends after ${to} of ${expected} bytes`);
  return out;
}
