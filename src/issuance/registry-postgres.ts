/**
 * The shared registry engine: a PostgreSQL server (node-postgres, `pg`) that several line
 * machines, service instances and the revocation export use at once (docs/registry.md,
 * "PostgreSQL"). Transactions are READ COMMITTED; rows a station claims are locked with
 * FOR UPDATE SKIP LOCKED, so stations never wait for each other's claims nor take the same row;
 * audit appends are serialized by a transaction-scoped advisory lock taken last in each
 * transaction (audit-log.ts), after every row lock, so that no two writers can deadlock on it.
 */
import pg from 'pg';
import { CancuocError } from '../lds/errors.js';
import { checkVersion, POSTGRES_MIGRATIONS } from './registry-schema.js';
import { openFailed, type Dialect, type Store, type StoreOptions, type Tx } from './registry-store.js';

/** pg_advisory_xact_lock keys (PostgreSQL §9.27.10): one for migrations, one for the audit chain. */
const MIGRATION_LOCK = 0x63616e01;
const AUDIT_LOCK = 0x63616e02;

const DIALECT: Dialect = Object.freeze({
  jsonList: '(SELECT jsonb_array_elements_text(?::jsonb))',
  skipLocked: ' FOR UPDATE SKIP LOCKED',
  forUpdate: ' FOR UPDATE',
  lockAudit: `SELECT pg_advisory_xact_lock(${AUDIT_LOCK})`,
});

/** BIGINT (OID 20) and COUNT(*) as JavaScript numbers: every id and count fits in 2^53. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const converted = new Map<string, string>();
const listened = new WeakSet<pg.PoolClient>();

/** `?` placeholders to PostgreSQL's `$1, $2…` (the registry's SQL holds no `?` in literals). */
function numbered(sql: string): string {
  let out = converted.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    converted.set(sql, out);
  }
  return out;
}

function txOf(client: pg.PoolClient): Tx {
  const q = (sql: string, params: unknown[]): Promise<pg.QueryResult> => client.query(numbered(sql), params);
  return Object.freeze({
    get: async <T>(sql: string, ...params: unknown[]) => (await q(sql, params)).rows[0] as T | undefined,
    all: async <T>(sql: string, ...params: unknown[]) => (await q(sql, params)).rows as T[],
    run: async (sql: string, ...params: unknown[]) => (await q(sql, params)).rowCount ?? 0,
    insert: async (sql: string, ...params: unknown[]) => Number((await q(`${sql} RETURNING id`, params)).rows[0].id),
  });
}

/** The URI with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

export class PostgresStore implements Store {
  readonly engine = 'postgres';
  readonly dialect = DIALECT;
  readonly where: string;
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool, where: string) {
    this.#pool = pool;
    this.where = where;
  }

  /** Connects (a pool of up to `poolSize` connections) and brings the schema up to date. */
  static async open(url: string, options: StoreOptions & { readonly poolSize?: number }): Promise<PostgresStore> {
    const where = redactUrl(url);
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types: TYPES, connectionTimeoutMillis: 10_000 });
    // An idle connection the server closes (restart, failover) must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const store = new PostgresStore(pool, where);
    try {
      await store.#transaction('BEGIN', async (tx) => migrate(tx, options.create, where));
    } catch (e) {
      await pool.end();
      throw openFailed(where, e);
    }
    return store;
  }

  async #transaction<T>(begin: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    // A connection lost mid-transaction fails the query in hand; the event itself must not end the process.
    if (!listened.has(client)) {
      listened.add(client);
      client.on('error', () => undefined);
    }
    let broken: Error | undefined;
    try {
      await client.query(begin);
      try {
        const result = await fn(txOf(client));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch((r: Error) => (broken = r));
        throw e;
      }
    } finally {
      client.release(broken);
    }
  }

  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#transaction('BEGIN ISOLATION LEVEL READ COMMITTED', fn).catch((e: unknown) => this.#unavailable(e));
  }

  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn).catch((e: unknown) => this.#unavailable(e));
  }

  /**
   * A server that cannot be reached or went away (SQLSTATE classes 08 connection exception, 28
   * authorization, 3D no such database, 53 insufficient resources, 57 operator intervention; a
   * socket error) is REGISTRY_UNAVAILABLE, not a bug; every other error passes unchanged (a unique
   * violation is the registry's to map).
   */
  #unavailable(e: unknown): never {
    const code = (e as { code?: unknown } | null)?.code;
    const lost = typeof code === 'string' ? /^(08|28|3D|53|57)/.test(code) || /^E[A-Z]+$/.test(code) : /connection|terminated|timeout/i.test(String((e as Error)?.message));
    if (!lost || e instanceof CancuocError) throw e;
    throw new CancuocError('REGISTRY_UNAVAILABLE', `registry ${this.where} unavailable: ${(e as Error).message}`, { file: this.where }, { cause: e });
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** All missing versions in one transaction, under an advisory lock: other machines may be opening the registry too. */
async function migrate(tx: Tx, create: boolean, where: string): Promise<void> {
  await tx.run(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
  await tx.run('CREATE TABLE IF NOT EXISTS cancuoc_schema (version INTEGER NOT NULL)');
  const row = await tx.get<{ version: number }>('SELECT version FROM cancuoc_schema');
  const version = row?.version ?? 0;
  checkVersion(version, POSTGRES_MIGRATIONS.length, where);
  if (version === 0 && !create) throw new CancuocError('REGISTRY_OPEN_FAILED', `database ${where} holds no registry`, { file: where });
  for (let v = version; v < POSTGRES_MIGRATIONS.length; v++) await tx.run(POSTGRES_MIGRATIONS[v]!);
  if (row === undefined) await tx.run('INSERT INTO cancuoc_schema (version) VALUES (?)', POSTGRES_MIGRATIONS.length);
  else await tx.run('UPDATE cancuoc_schema SET version = ?', POSTGRES_MIGRATIONS.length);
}
