import { canonicalTimestamp, timestampMicros } from '../core/values.js';
import { ConfigError } from '../core/errors.js';

/**
 * Time in the sample shop is an integer count of microseconds since the Unix
 * epoch (UTC wall clock), rendered as `YYYY-MM-DD HH:MM:SS.ffffff`. The fixed
 * width keeps SQLite's text comparison (`updated_at >= ?`) in time order, and
 * a fixed base date keeps the data independent of when it is generated.
 */

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND;
export const MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE;
export const MICROS_PER_DAY = 24 * MICROS_PER_HOUR;

/** 2025-01-01 00:00:00 UTC: "now" for the generated shop. */
export const SHOP_BASE_MICROS = 1_735_689_600 * MICROS_PER_SECOND;

/** 2020-01-01 00:00:00 UTC: the shop opens. */
export const SHOP_OPENED_MICROS = 1_577_836_800 * MICROS_PER_SECOND;

/** The default moment of the simulated day of activity: base date + 400 days, 09:41:27.318204. */
export const SHOP_ACTIVITY_MICROS = SHOP_BASE_MICROS + 400 * MICROS_PER_DAY + 34_887_318_204;

const dayTexts = new Map<number, string>();

/** `YYYY-MM-DD` of a day number since the epoch (proleptic Gregorian, days-to-civil). */
function dayText(day: number): string {
  const cached = dayTexts.get(day);
  if (cached !== undefined) return cached;
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const dayOfMonth = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const text = `${year}-${pad(month, 2)}-${pad(dayOfMonth, 2)}`;
  dayTexts.set(day, text);
  return text;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` for whole microseconds since the epoch (UTC). */
export function shopTimestamp(micros: number): string {
  const day = Math.floor(micros / MICROS_PER_DAY);
  let rest = micros - day * MICROS_PER_DAY;
  const hours = Math.floor(rest / MICROS_PER_HOUR);
  rest -= hours * MICROS_PER_HOUR;
  const minutes = Math.floor(rest / MICROS_PER_MINUTE);
  rest -= minutes * MICROS_PER_MINUTE;
  const seconds = Math.floor(rest / MICROS_PER_SECOND);
  const fraction = rest - seconds * MICROS_PER_SECOND;
  return `${dayText(day)} ${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(fraction, 6)}`;
}

/**
 * Microseconds since the epoch from `YYYY-MM-DD HH:MM:SS[.ffffff]` (a `T`
 * separator and a trailing `Z` are accepted: the shop's clock is UTC).
 */
export function parseShopTimestamp(text: string): number {
  try {
    return Number(timestampMicros(canonicalTimestamp(text.replace(/Z$/i, ''))));
  } catch (error) {
    throw new ConfigError(`not a timestamp: ${JSON.stringify(text)}`, {
      hint: 'write it as YYYY-MM-DD HH:MM:SS[.ffffff] in UTC, e.g. 2026-02-05 09:41:27.318204',
      cause: error,
    });
  }
}
