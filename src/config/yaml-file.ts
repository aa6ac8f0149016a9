import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { redact } from '../core/errors.js';
import type { SourceLocation } from './project.js';
import type { ConfigIssue } from './config-errors.js';
import { interpolate, type Variables } from './interpolate.js';

/** A key path into a YAML document: map keys and list indexes. */
export type KeyPath = readonly (string | number)[];

/** Whether a location should point at a key (`curser:`) or at its value (`upsert`). */
export type LocationPart = 'key' | 'value';

/** A problem at a key path, before it is located in its file. */
export interface Problem {
  readonly path: KeyPath;
  readonly part: LocationPart;
  readonly message: string;
}

/** `streams.orders.write`, `streams[0].write`. */
export function formatKeyPath(path: KeyPath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/**
 * Scalars kept as their source text even when YAML reads them as numbers:
 * a cursor start of `9007199254740993` must not pass through a float.
 */
const TEXT_KEYS: ReadonlySet<string> = new Set(['cursor_start']);

/** Filter values and watermark defaults are parsed later with a column's type: keep their text too. */
function keepsText(path: KeyPath): boolean {
  const last = path[path.length - 1];
  if (typeof last === 'string' && TEXT_KEYS.has(last)) return true;
  if (path.includes('filters')) return last === 'value' || path[path.length - 2] === 'value';
  return path.includes('watermarks') && last === 'default';
}

/** A line whose key or value starts with `*`, which YAML reads as an alias: `*: {}`, `- name: *`. */
const ALIAS_LIKE = /^\s*(-\s*)?([^\s:#]+:\s*)?\*/;
const ALIAS_HINT = '; quote names that start with * (YAML reads *name as an alias), e.g. "*": {}';

/**
 * One parsed YAML file with `${VAR}` references replaced in every string value
 * (not in keys),
 * remembering where each key and value came from so errors can point at them.
 */
export class YamlFile {
  /** Path shown in errors, relative to the project folder. */
  readonly file: string;
  /** The document as plain JS; `undefined` when it has syntax errors. */
  readonly value: unknown;
  /** Syntax errors and unresolvable `${VAR}` references. */
  readonly issues: readonly ConfigIssue[];
  readonly #doc: Document.Parsed;
  readonly #lines: LineCounter;
  /**
   * Key paths of values whose `${VAR}` could not be resolved: already reported,
   * so not reported again as invalid. Other issues (syntax, aliases) leave no value to validate.
   */
  readonly #unresolved = new Set<string>();

  constructor(text: string, file: string, variables: Variables) {
    this.file = file;
    this.#lines = new LineCounter();
    this.#doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: true, merge: true });
    const lines = text.split(/\r?\n/);
    const issues = this.#doc.errors.map((e) => this.#syntaxIssue(e.message, e.linePos?.[0], lines));
    if (issues.length === 0) this.#interpolate(this.#doc.contents, [], variables, issues);
    this.value = issues.length === 0 || this.#unresolved.size > 0 ? this.#toJS(issues) : undefined;
    this.issues = issues;
  }

  #toJS(issues: ConfigIssue[]): unknown {
    try {
      return this.#doc.toJS();
    } catch (error) {
      // Defensive: problems toJS can meet (unresolved aliases) are reported by #interpolate first.
      issues.push({ file: this.file, line: 1, column: 1, key: '', message: `cannot read YAML: ${error instanceof Error ? error.message : String(error)}` });
      return undefined;
    }
  }

  /** Where the key or value at `path` is; the nearest existing ancestor's key when it is absent. */
  locate(path: KeyPath, part: LocationPart = 'value'): SourceLocation {
    let node: unknown = this.#doc.contents;
    let lastKey: Node | undefined;
    let lastValue: Node | undefined;
    let complete = true;
    for (const segment of path) {
      const next = this.#child(node, segment);
      if (!next) {
        complete = false;
        break;
      }
      [lastKey, lastValue, node] = [next.key ?? lastKey, next.value, next.value];
    }
    const target = complete && part === 'value' ? (lastValue ?? lastKey) : (lastKey ?? lastValue);
    return this.#position(target ?? (this.#doc.contents as Node | null) ?? undefined);
  }

  /** An issue at the key or value at `path`. */
  issue(path: KeyPath, message: string, part: LocationPart = 'value'): ConfigIssue {
    return { ...this.locate(path, part), key: formatKeyPath(path), message };
  }

  /** This file's own issues plus `problems` found in its value, located. */
  issuesWith(problems: readonly Problem[]): ConfigIssue[] {
    const fresh = problems.filter((p) => !this.#unresolved.has(formatKeyPath(p.path)));
    return [...this.issues, ...fresh.map((p) => this.issue(p.path, p.message, p.part))];
  }

  #child(node: unknown, segment: string | number): { key?: Node; value: Node | undefined } | undefined {
    const target = isAlias(node) ? node.resolve(this.#doc) : node;
    if (isMap(target)) {
      const pair = target.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      return pair ? { key: pair.key as Node, value: (pair.value as Node | null) ?? undefined } : undefined;
    }
    if (isSeq(target) && typeof segment === 'number') {
      const item = target.items[segment] as Node | undefined;
      return item ? { key: item, value: item } : undefined;
    }
    return undefined;
  }

  #position(node: Node | undefined): SourceLocation {
    const offset = node?.range?.[0];
    if (offset === undefined) return { file: this.file, line: 1, column: 1 };
    const { line, col } = this.#lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  #syntaxIssue(message: string, at: { line: number; col: number } | undefined, lines: readonly string[]): ConfigIssue {
    const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
    const line = at?.line ?? 1;
    const hint = ALIAS_LIKE.test(lines[line - 1] ?? '') ? ALIAS_HINT : '';
    return { file: this.file, line, column: at?.col ?? 1, key: '', message: `YAML syntax error: ${redact(first)}${hint}` };
  }

  #interpolate(node: unknown, path: KeyPath, variables: Variables, issues: ConfigIssue[]): void {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : '?';
        if (isAlias(pair.key)) this.#interpolate(pair.key, [...path, key], variables, issues);
        this.#interpolate(pair.value, [...path, key], variables, issues);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => this.#interpolate(item, [...path, index], variables, issues));
    } else if (isAlias(node) && node.resolve(this.#doc) === undefined) {
      issues.push({ ...this.#position(node), key: formatKeyPath(path), message: `unknown YAML alias *${node.source}${ALIAS_HINT}` });
    } else if (isScalar(node)) {
      if (typeof node.value === 'number' && keepsText(path)) {
        node.value = node.source ?? String(node.value);
      } else if (typeof node.value === 'string') {
        const result = interpolate(node.value, variables);
        for (const problem of result.problems) issues.push({ ...this.#position(node), key: formatKeyPath(path), message: problem });
        if (result.problems.length > 0) this.#unresolved.add(formatKeyPath(path));
        node.value = result.value;
      }
    }
  }
}
