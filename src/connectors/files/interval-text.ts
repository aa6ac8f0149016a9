/**
 * ISO 8601 durations for DuckDB/Parquet intervals (months, days, microseconds),
 * in the form Postgres prints with `intervalstyle = iso_8601`: `P1Y2M3DT4H5M6.5S`,
 * each part signed on its own, `PT0S` for zero.
 */
export function intervalIso(months: number, days: number, micros: bigint): string {
  const years = Math.trunc(months / 12);
  const restMonths = months % 12;
  const sign = micros < 0n ? -1n : 1n;
  const abs = micros * sign;
  const hours = abs / 3_600_000_000n;
  const minutes = (abs / 60_000_000n) % 60n;
  const seconds = abs % 60_000_000n;
  const date = `${years ? `${years}Y` : ''}${restMonths ? `${restMonths}M` : ''}${days ? `${days}D` : ''}`;
  const neg = sign < 0n ? '-' : '';
  const secText = seconds === 0n ? '' : `${neg}${secondsText(seconds)}S`;
  const time = `${hours ? `${neg}${hours}H` : ''}${minutes ? `${neg}${minutes}M` : ''}${secText}`;
  if (date === '' && time === '') return 'PT0S';
  return `P${date}${time === '' ? '' : `T${time}`}`;
}

function secondsText(micros: bigint): string {
  const whole = micros / 1_000_000n;
  const frac = (micros % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return frac === '' ? `${whole}` : `${whole}.${frac}`;
}
