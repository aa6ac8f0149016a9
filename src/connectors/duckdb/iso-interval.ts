import { canonicalFraction } from '../../core/civil-time.js';

/** An interval as DuckDB (and Postgres) store it: months, days and microseconds, each signed. */
export interface IntervalParts {
  readonly months: number;
  readonly days: number;
  readonly micros: bigint;
}

const ISO = /^(-)?P(?!$)(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)W)?(?:(-?\d+)D)?(?:T(?=-?\d)(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?)(\d+)(?:\.(\d{1,6}))?S)?)?$/;

/**
 * Parse an ISO 8601 duration with per-component signs (`P1Y2M3DT4H5M6.5S`,
 * `P-1Y-2M`, `-P1D`). More than 6 fractional second digits are refused, not rounded.
 */
export function parseInterval(text: string): IntervalParts {
  const m = ISO.exec(text);
  if (!m) throw new TypeError(`not an ISO 8601 duration: ${JSON.stringify(text)}`);
  const n = (i: number): number => Number(m[i] ?? 0);
  const sign = m[1] ? -1 : 1;
  const secondsMicros = BigInt(m[9] ?? 0) * 1_000_000n + BigInt((m[10] ?? '').padEnd(6, '0'));
  const micros = BigInt(n(6)) * 3_600_000_000n + BigInt(n(7)) * 60_000_000n + (m[8] === '-' ? -secondsMicros : secondsMicros);
  return {
    months: sign * (n(2) * 12 + n(3)),
    days: sign * (n(4) * 7 + n(5)),
    micros: BigInt(sign) * micros,
  };
}

function secondsText(micros: bigint): string {
  const abs = micros < 0n ? -micros : micros;
  return `${micros < 0n ? '-' : ''}${abs / 1_000_000n}${canonicalFraction((abs % 1_000_000n).toString().padStart(6, '0'))}`;
}

/** Canonical ISO 8601 duration, zero components omitted (`PT0S` for zero), signs per component. */
export function formatInterval(parts: IntervalParts): string {
  const years = Math.trunc(parts.months / 12);
  const months = parts.months % 12;
  const hours = parts.micros / 3_600_000_000n;
  const minutes = (parts.micros % 3_600_000_000n) / 60_000_000n;
  const seconds = parts.micros % 60_000_000n;
  const date = `${years ? `${years}Y` : ''}${months ? `${months}M` : ''}${parts.days ? `${parts.days}D` : ''}`;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${secondsText(seconds)}S` : ''}`;
  if (date === '' && time === '') return 'PT0S';
  return `P${date}${time ? `T${time}` : ''}`;
}
