// Opening the store: SQLite (better-sqlite3; a file under the data directory, WAL, foreign keys,
// a busy timeout) by default, or PostgreSQL (pg) for several workers sharing one database. Both
// give the same Kysely<Database>; nothing above this file knows which one it talks to.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export type DatabaseConfig =
  | { kind: 'sqlite'; /** The database file (created with its directory when missing). */ file: string; busyTimeoutMs?: number }
  | { kind: 'postgres'; /** postgres://user:password@host:port/database */ url: string; poolSize?: number };

export interface OpenDatabase {
  db: Kysely<Database>;
  kind: DatabaseConfig['kind'];
  close(): Promise<void>;
}

export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
}

const INT8_OID = 20;

export function openDatabase(cfg: DatabaseConfig): OpenDatabase {
  if (cfg.kind === 'sqlite') {
    let sqlite: BetterSqlite3.Database;
    try {
      mkdirSync(dirname(cfg.file), { recursive: true });
      sqlite = new BetterSqlite3(cfg.file);
      // WAL: readers (the API) never wait for the writer (a finished check); synchronous FULL makes
      // each commit durable before the service acts on it; the busy timeout covers a second process
      // (a CLI, a backup) holding the write lock for a moment.
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = FULL');
      sqlite.pragma('foreign_keys = ON');
      sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(cfg.busyTimeoutMs ?? 5000))}`);
    } catch (e) {
      throw new DatabaseOpenError(`cannot open the SQLite database ${cfg.file}: ${(e as Error).message}`);
    }
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, kind: 'sqlite', close: () => db.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: cfg.url,
    max: cfg.poolSize ?? 10,
    // Times are bigint milliseconds: read them back as numbers (exact below 2^53, i.e. for 285,000 years).
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown => (oid === INT8_OID ? (v: string) => Number(v) : (pg.types.getTypeParser(oid, format) as unknown))) as typeof pg.types.getTypeParser },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, kind: 'postgres', close: () => db.destroy() };
}
