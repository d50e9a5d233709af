// The store: the database opened and migrated, with a transaction helper. Query functions live
// beside it, one file per concern (domains, history, subscriptions, outbox); each takes a Db,
// which may be a transaction.
import { sql } from 'kysely';
import { migrate } from './migrations.ts';
import { openDatabase, type DatabaseConfig, type OpenDatabase } from './open.ts';
import type { Db } from './domains.ts';

export class Store {
  private constructor(private readonly opened: OpenDatabase) {}

  /** Open the database and run every pending migration (in one transaction). */
  static async open(cfg: DatabaseConfig): Promise<Store> {
    const opened = openDatabase(cfg);
    try {
      await migrate(opened.db);
    } catch (e) {
      await opened.close();
      throw e;
    }
    return new Store(opened);
  }

  get db(): Db {
    return this.opened.db;
  }

  get kind(): DatabaseConfig['kind'] {
    return this.opened.kind;
  }

  /**
   * Run `fn` in one transaction. Inside it, use only the `trx` it gets: on SQLite the one
   * connection is held until the transaction ends, so a query on `db` would wait for ever.
   */
  transaction<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return this.opened.db.transaction().execute(fn);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.opened.db);
  }

  close(): Promise<void> {
    return this.opened.close();
  }
}
