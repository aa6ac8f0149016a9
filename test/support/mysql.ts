import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

/** The machine's MariaDB (root, no password); override with FERRY_TEST_MYSQL. */
export const MYSQL_BASE = process.env.FERRY_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306';

export interface MysqlTestDatabase {
  readonly name: string;
  readonly url: string;
  /** Rows of a statement run in this database (rows as arrays when `asArray`). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A fresh database for one test file, dropped by `drop()`. */
export async function createMysqlTestDatabase(prefix: string): Promise<MysqlTestDatabase> {
  const name = `ferry_t_${prefix}_${randomBytes(4).toString('hex')}`;
  const pool = mysql.createPool({ uri: MYSQL_BASE, connectionLimit: 2, charset: 'utf8mb4', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  await pool.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  return {
    name,
    url: `${MYSQL_BASE}/${name}`,
    async query<T>(sql: string, params?: unknown[]): Promise<T[]> {
      const connection = await pool.getConnection();
      try {
        await connection.query(`USE \`${name}\``);
        const [rows] = await connection.query(sql, params);
        return rows as T[];
      } finally {
        connection.release();
      }
    },
    async drop() {
      await pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await pool.end();
    },
  };
}
