/**
 * Reading every file of a chip as an inspection system does: EF.CardAccess as read before access
 * control, EF.COM, EF.SOD, then every data group either of them names (ICAO 9303-10 §3.6, §4.6.2),
 * so that a clone cannot hide a data group by leaving it out of EF.COM.
 */
import { decodeCom } from '../lds/com.js';
import { asCancuocError, attempt } from '../lds/errors.js';
import { fileByDg, fileByTag } from '../lds/files.js';
import { decodeSod } from '../lds/sod.js';
import { CardSession } from './card-session.js';
import { TransportError } from './transport.js';
import type { FileOutcome } from './verify.js';

export interface CardFiles {
  /** LDS file name → bytes, for every file read. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** One entry per file tried, in reading order. */
  readonly outcomes: readonly FileOutcome[];
}

/**
 * EF.CardAccess (as read before access control), EF.COM, EF.SOD, then every data group either
 * of them names. Refused and unreadable files are outcomes, not errors; a card that leaves the
 * reader throws TransportError.
 */
export async function readCardFiles(session: CardSession): Promise<CardFiles> {
  if (!(session instanceof CardSession)) throw new TypeError('"session" expected a CardSession');
  const files = new Map<string, Uint8Array>();
  const outcomes: FileOutcome[] = [];
  if (session.cardAccess !== undefined) {
    files.set('CardAccess', session.cardAccess);
    outcomes.push(Object.freeze({ name: 'CardAccess', status: 'read', length: session.cardAccess.length }));
  }
  const read = async (name: string): Promise<void> => {
    try {
      const bytes = await session.readFile(name);
      files.set(name, bytes);
      outcomes.push(Object.freeze({ name, status: 'read', length: bytes.length }));
    } catch (e) {
      if (e instanceof TransportError) throw e; // the card went away: no verdict to give
      const { code } = asCancuocError(e);
      const status = code === 'SECURITY_STATUS_NOT_SATISFIED' ? 'denied' : code === 'FILE_NOT_FOUND' ? 'absent' : 'error';
      outcomes.push(Object.freeze({ name, status, code }));
    }
  };
  await read('COM');
  await read('SOD');
  for (const dg of listedDataGroups(files)) await read(fileByDg(dg)!.name);
  return Object.freeze({ files, outcomes: Object.freeze(outcomes) });
}

/** Data groups named by EF.COM or by EF.SOD, ascending; a file that does not parse names none. */
export function listedDataGroups(files: ReadonlyMap<string, Uint8Array>): number[] {
  const named = (name: string, list: (bytes: Uint8Array) => readonly (number | undefined)[]): readonly (number | undefined)[] => {
    const bytes = files.get(name);
    const r = bytes === undefined ? undefined : attempt(() => list(bytes));
    return r?.ok === true ? r.value : [];
  };
  const all = [
    ...named('COM', (b) => decodeCom(b).tags.map((t) => fileByTag(t)?.dg)),
    ...named('SOD', (b) => decodeSod(b).securityObject.dataGroupHashes.map((h) => h.dg)),
  ];
  return [...new Set(all.filter((dg): dg is number => dg !== undefined && fileByDg(dg) !== undefined))].sort((a, b) => a - b);
}
