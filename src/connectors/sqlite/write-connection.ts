import type { SqliteDatabase } from './database.js';

/**
 * One connection a destination's writers share. SQLite admits one writer per
 * file, so writers of parallel streams stage through the same connection inside
 * one long transaction (fast inserts; staged rows are disposable), which is
 * committed before a writer publishes in a transaction of its own.
 */
export class WriteConnection {
  readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  /** Open the staging transaction if none is open. */
  stage(): void {
    if (!this.db.inTransaction) this.db.exec('BEGIN');
  }

  /** Commit staged rows so a publish transaction can start. */
  flush(): void {
    if (this.db.inTransaction) this.db.exec('COMMIT');
  }

  /** Run `work` in one IMMEDIATE transaction; rolled back if it throws. */
  publish<T>(work: () => T): T {
    this.flush();
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  close(): void {
    if (this.db.open) {
      this.flush();
      this.db.close();
    }
  }
}
