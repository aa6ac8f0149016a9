/**
 * Which fields of one raw CSV record were quoted. csv-parse reports quoting
 * only through its `cast` hook, which builds several objects per field (ten
 * times slower on large files); the raw record text answers the same question
 * and is only scanned for records that hold a candidate NULL text.
 */
export function quotedFields(raw: string, delimiter: string, quote: string, escape: string): boolean[] {
  const flags: boolean[] = [];
  let i = 0;
  for (;;) {
    const quoted = raw.startsWith(quote, i);
    flags.push(quoted);
    if (quoted) i = endOfQuoted(raw, i + quote.length, quote, escape);
    const next = raw.indexOf(delimiter, i);
    if (next < 0) return flags;
    i = next + delimiter.length;
  }
}

function endOfQuoted(raw: string, start: number, quote: string, escape: string): number {
  let i = start;
  while (i < raw.length) {
    if (raw.startsWith(escape, i) && escape !== quote && (raw.startsWith(quote, i + 1) || raw.startsWith(escape, i + 1))) {
      i += 2;
    } else if (raw.startsWith(quote, i)) {
      if (escape === quote && raw.startsWith(quote, i + 1)) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return i;
}
