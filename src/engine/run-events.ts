import type { LogLevel, RunStatus } from '../state/state-store.js';

/** What a running sync reports as it goes: the CLI draws progress bars from these. */
export type RunEvent =
  | { readonly type: 'run_start'; readonly runId: string; readonly sync: string; readonly streams: readonly string[] }
  | {
      readonly type: 'stream_start';
      readonly runId: string;
      readonly stream: string;
      readonly target: string;
      readonly mode: string;
      readonly write: string;
      readonly estimatedRows?: number;
      readonly passThrough: boolean;
      /** The raw format the bytes pass through in (`pg-binary`, `ferry-csv`...), when they do. */
      readonly rawFormat?: string;
    }
  | {
      readonly type: 'stream_progress';
      readonly runId: string;
      readonly stream: string;
      readonly rowsRead: number;
      readonly bytesRead: number;
    }
  | {
      readonly type: 'stream_end';
      readonly runId: string;
      readonly stream: string;
      readonly status: RunStatus;
      readonly rowsRead: number;
      readonly rowsWritten: number;
      readonly seconds: number;
      readonly error?: string;
    }
  | {
      readonly type: 'log';
      readonly runId: string;
      readonly level: LogLevel;
      readonly stream: string | null;
      readonly message: string;
      readonly fields?: Readonly<Record<string, unknown>>;
    }
  | { readonly type: 'run_end'; readonly runId: string; readonly status: RunStatus };

export type RunEventListener = (event: RunEvent) => void;
