import { canonicalDecimal } from '../../src/core/values.js';

/**
 * One spelling per JSON value, for comparing JSON that a destination re-renders
 * (Postgres jsonb: spaces, key order, the last of duplicate keys, unicode
 * escapes, exponents). Numbers keep every digit (as decimal text), so a changed
 * number still shows as a difference. Text that is not JSON is returned as is.
 */
export function jsonSpelling(text: string): string {
  try {
    const reader = new JsonReader(text);
    const spelled = reader.value();
    reader.end();
    return spelled;
  } catch {
    return text;
  }
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

class JsonReader {
  #at = 0;
  constructor(private readonly text: string) {}

  value(): string {
    this.#space();
    const c = this.text[this.#at];
    if (c === '{') return this.#object();
    if (c === '[') return this.#array();
    if (c === '"') return JSON.stringify(this.#string());
    return this.#match(NUMBER, (raw) => canonicalDecimal(raw)) ?? this.#match(LITERAL, (raw) => raw) ?? this.#fail();
  }

  end(): void {
    this.#space();
    if (this.#at !== this.text.length) this.#fail();
  }

  #object(): string {
    const entries = new Map<string, string>();
    this.#at++;
    this.#space();
    if (this.text[this.#at] === '}') return this.#close('{}');
    for (;;) {
      this.#space();
      const key = this.#string();
      this.#expect(':');
      entries.set(key, this.value());
      if (this.#separator('}')) break;
    }
    const keys = [...entries.keys()].sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${entries.get(k)}`).join(',')}}`;
  }

  #array(): string {
    const items: string[] = [];
    this.#at++;
    this.#space();
    if (this.text[this.#at] === ']') return this.#close('[]');
    for (;;) {
      items.push(this.value());
      if (this.#separator(']')) break;
    }
    return `[${items.join(',')}]`;
  }

  /** After an item: true at the closing bracket, false at a comma. */
  #separator(close: string): boolean {
    this.#space();
    const c = this.text[this.#at++];
    if (c === close) return true;
    if (c !== ',') this.#fail();
    return false;
  }

  #string(): string {
    if (this.text[this.#at] !== '"') this.#fail();
    let end = this.#at + 1;
    while (end < this.text.length && this.text[end] !== '"') end += this.text[end] === '\\' ? 2 : 1;
    const raw = this.text.slice(this.#at, end + 1);
    this.#at = end + 1;
    return JSON.parse(raw) as string;
  }

  #match(pattern: RegExp, spell: (raw: string) => string): string | undefined {
    pattern.lastIndex = this.#at;
    const m = pattern.exec(this.text);
    if (!m) return undefined;
    this.#at += m[0].length;
    return spell(m[0]);
  }

  #expect(c: string): void {
    this.#space();
    if (this.text[this.#at++] !== c) this.#fail();
  }

  #close(empty: string): string {
    this.#at++;
    return empty;
  }

  #space(): void {
    while (/\s/.test(this.text[this.#at] ?? '')) this.#at++;
  }

  #fail(): never {
    throw new SyntaxError(`not JSON at ${this.#at}`);
  }
}
