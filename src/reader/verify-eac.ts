/**
 * The EAC part of reading and verifying a card (docs/eac.md): with a terminal's credentials,
 * Terminal Authentication after Chip Authentication (BSI TR-03110 v1.11, TA v1), then the data
 * groups the chip refused before — DG3 (fingers) and DG4 (iris), ICAO 9303-11 §7 — read again
 * with the rights TA opened. The outcome is the `ta` check of the report; DG3 is summarised
 * (how many fingers, which positions, which record format) for the report.
 */
import { asCancuocError, attempt } from '../lds/errors.js';
import { cvDate } from '../lds/cvc.js';
import { decodeDg3 } from '../lds/dg3.js';
import type { CardSession } from './card-session.js';
import { CardStatusError } from './secure-transport.js';
import type { TerminalCredentials } from './terminal-auth.js';
import { TransportError } from './transport.js';

/** What DG3 holds, without the templates themselves. */
export interface FingerprintSummary {
  /** Biometric templates (one per record). */
  readonly templates: number;
  /** Finger views over all records. */
  readonly fingers: number;
  /** ISO/IEC 19794 finger positions (1 right thumb … 10 left little, 0 unknown), in order. */
  readonly positions: readonly number[];
  /** Record formats found: 'ISO19794-2:2005', 'ANSI378-2004', 'ISO19794-4' (images), 'ISO39794'. */
  readonly formats: readonly string[];
}

/** Summarises DG3; undefined when it does not decode. */
export function fingerprintSummary(dg3: Uint8Array): FingerprintSummary | undefined {
  const r = attempt(() => decodeDg3(dg3));
  if (!r.ok) return undefined;
  const positions: number[] = [];
  const formats = new Set<string>();
  for (const t of r.value.templates) {
    if (t.bdb.encoding === 'ISO39794') {
      formats.add('ISO39794');
      continue;
    }
    const record = t.bdb.record;
    if (record.kind === 'finger-minutiae') {
      formats.add(record.format);
      positions.push(...record.views.map((v) => v.position));
    } else {
      formats.add('ISO19794-4');
      positions.push(...record.images.map((i) => i.position));
    }
  }
  return Object.freeze({ templates: r.value.templates.length, fingers: positions.length, positions: Object.freeze(positions), formats: Object.freeze([...formats]) });
}

export interface EacCheck {
  readonly status: 'pass' | 'fail';
  readonly code: string;
  readonly reason: string;
}

export interface EacOutcome {
  readonly check: EacCheck;
  /** Files read with the rights TA opened (DG3, DG4), by name. */
  readonly read: ReadonlyMap<string, Uint8Array>;
}

const EAC_FILES = ['DG3', 'DG4'] as const;

/**
 * Runs TA with `terminal` on a session where Chip Authentication succeeded, then reads the EAC
 * files in `wanted` (those the chip refused before). Every failure is a check, never a throw,
 * except a card that leaves the reader (TransportError).
 */
export async function terminalAuthAndRead(session: CardSession, terminal: TerminalCredentials, wanted: readonly string[], at: Date): Promise<EacOutcome> {
  const read = new Map<string, Uint8Array>();
  const result = (status: EacCheck['status'], code: string, reason: string): EacOutcome =>
    Object.freeze({ check: Object.freeze({ status, code, reason }), read });
  const today = cvDate(at);
  const expired = terminal.chain.find((c) => c.expirationDate < today);
  if (expired !== undefined) {
    return result('fail', 'TA_CERTIFICATE_EXPIRED', `the terminal certificate ${expired.chr} expired on ${expired.expirationDate}: no chip will accept it`);
  }
  try {
    await session.terminalAuth(terminal);
  } catch (e) {
    if (e instanceof TransportError) throw e;
    const error = asCancuocError(e);
    const why = e instanceof CardStatusError ? `the chip refused ${error.place.step ?? 'a TA step'} (SW ${e.sw.toString(16).toUpperCase()})` : error.message;
    const hint = e instanceof CardStatusError && e.sw === 0x6a88 ? ': no trust point for this chain (another country\'s CVCA?)' : '';
    return result('fail', error.code === 'TA_NEEDS_CA' ? 'TA_NEEDS_CA' : 'TA_REFUSED', `Terminal Authentication as ${terminal.is.chr} failed: ${why}${hint}`);
  }
  const closed: string[] = [];
  for (const name of EAC_FILES.filter((n) => wanted.includes(n))) {
    try {
      read.set(name, await session.readFile(name));
    } catch (e) {
      if (e instanceof TransportError) throw e;
      if (!(e instanceof CardStatusError)) throw e;
      closed.push(name);
    }
  }
  if (closed.length > 0) {
    return result('fail', 'TA_RIGHT_MISSING', `the chip accepted ${terminal.is.chr}, but its rights (the AND of the chain's CHATs) do not open ${closed.join(', ')}`);
  }
  const got = [...read.keys()];
  return result('pass', 'OK', `Terminal Authentication as ${terminal.is.chr} (chain ${terminal.chain.map((c) => c.chr).join(' → ')})${got.length > 0 ? `; read ${got.join(', ')}` : ''}`);
}
