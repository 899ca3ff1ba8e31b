/**
 * What the verification service keeps (docs/service.md "State"): its clients' API keys (hashed),
 * its two secrets, the challenges already answered and the request log. It lives in the registry
 * database, in tables of its own, so every worker and every instance behind a load balancer sees
 * the same keys, secrets and used challenges. This is the one module that touches the registry;
 * the rest of src/service sees only the ServiceStore interface.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CancuocError, ValidationError } from '../lds/errors.js';
import { SqliteStore } from '../issuance/registry-sqlite.js';
import { isPostgresUrl } from '../issuance/registry-store.js';

export interface ClientKey {
  readonly name: string;
  readonly createdAt: string;
}

export interface RequestLogEntry {
  readonly time: string;
  readonly client: string;
  readonly route: string;
  readonly status: number;
  /** VALID, INVALID, …, or null when the request carried no document. */
  readonly verdict: string | null;
  /** Keyed hash of the document (or ID) number (secret `audit`), never the number itself. */
  readonly document: string | null;
}

export interface ServiceStore {
  /** A new client: returns the API key, shown once; only its SHA-256 is stored. */
  addClient(name: string, now: Date): string;
  removeClient(name: string): boolean;
  listClients(): readonly ClientKey[];
  /** The client a presented key belongs to. */
  clientOfKey(key: string): string | undefined;
  /** A random 32-byte secret of this name, made on first use and shared by every instance. */
  secret(name: 'challenge' | 'audit'): Uint8Array;
  /** Records a challenge as answered; false when it was answered before (a replay). */
  useChallenge(id: string, expiresAt: number, now: number): boolean;
  logRequests(entries: readonly RequestLogEntry[]): void;
  readRequestLog(): readonly RequestLogEntry[];
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS service_clients (
  name       TEXT PRIMARY KEY,
  key_hash   TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS service_secrets (name TEXT PRIMARY KEY, secret BLOB NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS service_challenges (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS service_challenges_expiry ON service_challenges(expires_at);
CREATE TABLE IF NOT EXISTS service_requests (
  id       INTEGER PRIMARY KEY,
  time     TEXT NOT NULL,
  client   TEXT NOT NULL,
  route    TEXT NOT NULL,
  status   INTEGER NOT NULL,
  verdict  TEXT,
  document TEXT
) STRICT;
CREATE TRIGGER IF NOT EXISTS service_requests_no_update BEFORE UPDATE ON service_requests BEGIN SELECT RAISE(ABORT, 'the request log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS service_requests_no_delete BEFORE DELETE ON service_requests BEGIN SELECT RAISE(ABORT, 'the request log is append-only'); END;
`;

const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const KEY_PREFIX = 'cck_';

/** The API key's SHA-256: the key is 256 random bits, so no slow hash is needed against guessing. */
const keyHash = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** Opens (creating when asked) the registry at `path` and the service's tables in it. */
export function openServiceStore(path: string, options: { readonly create?: boolean } = {}): ServiceStore {
  // The service's tables are SQLite only for now (docs/service.md): its PostgreSQL twin is not built.
  if (isPostgresUrl(path)) {
    throw new ValidationError('SERVICE_DB_SQLITE_ONLY', 'serve keeps its keys and request log in a SQLite registry for now; give a file, not a postgres:// URI', { field: '--db' });
  }
  // the registry schema first (created or migrated as any writer does), then the service's tables
  const registry = SqliteStore.open(path, { create: options.create ?? false });
  const db = registry.database;
  try {
    db.exec(SCHEMA);
    // This connection writes only the service's tables. WAL with synchronous=NORMAL (SQLite
    // §"Write-Ahead Logging") does not fsync each commit: a power cut may lose the last moments of
    // the request log and of the answered challenges (those expire within --challenge-ttl),
    // never the database. An fsync per flush stalled every request behind the disk.
    db.pragma('synchronous = NORMAL');
  } catch (e) {
    void registry.close();
    throw new CancuocError('SERVICE_STORE_FAILED', `cannot set up the service tables in ${path}: ${(e as Error).message}`, { file: path });
  }
  const byHash = db.prepare<[string], { name: string }>('SELECT name FROM service_clients WHERE key_hash = ?');
  const insertChallenge = db.prepare('INSERT OR IGNORE INTO service_challenges (id, expires_at) VALUES (?, ?)');
  const purge = db.prepare('DELETE FROM service_challenges WHERE expires_at < ?');
  const insertRequest = db.prepare('INSERT INTO service_requests (time, client, route, status, verdict, document) VALUES (?, ?, ?, ?, ?, ?)');
  const secrets = new Map<string, Uint8Array>();
  let uses = 0;
  return Object.freeze({
    addClient(name: string, now: Date): string {
      if (typeof name !== 'string' || !CLIENT_NAME.test(name)) {
        throw new ValidationError('SERVICE_CLIENT_NAME', 'a client name is 1 to 64 letters, digits, dots, dashes or underscores', { field: 'name' });
      }
      const key = KEY_PREFIX + randomBytes(32).toString('base64url');
      const added = db.prepare('INSERT OR IGNORE INTO service_clients (name, key_hash, created_at) VALUES (?, ?, ?)').run(name, keyHash(key), now.toISOString());
      if (added.changes === 0) throw new ValidationError('SERVICE_CLIENT_EXISTS', `client ${name} already has a key; remove it first`, { field: 'name' });
      return key;
    },
    removeClient: (name: string) => db.prepare('DELETE FROM service_clients WHERE name = ?').run(name).changes > 0,
    listClients: () =>
      Object.freeze(
        db
          .prepare<[], { name: string; created_at: string }>('SELECT name, created_at FROM service_clients ORDER BY name')
          .all()
          .map((r) => Object.freeze({ name: r.name, createdAt: r.created_at })),
      ),
    clientOfKey: (key: string) => (key.startsWith(KEY_PREFIX) ? byHash.get(keyHash(key))?.name : undefined),
    secret(name: 'challenge' | 'audit'): Uint8Array {
      let s = secrets.get(name);
      if (s === undefined) {
        db.prepare('INSERT OR IGNORE INTO service_secrets (name, secret) VALUES (?, ?)').run(name, randomBytes(32));
        const row = db.prepare<[string], { secret: Buffer }>('SELECT secret FROM service_secrets WHERE name = ?').get(name)!;
        s = new Uint8Array(row.secret);
        secrets.set(name, s);
      }
      return s;
    },
    useChallenge(id: string, expiresAt: number, now: number): boolean {
      // Expired challenges are refused before they get here, so their records can go.
      if (++uses % 1000 === 0) purge.run(now);
      return insertChallenge.run(id, expiresAt).changes === 1;
    },
    logRequests: db.transaction((entries: readonly RequestLogEntry[]) => {
      for (const e of entries) insertRequest.run(e.time, e.client, e.route, e.status, e.verdict, e.document);
    }),
    readRequestLog: () =>
      Object.freeze(
        db
          .prepare<[], RequestLogEntry>('SELECT time, client, route, status, verdict, document FROM service_requests ORDER BY id')
          .all()
          .map((r) => Object.freeze({ ...r })),
      ),
    close: () => void registry.close(), // closing better-sqlite3 is synchronous; the promise only reports it
  });
}
