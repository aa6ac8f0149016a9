/** Operator controls kept in the state store: pauses of cdc syncs and streams, and the audit log. */

/** A pause: `stream` null pauses the whole sync, a name pauses one of its streams. */
export interface PauseRecord {
  readonly sync: string;
  readonly stream: string | null;
  /** ISO 8601 UTC, from the state store's clock. */
  readonly pausedAt: string;
  /** Who paused it (user name of the CLI process, or an API key / user later). */
  readonly pausedBy: string;
  readonly reason: string | null;
}

export type NewPause = Omit<PauseRecord, 'pausedAt'>;

/** One operator action (pause, resume, resync, drop, ...), newest last by `id`. */
export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  /** Dotted verb, e.g. `cdc.pause`. */
  readonly action: string;
  /** What it acted on, e.g. the sync name. */
  readonly target: string | null;
  readonly details: Readonly<Record<string, unknown>> | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'>;

export interface ListAuditOptions {
  readonly target?: string;
  /** Newest entries first; default 50. */
  readonly limit?: number;
}
