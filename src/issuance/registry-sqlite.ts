/**
 * The embedded registry engine: one SQLite file (better-sqlite3), WAL with synchronous = FULL so a
 * committed transaction survives a power cut, foreign keys on, a 10 s busy timeout. Write
 * transactions are BEGIN IMMEDIATE (the write lock first, so two processes never interleave) and,
 * within one process, run one after another: the connection is shared by every station.
 */
import Database from 'better-sqlite3';
import { CancuocError } from '../lds/errors.js';
import { checkVersion, SQLITE_MIGRATIONS } from './registry-schema.js';
import { openFailed, type Dialect, type Store, type StoreOptions, type Tx } from './registry-store.js';

type Db = Database.Database;

const DIALECT: Dialect = Object.freeze({
  jsonList: '(SELECT value FROM json_each(?))',
  skipLocked: '',
  forUpdate: '',
  lockAudit: undefined,
});

const BUSY_TIMEOUT_MS = 10_000;

export class SqliteStore implements Store {
  readonly engine = 'sqlite';
  readonly dialect = DIALECT;
  readonly where: string;
  readonly #db: Db;
  readonly #tx: Tx;
  #turn: Promise<unknown> = Promise.resolve();

  private constructor(db: Db, where: string) {
    this.#db = db;
    this.where = where;
    const statements = new Map<string, Database.Statement>();
    const prepare = (sql: string): Database.Statement => {
      let s = statements.get(sql);
      if (s === undefined) statements.set(sql, (s = db.prepare(sql)));
      return s;
    };
    this.#tx = Object.freeze({
      get: async <T>(sql: string, ...params: unknown[]) => prepare(sql).get(...params) as T | undefined,
      all: async <T>(sql: string, ...params: unknown[]) => prepare(sql).all(...params) as T[],
      run: async (sql: string, ...params: unknown[]) => prepare(sql).run(...params).changes,
      insert: async (sql: string, ...params: unknown[]) => Number(prepare(sql).run(...params).lastInsertRowid),
    });
  }

  static open(path: string, options: StoreOptions): SqliteStore {
    let db: Db;
    try {
      db = new Database(path, { fileMustExist: !options.create });
    } catch (e) {
      throw openFailed(path, e);
    }
    try {
      // First, so that another process setting up the same file makes this one wait, not fail.
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      enableWal(db, path);
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db, path);
    } catch (e) {
      db.close();
      throw openFailed(path, e);
    }
    return new SqliteStore(db, path);
  }

  /** The better-sqlite3 handle, for SQLite-only tools (tests, `registry migrate`). */
  get database(): Db {
    return this.#db;
  }

  /** One transaction at a time on this connection, in the order asked. */
  #serial<T>(begin: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.#db.exec(begin);
      try {
        const result = await fn(this.#tx);
        this.#db.exec('COMMIT');
        return result;
      } catch (e) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw e;
      }
    };
    const next = this.#turn.then(run, run);
    this.#turn = next.catch(() => undefined);
    return next;
  }

  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#serial('BEGIN IMMEDIATE', fn);
  }

  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#serial('BEGIN DEFERRED', fn);
  }

  async close(): Promise<void> {
    await this.#turn;
    this.#db.close();
  }
}

/** One step at a time, the version read inside the write transaction: another process may be migrating too. */
function migrate(db: Db, path: string): void {
  const step = db.transaction((): boolean => {
    const version = db.pragma('user_version', { simple: true }) as number;
    checkVersion(version, SQLITE_MIGRATIONS.length, path);
    if (version === SQLITE_MIGRATIONS.length) return false;
    db.exec(SQLITE_MIGRATIONS[version]!);
    db.pragma(`user_version = ${version + 1}`);
    return true;
  });
  let more = true;
  while (more) more = step.immediate();
}

/**
 * SQLite §"Write-Ahead Logging" + synchronous=FULL: a committed transaction survives power loss.
 * WAL stays set in the file. Turning a new file to WAL needs it alone: a process that opens it at
 * the same moment as another gets SQLITE_BUSY (the busy handler does not cover the switch) or the
 * old mode back, so it tries again for as long as the busy timeout.
 */
function enableWal(db: Db, path: string): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      if (db.pragma('journal_mode = WAL', { simple: true }) === 'wal') return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
    }
    if (Date.now() > deadline) throw new CancuocError('REGISTRY_BUSY', `cannot open registry ${path}: it stays locked by another process`, { file: path });
    Atomics.wait(PAUSE, 0, 0, 10); // open() is synchronous: wait 10 ms in place
  }
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));
