/**
 * The top-level fields of a JSON object line with each value's exact source
 * text. `JSON.parse` turns 9007199254740993 into ...992 and Node 20 has no
 * reviver `context.source`, so numbers and nested values are taken from the
 * text itself: big integers and decimals survive, nested JSON is kept as written.
 */

/** One field value as written: its JSON class and raw text. */
export interface JsonField {
  readonly type: 'null' | 'boolean' | 'number' | 'string' | 'json';
  /** The value's source text, e.g. `12.50`, `"a\n"`, `{"b": [1, 2]}`. */
  readonly raw: string;
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function skipSpace(text: string, i: number): number {
  let at = i;
  while (at < text.length && isSpace(text.charCodeAt(at))) at++;
  return at;
}

function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 92) i += 2;
    else if (code === 34) return i + 1;
    else i++;
  }
  return i;
}

function endOfNested(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      i = endOfString(text, i);
      continue;
    }
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return i;
}

function endOfScalar(text: string, start: number): number {
  let i = start;
  while (i < text.length && !',}] \t\r\n'.includes(text[i] ?? '')) i++;
  return i;
}

function classify(raw: string): JsonField['type'] {
  const first = raw[0];
  if (first === '"') return 'string';
  if (first === '{' || first === '[') return 'json';
  if (first === 't' || first === 'f') return 'boolean';
  if (first === 'n') return 'null';
  return 'number';
}

/**
 * Fields of a line already validated by `JSON.parse` as an object, in source
 * order (a repeated key keeps its last value, as JSON.parse does).
 */
export function jsonObjectFields(text: string): Map<string, JsonField> {
  const fields = new Map<string, JsonField>();
  let i = skipSpace(text, skipSpace(text, 0) + 1);
  if (text[i] === '}') return fields;
  for (;;) {
    const keyEnd = endOfString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, skipSpace(text, keyEnd) + 1);
    const ch = text[i];
    const end = ch === '"' ? endOfString(text, i) : ch === '{' || ch === '[' ? endOfNested(text, i) : endOfScalar(text, i);
    const raw = text.slice(i, end);
    fields.delete(key);
    fields.set(key, { type: classify(raw), raw });
    i = skipSpace(text, end);
    if (text[i] !== ',') return fields;
    i = skipSpace(text, i + 1);
  }
}

/** The decoded string of a `string` field. */
export function jsonString(field: JsonField): string {
  return JSON.parse(field.raw) as string;
}

/** A JSON value's text for a column read as text: strings decoded, anything else as written. */
export function jsonText(field: JsonField): string {
  return field.type === 'string' ? jsonString(field) : field.raw;
}
