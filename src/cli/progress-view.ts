import type { RunEvent } from '../engine/run-events.js';
import { formatCount } from './format-table.js';

export const LOG_FORMATS = ['auto', 'text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

interface StreamLine {
  readonly name: string;
  rows: number;
  estimated?: number;
  started: number;
  done?: string;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

/**
 * Shows a run as it goes: on a terminal a live bar per stream with rows and
 * rows/s; elsewhere plain lines; with `json` one JSON object per event.
 */
export class ProgressView {
  readonly #format: 'tty' | 'text' | 'json';
  readonly #out: NodeJS.WriteStream;
  readonly #streams = new Map<string, StreamLine>();
  readonly #verbose: boolean;
  #drawn = 0;
  #lastDraw = 0;

  constructor(format: LogFormat, out: NodeJS.WriteStream = process.stderr, verbose = false) {
    this.#format = format === 'json' ? 'json' : format === 'text' || !out.isTTY ? 'text' : 'tty';
    this.#out = out;
    this.#verbose = verbose;
  }

  readonly onEvent = (event: RunEvent): void => {
    if (this.#format === 'json') {
      this.#out.write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
      return;
    }
    switch (event.type) {
      case 'stream_start':
        this.#streams.set(event.stream, { name: event.stream, rows: 0, started: performance.now(), ...(event.estimatedRows !== undefined ? { estimated: event.estimatedRows } : {}) });
        if (this.#format === 'text') this.#line(`${event.stream}: ${event.mode}/${event.write} -> ${event.target}${event.passThrough ? ' (pass-through)' : ''}`);
        break;
      case 'stream_progress': {
        const line = this.#streams.get(event.stream);
        if (line) line.rows = event.rowsRead;
        break;
      }
      case 'stream_end': {
        const line = this.#streams.get(event.stream) ?? { name: event.stream, rows: 0, started: performance.now() };
        line.rows = event.rowsRead;
        line.done = event.status === 'success' ? `${formatCount(event.rowsWritten)} written in ${event.seconds.toFixed(1)} s` : `${event.status}${event.error ? `: ${event.error.split('\n')[0]}` : ''}`;
        this.#streams.set(event.stream, line);
        if (this.#format === 'text') this.#line(`${event.stream}: ${event.status}, ${formatCount(event.rowsRead)} read, ${line.done}`);
        break;
      }
      case 'log':
        if (event.level === 'warn' || event.level === 'error' || this.#verbose) this.#line(`${event.level}${event.stream ? ` [${event.stream}]` : ''}: ${event.message}`);
        break;
      default:
        break;
    }
    if (this.#format === 'tty') this.#draw(event.type !== 'stream_progress');
  };

  /** Leave the last frame on screen. */
  finish(): void {
    if (this.#format === 'tty') this.#draw(true);
    this.#drawn = 0;
  }

  #line(text: string): void {
    if (this.#format === 'tty') this.#clear();
    this.#out.write(`${text}\n`);
  }

  #clear(): void {
    if (this.#drawn > 0) this.#out.write(`\x1b[${this.#drawn}A\x1b[0J`);
    this.#drawn = 0;
  }

  #draw(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    this.#clear();
    const width = Math.max(...[...this.#streams.keys()].map((k) => k.length), 6);
    for (const line of this.#streams.values()) this.#out.write(`${renderLine(line, width, now)}\n`);
    this.#drawn = this.#streams.size;
  }
}

function renderLine(line: StreamLine, width: number, now: number): string {
  const seconds = Math.max((now - line.started) / 1000, 0.001);
  const fraction = line.done ? 1 : line.estimated && line.estimated > 0 ? Math.min(line.rows / line.estimated, 0.99) : undefined;
  const bar = fraction === undefined ? '·'.repeat(BAR_WIDTH) : `${'█'.repeat(Math.round(fraction * BAR_WIDTH))}${'░'.repeat(BAR_WIDTH - Math.round(fraction * BAR_WIDTH))}`;
  const rate = line.done ? '' : `  ${formatCount(line.rows / seconds)} rows/s`;
  return `${line.name.padEnd(width)}  ${bar}  ${formatCount(line.rows).padStart(11)} rows${rate}${line.done ? `  ${line.done}` : ''}`;
}
