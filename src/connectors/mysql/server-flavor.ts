import type { RowDataPacket } from 'mysql2/promise';
import type { MysqlConnection } from './client.js';

/**
 * What the destination server can do, asked once per writer. Differences
 * between MySQL and MariaDB are these flags, never version checks elsewhere.
 */
export interface ServerFlavor {
  /** Collation for text columns Ferry creates: binary (values compare exactly) and NO PAD (`'a'` and `'a '` differ) where the server has one. */
  readonly collation: string;
  /** A native UUID type (MariaDB 10.7+). */
  readonly uuidType: boolean;
  /** `JSON` keeps the text as given (MariaDB: longtext + json_valid); MySQL's binary JSON re-renders it and rounds big numbers. */
  readonly jsonKeepsText: boolean;
  /** The server accepts LOAD DATA LOCAL INFILE (`local_infile=ON`). */
  readonly localInfile: boolean;
  /** max_allowed_packet: the largest statement the server accepts. */
  readonly maxPacket: number;
}

interface VersionRow extends RowDataPacket {
  readonly v: string;
  readonly li: string | number;
  readonly mp: string | number;
}

/** Collations in order of preference: binary NO PAD first. */
const COLLATIONS = ['utf8mb4_0900_bin', 'utf8mb4_nopad_bin', 'utf8mb4_bin'];

function mariadbAtLeast(version: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return m !== null && (Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor));
}

export async function readFlavor(connection: MysqlConnection): Promise<ServerFlavor> {
  const [[row]] = await connection.query<VersionRow[]>('SELECT VERSION() AS v, @@GLOBAL.local_infile AS li, @@max_allowed_packet AS mp');
  const version = row?.v ?? '';
  const mariadb = /mariadb/i.test(version);
  const [collations] = await connection.query<RowDataPacket[]>('SELECT COLLATION_NAME AS c FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN (?)', [COLLATIONS]);
  const have = new Set(collations.map((r) => String(r['c'])));
  return {
    collation: COLLATIONS.find((c) => have.has(c)) ?? 'utf8mb4_bin',
    uuidType: mariadb && mariadbAtLeast(version, 10, 7),
    jsonKeepsText: mariadb,
    localInfile: Number(row?.li ?? 0) === 1,
    maxPacket: Number(row?.mp ?? 4 << 20),
  };
}
