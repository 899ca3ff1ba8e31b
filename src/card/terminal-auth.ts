/**
 * The chip's side of Terminal Authentication version 1 (BSI TR-03110 v1.11, EAC 1; APDUs in
 * src/crypto/terminal-auth.ts), inside the secure-messaging session that Chip Authentication
 * re-keyed. The rules (docs/eac.md):
 *  - a chain starts at a stored trust point (a CVCA certificate, PUT DATA xx 64): MSE:Set DST
 *    names the key that verifies the next certificate, a trust point or a certificate verified
 *    earlier in this session;
 *  - a certificate must be signed by that key, hold an id-IS CHAT of the next role down
 *    (CVCA → link CVCA or DV, DV → terminal), and not have expired at the chip's current date;
 *  - the effective rights are the AND of every CHAT from the trust point down;
 *  - the current date moves forward to the effective date of a valid CVCA link, domestic DV or
 *    domestic IS certificate, never from a foreign DV's chain; a link certificate becomes a trust
 *    point;
 *  - without Chip Authentication first every TA command answers 6985; a wrong terminal signature
 *    ends the session; DG3 / DG4 open only after TA, with the right bit.
 */
import { randomBytes } from 'node:crypto';
import { SW, type CommandApdu } from '../lds/apdu.js';
import { CVC_OID, decodeCvCertificate, type CvCertificate, type CvPublicKey, type CvRole } from '../lds/cvc.js';
import { CancuocError } from '../lds/errors.js';
import { cvKeyDomain, cvVerify } from '../crypto/cv-certificates.js';
import type { EcDomain } from '../crypto/curves.js';
import { decodeKeyReference, decodePsoVerifyData, taSignedData, TA_CHALLENGE_LENGTH } from '../crypto/terminal-auth.js';
import { draw, outcome, type ChipRandom, type Outcome } from './handler-outcome.js';
import type { ChipMemory } from './image.js';

/** What TA has opened: read access to DG3 and DG4 (TR-03110-3 annex C, id-IS). */
export interface TaRights {
  readonly readDg3: boolean;
  readonly readDg4: boolean;
}

export const NO_RIGHTS: TaRights = Object.freeze({ readDg3: false, readDg4: false });

/** A public key the chip has accepted: a trust point, or a certificate verified in this session. */
interface Accepted {
  readonly chr: string;
  readonly role: CvRole;
  readonly key: CvPublicKey;
  readonly domain: EcDomain | undefined;
  readonly rights: TaRights;
  /** Some certificate above this one is a foreign DV. */
  readonly foreign: boolean;
}

const NEXT_ROLES: Readonly<Record<CvRole, readonly CvRole[]>> = Object.freeze({
  cvca: ['cvca', 'dv-domestic', 'dv-foreign'],
  'dv-domestic': ['terminal'],
  'dv-foreign': ['terminal'],
  terminal: [],
});
const FIRST_TRUST_SLOT = 1;

export class TaHandler {
  /** Set by Chip Authentication: ID_PICC and Comp(PK~_PCD). */
  #ca: { readonly idPicc: Uint8Array; readonly terminalKey: Uint8Array } | undefined;
  #selected: Accepted | undefined;
  readonly #verified = new Map<string, Accepted>();
  #terminal: Accepted | undefined;
  #challenge: Uint8Array | undefined;
  #rights: TaRights = NO_RIGHTS;

  reset(): void {
    this.#ca = undefined;
    this.#selected = undefined;
    this.#verified.clear();
    this.#terminal = undefined;
    this.#challenge = undefined;
    this.#rights = NO_RIGHTS;
  }

  /** The rights TA has opened in this session (none before TA). */
  get rights(): TaRights {
    return this.#rights;
  }

  /** Chip Authentication succeeded: TA may start, bound to this CA key. */
  chipAuthenticated(idPicc: Uint8Array, compressedTerminalKey: Uint8Array): void {
    this.reset();
    this.#ca = Object.freeze({ idPicc, terminalKey: compressedTerminalKey });
  }

