import { readFile } from 'node:fs/promises';
import mysql from 'mysql2/promise';
import { MYSQL_BASE } from './mysql.js';

/**
 * Loading `../shared/fixtures/mysql-type-torture` files the way `mariadb
 * --force` does: statement by statement, each failure recorded and the rest
 * still run. Tests assert the failures are exactly the ones the fixtures'
 * README lists for MariaDB.
 */

/** Split a SQL script at `;` outside quotes, backticks and comments (the mariadb client's default delimiter). */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  while (i < script.length) {
    const ch = script[i] ?? '';
    const next = script[i + 1] ?? '';
    if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      while (j < script.length) {
        if (script[j] === '\\' && ch !== '`') j += 2;
        else if (script[j] === ch && script[j + 1] === ch) j += 2;
        else if (script[j] === ch) break;
        else j++;
      }
      current += script.slice(i, j + 1);
      i = j + 1;
    } else if ((ch === '-' && next === '-') || ch === '#') {
      const end = script.indexOf('\n', i);
      i = end === -1 ? script.length : end;
    } else if (ch === '/' && next === '*') {
      const end = script.indexOf('*/', i + 2);
      i = end === -1 ? script.length : end + 2;
    } else if (ch === ';') {
      if (current.trim() !== '') statements.push(current.trim());
      current = '';
      i++;
    } else {
      current += ch;
      i++;
    }
  }
  if (current.trim() !== '') statements.push(current.trim());
  return statements;
}

export interface FixtureLoad {
  readonly statements: number;
  /** Statements the server refused, with its message. */
  readonly failed: readonly { readonly sql: string; readonly error: string }[];
}

/**
 * Run a fixture file in `database` on a plain connection (server-default
 * session, as the mariadb client has). `rename` rewrites names the file
 * hard-codes (other databases it creates), so parallel test runs never share them.
 */
export async function loadFixture(path: string, database: string, rename: ReadonlyMap<string, string> = new Map()): Promise<FixtureLoad> {
  let script = await readFile(path, 'utf8');
  for (const [from, to] of rename) script = script.replace(new RegExp(`\\b${from}\\b`, 'g'), to);
  const statements = splitStatements(script);
  const connection = await mysql.createConnection({ uri: `${MYSQL_BASE}/${database}`, charset: 'utf8mb4' });
  const failed: { sql: string; error: string }[] = [];
  try {
    for (const sql of statements) {
      await connection.query(sql).catch((error: unknown) => failed.push({ sql, error: error instanceof Error ? error.message : String(error) }));
    }
  } finally {
    await connection.end();
  }
  return { statements: statements.length, failed };
}
