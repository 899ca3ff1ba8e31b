/**
 * Who may do what on the virtual chip: ICAO 9303-11 (8th ed.) §4 (access control) and §9.8
 * (secure messaging), with the life cycle of the JMRTD personalization protocol.
 *
 * Personalization phase (before PUT DATA DE AD): like the JMRTD applet, every file can be read
 * and written, in plain or under secure messaging, so a personalization tool can check what it
 * wrote before it locks.
 *
 * Operational phase (locked):
 *  - EF.CardAccess and EF.ATR/INFO: readable in plain, always (9303-11 §4.2, ISO/IEC 7816-4 §12.7.1);
 *  - DG3 and DG4: need Terminal Authentication (9303-11 §7.1, EAC; src/card/terminal-auth.ts)
 *    with the read right for that group, else SELECT and READ answer 6982;
 *  - every other file, INTERNAL AUTHENTICATE and Chip Authentication: need a secure-messaging
 *    session opened by BAC or PACE, else 6982 "security status not satisfied";
 *  - personalization commands answer 6985 "conditions of use not satisfied".
 */
import { SW } from '../lds/apdu.js';
import { fileByDg } from '../lds/files.js';
import { FID_ATR_INFO } from './atr.js';
import type { AccessGate } from './filesystem.js';

/** How the current session was opened; 'none' = no secure messaging. */
export type Authentication = 'none' | 'bac' | 'pace';

export interface AccessState {
  readonly locked: boolean;
  readonly authentication: Authentication;
  /** What Terminal Authentication opened in this session (absent: nothing). */
  readonly taRights?: { readonly readDg3: boolean; readonly readDg4: boolean };
}

const FID_CARD_ACCESS = 0x011c;
const PUBLIC_FILES: ReadonlySet<number> = new Set([FID_CARD_ACCESS, FID_ATR_INFO]);
// 9303-11 §7.1: the sensitive biometrics are protected by Extended Access Control.
const FID_DG3 = fileByDg(3)!.fid;
const FID_DG4 = fileByDg(4)!.fid;

/** The access rule for one file; undefined = allowed, else the status word to answer. */
export function fileAccess(state: AccessState, fid: number): number | undefined {
  if (!state.locked || PUBLIC_FILES.has(fid)) return undefined;
  if (fid === FID_DG3 || fid === FID_DG4) {
    const open = state.authentication !== 'none' && (fid === FID_DG3 ? state.taRights?.readDg3 : state.taRights?.readDg4) === true;
    return open ? undefined : SW.SECURITY_STATUS_NOT_SATISFIED;
  }
  return state.authentication === 'none' ? SW.SECURITY_STATUS_NOT_SATISFIED : undefined;
}

/** The file-system gate for the current state (select and read follow the same rule). */
export function fileGate(state: AccessState): AccessGate {
  return (fid) => fileAccess(state, fid);
}

/** INTERNAL AUTHENTICATE (9303-11 §6.1): after BAC or PACE once the card is locked. */
export function activeAuthenticationAccess(state: AccessState): number | undefined {
  return state.locked && state.authentication === 'none' ? SW.SECURITY_STATUS_NOT_SATISFIED : undefined;
}

/** Chip Authentication (9303-11 §6.2) replaces session keys, so it needs a session to replace. */
export function chipAuthenticationAccess(state: AccessState): number | undefined {
  return state.authentication === 'none' ? SW.SECURITY_STATUS_NOT_SATISFIED : undefined;
}

/** CREATE FILE, UPDATE BINARY, PUT DATA: only before the lock. */
export function personalizationAccess(state: AccessState): number | undefined {
  return state.locked ? SW.CONDITIONS_OF_USE_NOT_SATISFIED : undefined;
}