  /** MSE:Set DST (0C 22 81 B6, 83 CAR): the key that verifies the next certificate. */
  mseSetDst(cmd: CommandApdu, memory: ChipMemory): Outcome {
    if (this.#ca === undefined) return outcome(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    this.#selected = undefined;
    const car = decodeKeyReference(cmd.data);
    if (car === undefined) return outcome(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
    const found = this.#verified.get(car) ?? trustPoints(memory).find((t) => t.chr === car);
    if (found === undefined) return outcome(SW.REFERENCED_DATA_NOT_FOUND);
    this.#selected = found;
    return outcome(SW.NO_ERROR);
  }

  /** PSO:Verify Certificate (0C 2A 00 BE): checks one certificate under the selected key. */
  verifyCertificate(cmd: CommandApdu, memory: ChipMemory): { readonly result: Outcome; readonly memoryChanged: boolean } {
    const refused = (sw: number): { result: Outcome; memoryChanged: boolean } => ({ result: outcome(sw), memoryChanged: false });
    if (this.#ca === undefined) return refused(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    if (cmd.p1 !== 0x00 || cmd.p2 !== 0xbe) return refused(SW.INCORRECT_P1P2);
    const issuer = this.#selected;
    this.#selected = undefined;
    if (issuer === undefined) return refused(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    let cert: CvCertificate;
    let domain: EcDomain | undefined;
    try {
      cert = decodePsoVerifyData(cmd.data);
      domain = cvKeyDomain(cert.publicKey, issuer.domain);
    } catch (e) {
      if (e instanceof CancuocError) return refused(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
      throw e;
    }
    const today = memory.currentDate;
    const fits =
      cert.car === issuer.chr &&
      cert.chat.oid === CVC_OID.idIS &&
      NEXT_ROLES[issuer.role].includes(cert.chat.role) &&
      (today === undefined || cert.expirationDate >= today);
    if (!fits || !cvVerify(issuer.key, issuer.domain, cert.body, cert.signature)) return refused(SW.WARNING_NVM_CHANGED);
    const foreign = issuer.foreign || cert.chat.role === 'dv-foreign';
    const accepted: Accepted = Object.freeze({
      chr: cert.chr,
      role: cert.chat.role,
      key: cert.publicKey,
      domain,
      rights: Object.freeze({ readDg3: issuer.rights.readDg3 && cert.chat.readDg3, readDg4: issuer.rights.readDg4 && cert.chat.readDg4 }),
      foreign,
    });
    this.#verified.set(cert.chr, accepted);
    let memoryChanged = false;
    if (!foreign && (today === undefined || cert.effectiveDate > today)) {
      memory.currentDate = cert.effectiveDate;
      memoryChanged = true;
    }
    if (cert.chat.role === 'cvca') {
      // A link certificate: the new CVCA key becomes a trust point beside the old one.
      const slot = Math.max(FIRST_TRUST_SLOT - 1, ...memory.cvca.map((c) => c.slot)) + 1;
      if (slot <= 0xff && !trustPoints(memory).some((t) => t.chr === cert.chr)) {
        memory.cvca = [...memory.cvca, Object.freeze({ slot, body: cert.raw.slice() })];
        memoryChanged = true;
      }
    }
    return { result: outcome(SW.NO_ERROR), memoryChanged };
  }

  /** MSE:Set AT (0C 22 81 A4, 83 CHR): the terminal whose key signs the challenge. */
  mseSetAt(cmd: CommandApdu): Outcome {
    if (this.#ca === undefined) return outcome(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    this.#terminal = undefined;
    const chr = decodeKeyReference(cmd.data);
    if (chr === undefined) return outcome(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
    const terminal = this.#verified.get(chr);
    if (terminal === undefined || terminal.role !== 'terminal') return outcome(SW.REFERENCED_DATA_NOT_FOUND);
    this.#terminal = terminal;
    return outcome(SW.NO_ERROR);
  }

  /** GET CHALLENGE: r_PICC, 8 bytes. */
  getChallenge(cmd: CommandApdu, random: ChipRandom | undefined): Outcome {
    if (this.#ca === undefined || this.#terminal === undefined) return outcome(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return outcome(SW.INCORRECT_P1P2);
    if (cmd.ne !== TA_CHALLENGE_LENGTH) return outcome(SW.WRONG_LENGTH);
    this.#challenge = draw(random, 'challenge', TA_CHALLENGE_LENGTH, (n) => new Uint8Array(randomBytes(n)));
    return outcome(SW.NO_ERROR, this.#challenge.slice());
  }

  /**
   * EXTERNAL AUTHENTICATE with s_PCD. Success opens the terminal's effective rights; a wrong
   * signature answers 6300 and ends the session.
   */
  externalAuthenticate(cmd: CommandApdu): Outcome {
    const ca = this.#ca;
    const terminal = this.#terminal;
    const challenge = this.#challenge;
    this.#challenge = undefined;
    if (ca === undefined || terminal === undefined || challenge === undefined) return outcome(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return outcome(SW.INCORRECT_P1P2);
    const signed = taSignedData(ca.idPicc, challenge, ca.terminalKey);
    if (!cvVerify(terminal.key, terminal.domain, signed, cmd.data)) {
      return outcome(SW.WARNING_NVM_CHANGED, new Uint8Array(0), { kind: 'close' });
    }
    this.#rights = terminal.rights;
    return outcome(SW.NO_ERROR);
  }
}

/** The stored CVCA certificates that parse, as accepted keys with their full rights. */
function trustPoints(memory: ChipMemory): Accepted[] {
  const out: Accepted[] = [];
  for (const c of memory.cvca) {
    try {
      const cert = decodeCvCertificate(c.body);
      if (cert.chat.role !== 'cvca') continue;
      out.push({
        chr: cert.chr,
        role: 'cvca',
        key: cert.publicKey,
        domain: cvKeyDomain(cert.publicKey, undefined),
        rights: Object.freeze({ readDg3: cert.chat.readDg3, readDg4: cert.chat.readDg4 }),
        foreign: false,
      });
    } catch (e) {
      if (!(e instanceof CancuocError)) throw e;
    }
  }
  return out;
}
