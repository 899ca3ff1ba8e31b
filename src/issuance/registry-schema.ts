/**
 * The registry's SQLite schema (docs/registry.md): the versions in order, PRAGMA user_version
 * recording the last one applied, and the migration that brings a database up to date.
 */
import type Database from 'better-sqlite3';
import { CancuocError, ValidationError } from '../lds/errors.js';
import { AUDIT_SCHEMA } from './audit-log.js';
import { CLAIMS_SCHEMA, LIVE_SQL } from './registry-claims.js';

type Db = Database.Database;

/** Schema versions, applied in order; PRAGMA user_version records the last one applied. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE batches (
    id          INTEGER PRIMARY KEY,
    label       TEXT,
    actor       TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT
  ) STRICT;
  CREATE TABLE queue (
    id          INTEGER PRIMARY KEY,
    id_number   TEXT NOT NULL CHECK (length(id_number) = 12),
    record      TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('queued', 'claimed', 'done', 'set-aside')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    batch_id    INTEGER REFERENCES batches(id),
    enqueued_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX queue_one_open_per_id ON queue(id_number) WHERE state IN ('queued', 'claimed');
  CREATE INDEX queue_state ON queue(state, id);
  CREATE TABLE cards (
    id              INTEGER PRIMARY KEY,
    queue_id        INTEGER NOT NULL REFERENCES queue(id),
    batch_id        INTEGER NOT NULL REFERENCES batches(id),
    id_number       TEXT NOT NULL,
    attempt         INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'personalizing', 'written', 'verified', 'issued', 'set-aside', 'lost', 'revoked')),
    chip_serial     TEXT,
    document_number TEXT,
    sod_hash        TEXT,
    reason          TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    issued_at       TEXT,
    revoked_at      TEXT,
    audit_seq       INTEGER NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX cards_one_live_per_item ON cards(queue_id) WHERE status IN (${LIVE_SQL});
  CREATE UNIQUE INDEX cards_issued_document ON cards(document_number) WHERE status = 'issued';
  CREATE UNIQUE INDEX cards_issued_id ON cards(id_number) WHERE status = 'issued';
  CREATE UNIQUE INDEX cards_issued_chip ON cards(chip_serial) WHERE status = 'issued';
  CREATE INDEX cards_id_number ON cards(id_number);
  CREATE INDEX cards_document_number ON cards(document_number);
  ${AUDIT_SCHEMA}
  `,
  CLAIMS_SCHEMA,
];

/** One step at a time, the version read inside the write transaction: another process may be migrating too. */
export function migrate(db: Db, path: string): void {
  const step = db.transaction((): boolean => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new CancuocError('REGISTRY_TOO_NEW', `registry schema v${version} is newer than this cancuoc (v${MIGRATIONS.length})`, { file: path });
    }
    if (version === MIGRATIONS.length) return false;
    db.exec(MIGRATIONS[version]!);
    db.pragma(`user_version = ${version + 1}`);
    return true;
  });
  let more = true;
  while (more) more = step.immediate();
}

/**
 * An existing file, before anything is written to it: a registry of this cancuoc's schema (or an
 * older one that a writer may migrate). An SQLite file without the registry's user_version, or an
 * empty file, is not a registry.
 */
export function checkSchema(db: Db, path: string, readonly: boolean): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === 0) throw new ValidationError('REGISTRY_NOT_A_REGISTRY', 'not a cancuoc registry (no registry schema in it)', { file: path });
  if (version > MIGRATIONS.length) {
    throw new ValidationError('REGISTRY_TOO_NEW', `registry schema v${version} is newer than this cancuoc (v${MIGRATIONS.length})`, { file: path });
  }
  if (readonly && version < MIGRATIONS.length) {
    throw new ValidationError('REGISTRY_OLD_SCHEMA', `registry schema v${version} predates this cancuoc (v${MIGRATIONS.length}); a command that writes (batch run) upgrades it`, { file: path });
  }
}
