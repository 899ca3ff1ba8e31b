/**
 * The storage below the registry (docs/registry.md, "Storage"): one interface, two engines —
 * the embedded SQLite file (registry-sqlite.ts) and a PostgreSQL server shared by many line
 * machines (registry-postgres.ts). The registry logic writes its queries once, with `?`
 * placeholders and the few engine-specific fragments of `Dialect`.
 */
import { CancuocError, ValidationError } from '../lds/errors.js';

/** Queries inside one transaction. Numbers are JavaScript numbers on both engines. */
export interface Tx {
  get<T>(sql: string, ...params: unknown[]): Promise<T | undefined>;
  all<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, ...params: unknown[]): Promise<number>;
  /** Runs an INSERT into a table with an `id` key; the new row's id. */
  insert(sql: string, ...params: unknown[]): Promise<number>;
}

/** The SQL that differs between the engines. */
export interface Dialect {
  /** A sub-select of the strings in the next parameter, a JSON array of strings. */
  readonly jsonList: string;
  /** Appended to a SELECT … LIMIT n that claims rows other writers must skip (PostgreSQL §SELECT "The Locking Clause"). */
  readonly skipLocked: string;
  /** Appended to a SELECT of a row this transaction is about to change. */
  readonly forUpdate: string;
  /** Run before the audit chain's head is read, to serialize appends; undefined where the transaction already is. */
  readonly lockAudit: string | undefined;
}

export interface StoreOptions {
  /** false: the registry must already exist (read and admin commands). */
  readonly create: boolean;
  /** SQLite: open without writing anything, not even the WAL switch (commands that only read). */
  readonly readonly?: boolean;
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly dialect: Dialect;
  /** Where the store lives, without any password: for messages. */
  readonly where: string;
  /** One write transaction: commits when `fn` resolves, rolls back when it throws. */
  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** One read-only snapshot. */
  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A PostgreSQL connection URI (libpq §34.1.1) rather than a file path. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** A unique index refused the change, on either engine (SQLite extended code, SQLSTATE 23505). */
export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

/** The registry cannot be opened: the one error both engines give for it. */
export function openFailed(where: string, e: unknown): CancuocError {
  if (e instanceof CancuocError) return e;
  // SQLite's own verdicts on the file: bad input (exit 4), named, not an internal error
  const code = (e as { code?: string }).code;
  if (code === 'SQLITE_NOTADB') return new ValidationError('REGISTRY_NOT_A_REGISTRY', 'not a cancuoc registry (not an SQLite database)', { file: where });
  if (code === 'SQLITE_CORRUPT') {
    return new ValidationError('REGISTRY_DAMAGED', `registry file is damaged (SQLite: ${(e as Error).message}); restore it from a backup`, { file: where });
  }
  return new CancuocError('REGISTRY_OPEN_FAILED', `cannot open registry ${where}: ${(e as Error).message}`, { file: where }, { cause: e });
}
