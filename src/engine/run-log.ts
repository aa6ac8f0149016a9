import { redact } from '../core/errors.js';
import type { Logger } from '../core/connector.js';
import type { LogLevel, LogLine, StateStore } from '../state/state-store.js';
import type { RunEventListener } from './run-events.js';

const FLUSH_EVERY_MS = 500;

/**
 * The log of one run: lines go to the state store (for `ferry logs`), to the
 * event listener (for live output) and are redacted on the way.
 */
export class RunLog {
  readonly #runId: string;
  readonly #state: StateStore | undefined;
  readonly #listener: RunEventListener | undefined;
  #pending: Omit<LogLine, 'seq'>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(runId: string, state: StateStore | undefined, listener: RunEventListener | undefined) {
    this.#runId = runId;
    this.#state = state;
    this.#listener = listener;
  }

  /** A connector-facing logger whose lines are tagged with `stream`. */
  forStream(stream: string | null): Logger {
    const at =
      (level: LogLevel) =>
      (obj: object | string, msg?: string): void => {
        const message = typeof obj === 'string' ? obj : (msg ?? '');
        const fields = typeof obj === 'string' ? undefined : (obj as Record<string, unknown>);
        this.write(level, stream, message, fields);
      };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }

  write(level: LogLevel, stream: string | null, message: string, fields?: Readonly<Record<string, unknown>>): void {
    const clean = redact(message);
    const cleanFields = fields === undefined ? undefined : redactFields(fields);
    this.#listener?.({ type: 'log', runId: this.#runId, level, stream, message: clean, ...(cleanFields ? { fields: cleanFields } : {}) });
    if (level === 'debug' || !this.#state) return;
    this.#pending.push({
      runId: this.#runId,
      at: new Date().toISOString(),
      level,
      stream,
      message: clean,
      fields: cleanFields ?? null,
    });
    this.#timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS);
  }

  /** Write buffered lines to the state store. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const lines = this.#pending;
    this.#pending = [];
    const state = this.#state;
    if (lines.length === 0 || !state) return this.#flushing;
    this.#flushing = this.#flushing.then(() => state.appendLog(lines)).catch(() => undefined);
    return this.#flushing;
  }
}

function redactFields(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (/password|secret|token|api_?key/i.test(key)) out[key] = '***';
    else if (typeof value === 'string') out[key] = redact(value);
    else if (typeof value === 'bigint') out[key] = value.toString();
    else out[key] = value;
  }
  return out;
}
