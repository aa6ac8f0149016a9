/**
 * Postgres LSNs (`16/B374D848`) as bigint, so positions compare and subtract
 * exactly (a JS number would lose bits past 2^53 bytes of WAL).
 */

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** `X/Y` -> bigint; throws on anything else. */
export function parseLsn(text: string): bigint {
  const match = LSN_TEXT.exec(text);
  if (!match?.[1] || !match[2]) throw new TypeError(`not an LSN: "${text}"`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** bigint -> `X/Y` as Postgres prints it. */
export function formatLsn(lsn: bigint): string {
  const high = (lsn >> 32n).toString(16).toUpperCase();
  const low = (lsn & 0xffffffffn).toString(16).toUpperCase();
  return `${high}/${low}`;
}

/** The later of two positions. */
export function maxLsn(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
