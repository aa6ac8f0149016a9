
/**
 * Calendar arithmetic between canonical text and day/microsecond counts,
 * without `Date` (whose range, ±275,760 years, is narrower than DuckDB's,
 * which knows no BC suffix, and whose Date.UTC maps years 0-99 to 1900-1999). Proleptic Gregorian, as both
 * DuckDB and Postgres use. Years <= 0 are written Postgres-style: year 0 is
 * `0001 BC`. Canonical forms: `YYYY-MM-DD[ BC]`,
 * `YYYY-MM-DDTHH:MM:SS[.ffffff][ BC]`, and for instants `...Z[ BC]`.
 */

export const MICROS_PER_DAY = 86_400_000_000n;

/** Trim a seconds fraction to canonical form: at most 6 digits, no trailing zeros. */
export function canonicalFraction(digits: string): string {
  const trimmed = digits.slice(0, 6).replace(/0+$/, '');
  return trimmed === '' ? '' : `.${trimmed}`;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (astronomical year). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date (astronomical year, month, day) of a day number. */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

const pad = (n: number | bigint, width = 2): string => n.toString().padStart(width, '0');

/** `YYYY-MM-DD` and whether it is BC, for a day number. */
function dateParts(days: number): { text: string; bc: boolean } {
  const [year, month, day] = civilFromDays(days);
  const bc = year <= 0;
  return { text: `${pad(bc ? 1 - year : year, 4)}-${pad(month)}-${pad(day)}`, bc };
}

export function formatDate(days: number): string {
  const { text, bc } = dateParts(days);
  return bc ? `${text} BC` : text;
}

const DATE_TEXT = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/;

/** Day number of a canonical date; throws TypeError on anything else. */
export function parseDate(text: string): number {
  const m = DATE_TEXT.exec(text);
  if (!m) throw new TypeError(`not a date: ${JSON.stringify(text)}`);
  const year = Number(m[1]);
  return daysFromCivil(m[4] ? 1 - year : year, Number(m[2]), Number(m[3]));
}

/** `HH:MM:SS[.ffffff]` of microseconds within a day (24:00:00 allowed). */
export function formatTime(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = canonicalFraction(pad(micros % 1_000_000n, 6));
  return `${pad(seconds / 3600n)}:${pad((seconds / 60n) % 60n)}:${pad(seconds % 60n)}${fraction}`;
}

/** Microseconds within a day of a canonical time. */
export function parseTime(text: string): bigint {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) throw new TypeError(`not a time: ${JSON.stringify(text)}`);
  const seconds = BigInt(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]));
  return seconds * 1_000_000n + BigInt((m[4] ?? '').padEnd(6, '0'));
}

/** Canonical timestamp text of microseconds since the epoch; `zone` appends `Z` (UTC instant). */
export function formatTimestamp(micros: bigint, zone: boolean): string {
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  const { text, bc } = dateParts(Number(days));
  return `${text}T${formatTime(rest)}${zone ? 'Z' : ''}${bc ? ' BC' : ''}`;
}

const TIMESTAMP_TEXT = /^(\d{4,}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)(Z?)( BC)?$/;

const digit = (text: string, i: number): number => text.charCodeAt(i) - 48;
const two = (text: string, i: number): number => digit(text, i) * 10 + digit(text, i + 1);

/** The last `YYYY-MM-DD` read (as year * 10000 + month * 100 + day) and its day number: loads are often sorted by time. */
let lastDate = -1;
let lastDays = 0;

/**
 * Day number of the `YYYY-MM-DD` at the start of `text` (what `parseDate`
 * gives for it), read from the characters without a slice or a regex;
 * undefined when they are not that shape.
 */
function leadingDays(text: string): number | undefined {
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
  for (const i of DATE_DIGITS) {
    const d = digit(text, i);
    if (!(d >= 0 && d <= 9)) return undefined;
  }
  const year = two(text, 0) * 100 + two(text, 2);
  const month = two(text, 5);
  const day = two(text, 8);
  const key = year * 10000 + month * 100 + day;
  if (key !== lastDate) {
    lastDays = daysFromCivil(year, month, day);
    lastDate = key;
  }
  return lastDays;
}

const DATE_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9];
/** Where `YYYY-MM-DDTHH:MM:SS` has the time's digits (a ':' there would read as 10). */
const TIME_DIGITS = [11, 12, 14, 15, 17, 18];

/** The common shape `YYYY-MM-DDTHH:MM:SS[.f{1,6}][Z]` without regex or BigInt per field; undefined otherwise. */
function fastTimestamp(text: string, zone: boolean): bigint | undefined {
  const end = text.length - (zone ? 1 : 0);
  // Character codes, not text[i] (a one-character string per test): '.' 46, 'T' 84, ':' 58, 'Z' 90.
  if (end < 19 || end > 26 || (end > 19 && (text.charCodeAt(19) !== 46 || end === 20)) || text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  if (zone !== (text.charCodeAt(end) === 90) || (!zone && text.charCodeAt(end - 1) === 90)) return undefined;
  let fraction = 0;
  for (let i = 20; i < 26; i++) {
    const d = i < end ? digit(text, i) : 0;
    if (d < 0 || d > 9) return undefined;
    fraction = fraction * 10 + d;
  }
  for (const i of TIME_DIGITS) {
    const d = digit(text, i);
    if (!(d >= 0 && d <= 9)) return undefined;
  }
  const h = two(text, 11);
  const m = two(text, 14);
  const sec = two(text, 17);
  if (!(h >= 0 && h <= 24 && m >= 0 && m <= 59 && sec >= 0 && sec <= 60)) return undefined;
  const days = leadingDays(text);
  if (days === undefined) return undefined;
  const seconds = days * 86400 + h * 3600 + m * 60 + sec;
  // Within ±285 years of 1970 the microseconds fit a double exactly: one BigInt instead of three.
  if (Math.abs(seconds) < 9e9) return BigInt(seconds * 1_000_000 + fraction);
  return BigInt(seconds) * 1_000_000n + BigInt(fraction);
}

/** Microseconds since the epoch of a canonical timestamp (`zone`: the `Z` form). */
export function parseTimestamp(text: string, zone: boolean): bigint {
  const fast = fastTimestamp(text, zone);
  if (fast !== undefined) return fast;
  const m = TIMESTAMP_TEXT.exec(text);
  if (!m || (m[3] === 'Z') !== zone) throw new TypeError(`not a canonical ${zone ? 'timestamptz' : 'timestamp'}: ${JSON.stringify(text)}`);
  const days = parseDate(`${m[1]}${m[4] ?? ''}`);
  return BigInt(days) * MICROS_PER_DAY + parseTime(m[2] ?? '');
}

/** Canonical timetz text from microseconds and an offset in seconds east of UTC. */
export function formatTimetz(micros: bigint, offsetSeconds: number): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const abs = Math.abs(offsetSeconds);
  const seconds = abs % 60;
  return `${formatTime(micros)}${sign}${pad(Math.floor(abs / 3600))}:${pad(Math.floor(abs / 60) % 60)}${seconds ? `:${pad(seconds)}` : ''}`;
}

/** Microseconds and offset seconds of a canonical timetz. */
export function parseTimetz(text: string): { micros: bigint; offset: number } {
  const m = /^(\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)([+-])(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) throw new TypeError(`not a timetz: ${JSON.stringify(text)}`);
  const offset = Number(m[3]) * 3600 + Number(m[4]) * 60 + Number(m[5] ?? 0);
  return { micros: parseTime(m[1] ?? ''), offset: m[2] === '-' ? -offset : offset };
}
