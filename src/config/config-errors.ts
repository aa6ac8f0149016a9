import { ConfigError } from '../core/errors.js';

/** One problem in a project file, located at the offending key or value. */
export interface ConfigIssue {
  /** Path relative to the project folder, e.g. `syncs/shop.yml`. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** Key path, e.g. `streams.orders.write`; empty for file-level problems (YAML syntax). */
  readonly key: string;
  readonly message: string;
}

/** `syncs/shop.yml:9:12 streams.orders.write: expected one of ...` */
export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.key === '' ? `${where}: ${issue.message}` : `${where} ${issue.key}: ${issue.message}`;
}

/** Files first, then top to bottom, so the list reads like the files. */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

/**
 * Every problem found in a project's files, reported at once: the message has
 * one `file:line:col key: message` line per issue. The error's own context is
 * the first issue's location, for callers that want a single place.
 */
export class ConfigErrors extends ConfigError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], hint?: string) {
    const sorted = sortIssues(issues);
    const first = sorted[0];
    const header = sorted.length > 1 ? `${sorted.length} configuration errors:\n` : '';
    super(`${header}${sorted.map(formatIssue).join('\n')}`, {
      ...(first ? { file: first.file, line: first.line, column: first.column, key: first.key || undefined } : {}),
      ...(hint !== undefined ? { hint } : {}),
    });
    this.issues = Object.freeze(sorted);
  }

  /** The issue lines carry their own locations, so no location prefix is added. */
  override describe(): string {
    return `${this.message}${this.context.hint ? `\n  hint: ${this.context.hint}` : ''}`;
  }
}
