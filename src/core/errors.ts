/**
 * Few error classes, rich context. Every error says what failed, where, why and
 * what to do, and carries `cause`. Whether a failure may be retried is a type
 * (`RetryableError`), never a string match.
 */

/** Where an error happened: any of these that are known. */
export interface ErrorContext {
  readonly sync?: string;
  readonly stream?: string;
  readonly connection?: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** Config key path, e.g. `streams.public.orders.cursor`. */
  readonly key?: string;
  /**
   * Where a destination rejected raw pass-through bytes, in the raw format's own
   * terms (`pg-csv`: the line number Postgres's COPY reports); the engine asks the
   * source to turn it into a file and line.
   */
  readonly rawPosition?: number;
  /** Primary key of the offending row, rendered. */
  readonly rowKey?: string;
  /** What the user can do about it. */
  readonly hint?: string;
}

export interface FerryErrorOptions extends ErrorContext {
  readonly cause?: unknown;
}

/** Process exit codes, one per error family. */
export const EXIT_CODES = {
  ok: 0,
  runFailed: 1,
  config: 2,
  connection: 3,
  cancelled: 130,
} as const;

export class FerryError extends Error {
  override readonly name: string = 'FerryError';
  readonly context: ErrorContext;
  readonly exitCode: number = EXIT_CODES.runFailed;

  constructor(message: string, options: FerryErrorOptions = {}) {
    const { cause, ...context } = options;
    super(message, cause === undefined ? undefined : { cause });
    this.context = Object.freeze(context);
  }

  /** The message with its location prefix and hint, as shown to users. */
  describe(): string {
    const c = this.context;
    const where = c.file
      ? `${c.file}${c.line !== undefined ? `:${c.line}${c.column !== undefined ? `:${c.column}` : ''}` : ''}: `
      : '';
    const scope = [c.sync && `sync ${c.sync}`, c.stream && `stream ${c.stream}`, c.connection && `connection ${c.connection}`]
      .filter(Boolean)
      .join(', ');
    const causeText = this.cause instanceof Error && this.cause.message !== this.message ? `\n  cause: ${this.cause.message}` : '';
    return `${where}${scope ? `[${scope}] ` : ''}${this.message}${c.hint ? `\n  hint: ${c.hint}` : ''}${causeText}`;
  }
}

/** Invalid project files or options. Exit code 2. */
export class ConfigError extends FerryError {
  override readonly name = 'ConfigError';
  override readonly exitCode = EXIT_CODES.config;
}

/** A connection could not be opened or authenticated. Exit code 3. */
export class ConnectionError extends FerryError {
  override readonly name = 'ConnectionError';
  override readonly exitCode = EXIT_CODES.connection;
}

/** A transient failure (network blip, serialization failure, lock timeout): safe to retry. */
export class RetryableError extends FerryError {
  override readonly name = 'RetryableError';
}

/** The source schema changed in a way the stream's contract forbids. */
export class SchemaChangeError extends FerryError {
  override readonly name = 'SchemaChangeError';
}

/** A value or row could not be read or written (bad file line, type overflow). */
export class DataError extends FerryError {
  override readonly name = 'DataError';
}

/** Another run holds the sync's lock. */
export class LockedError extends FerryError {
  override readonly name = 'LockedError';
}

/** The run was stopped by a signal or an abort. */
export class CancelledError extends FerryError {
  override readonly name = 'CancelledError';
  override readonly exitCode = EXIT_CODES.cancelled;
}

export function isRetryable(error: unknown): boolean {
  return error instanceof RetryableError;
}

/** A readable one-line-or-more description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof FerryError) return error.describe();
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Remove credentials from any text that might contain a connection URL. */
export function redact(text: string): string {
  return text
    .replace(/(\w+:\/\/[^:/@\s]*:)([^@\s]+)@/g, '$1***@')
    .replace(/(password\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi, '$1***');
}
