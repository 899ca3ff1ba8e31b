/**
 * The embedded registry engine: one SQLite file (better-sqlite3), WAL with synchronous = FULL so a
 * committed transaction survives a power cut, foreign keys on, a 10 s busy timeout. Write
 * transactions are BEGIN IMMEDIATE (the write lock first, so two processes never interleave) and,
 * within one process, run one after another: the connection is shared by every station.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { CancuocError, ValidationError } from '../lds/errors.js';
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
/** A registry in a folder this user cannot write is read into memory; larger than this, it must be copied. */
const READONLY_COPY_MAX = 512 * 1024 * 1024;

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
    const readonly = options.readonly === true;
    let db: Db;
    try {
      db = openDatabase(path, readonly, !options.create);
    } catch (e) {
      throw openFailed(path, e);
    }
    try {
      // First, so that another process setting up the same file makes this one wait, not fail.
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      // An existing file is checked before anything is written to it (not even the WAL switch)
      if (readonly || !options.create) checkSchema(db, path, readonly);
      if (!readonly) {
        enableWal(db, path);
        db.pragma('synchronous = FULL');
        db.pragma('foreign_keys = ON');
        migrate(db, path);
      }
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
/** A file to open without creating it must already be a registry this code can use. */
function checkSchema(db: Db, path: string, readonly: boolean): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === 0) throw new ValidationError('REGISTRY_NOT_A_REGISTRY', 'not a cancuoc registry (no registry schema in it)', { file: path });
  checkVersion(version, SQLITE_MIGRATIONS.length, path);
  if (readonly && version < SQLITE_MIGRATIONS.length) {
    throw new ValidationError('REGISTRY_OLD_SCHEMA', `registry schema v${version} predates this cancuoc (v${SQLITE_MIGRATIONS.length}); a command that writes (batch run) upgrades it`, { file: path });
  }
}

/**
 * A read-only open of a WAL database needs its -shm file; in a folder it cannot write (an
 * auditor's 0444 copy in a 0555 folder) SQLite cannot make one (https://sqlite.org/wal.html#readonly),
 * so the file is read into memory and opened from there.
 */
function openDatabase(path: string, readonly: boolean, mustExist: boolean): Db {
  if (!readonly) return new Database(path, { fileMustExist: mustExist });
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('user_version'); // the first read is where SQLite opens the WAL index
    return db;
  } catch (e) {
    const code = String((e as { code?: string }).code);
    if (!/^SQLITE_(CANTOPEN|READONLY)/.test(code) || folderWritable(path)) throw e;
    // no WAL index can be made here and none exists, so the file holds every commit: read a copy
    const size = statSync(path).size;
    if (size > READONLY_COPY_MAX) {
      const mib = (n: number) => `${Math.ceil(n / 1024 / 1024)} MiB`;
      throw new ValidationError('REGISTRY_TOO_LARGE_READONLY', `registry of ${mib(size)} in a folder this user cannot write: SQLite needs its WAL index beside it, and a copy is read into memory only up to ${mib(READONLY_COPY_MAX)}; copy it into a writable folder`, { file: path });
    }
    const image = readFileSync(path);
    if (image[18] === 2 && image[19] === 2) image.fill(1, 18, 20); // WAL → rollback header (sqlite.org/fileformat2.html §1.3.3)
    return new Database(image, { readonly: true });
  }
}

function folderWritable(path: string): boolean {
  try {
    accessSync(dirname(resolve(path)), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

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
