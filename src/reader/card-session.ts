/**
 * The terminal's facade over one chip (the JMRTD PassportService role): `openCard` learns the
 * chip's APDU limits, reads EF.CardAccess in the clear, runs PACE (or BAC), selects the LDS1
 * application under secure messaging, and returns a session that reads files with the largest
 * blocks, runs Active and Chip Authentication, and counts every APDU it sends.
 *
 * Order (ICAO 9303-11 (8th ed.) §4.2, 9303-10 §3.11): EF.ATR/INFO and EF.CardAccess live in the
 * master file and are read before access control; PACE runs there; the application is selected
 * afterwards, under SM. BAC runs inside the application, so it is selected first, in the clear.
 */

import { commandApdu, INS } from '../lds/apdu.js';
import { decodeCardAccess } from '../lds/card-access.js';
import { decodeCom } from '../lds/com.js';
import { decodeDg14 } from '../lds/dg14.js';
import { decodeDg15 } from '../lds/dg15.js';
import { CancuocError, ValidationError } from '../lds/errors.js';
import { fileByName, fileByTag } from '../lds/files.js';
import { mrzInformation } from '../lds/mrz.js';
import { equalBytes } from '../lds/bytes.js';
import type { PacePassword } from '../crypto/pace.js';
import { compressPublicKey, idPiccFromMrz } from '../crypto/terminal-auth.js';
import { performActiveAuth, type ActiveAuthOutcome } from './active-auth.js';
import { performBac, type BacOptions } from './bac.js';
import { chooseChipAuth, performChipAuth, type ChipAuthOutcome, type ChipAuthRunOptions } from './chip-auth.js';
import { choosePace, performPace, type PaceRunOptions } from './pace.js';
import { learnReadLimits, readFile as readEf, SHORT_LIMITS, type ReadLimits } from './read-file.js';
import { CardStatusError, expectSuccess, plainExchange, SecureTransport } from './secure-transport.js';
import { performTerminalAuth, type TerminalAuthOutcome, type TerminalCredentials } from './terminal-auth.js';
import type { Transport } from './transport.js';

/** ICAO 9303-10 §3.11.4: the LDS1 eMRTD application. */
export const LDS1_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01);

/** The access key printed on the document: the CAN, or the MRZ fields (or MRZ_information itself). */
export type AccessKey =
  | { readonly can: string }
  | { readonly documentNumber: string; readonly dateOfBirth: string; readonly dateOfExpiry: string }
  | { readonly mrzInformation: string };

export interface OpenOptions {
  /** 'auto' (default): PACE when EF.CardAccess offers a supported protocol, else BAC (MRZ only). */
  readonly method?: 'auto' | 'pace' | 'bac';
  /** The card's ATR when the transport does not expose one. */
  readonly atr?: Uint8Array;
  /** Injected secrets, only for replaying recorded sessions. */
  readonly pace?: PaceRunOptions;
  readonly bac?: BacOptions;
}

/** What access control ran, for the downgrade check against DG14 (access-policy.ts). */
export interface AccessRun {
  /** The method the caller asked for. */
  readonly requested: 'auto' | 'pace' | 'bac';
  /** The PACE protocol OID and parameter id that ran; undefined after BAC. */
  readonly pace: { readonly protocol: string; readonly parameterId: number } | undefined;
}

/** Traffic so far: APDUs (each command/response pair) and bytes on the wire, both directions. */
export interface TrafficCount {
  readonly apdus: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

/** Counts what goes through a transport; the benchmark reads it. */
class CountingTransport implements Transport {
  apdus = 0;
  bytesSent = 0;
  bytesReceived = 0;

  constructor(readonly inner: Transport) {}

  get maxCommandLength(): number | undefined {
    return this.inner.maxCommandLength;
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    this.apdus++;
    this.bytesSent += apdu.length;
    const response = await this.inner.transmit(apdu);
    this.bytesReceived += response.length;
    return response;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function passwordOf(access: AccessKey): PacePassword {
  if (access === null || typeof access !== 'object') throw new TypeError('"access" expected { can } or the MRZ fields');
  if ('can' in access) return { kind: 'can', can: access.can };
  if ('mrzInformation' in access) return { kind: 'mrz', mrzInformation: access.mrzInformation };
  return { kind: 'mrz', mrzInformation: mrzInformation(access.documentNumber, access.dateOfBirth, access.dateOfExpiry) };
}

function selectApplication(): ReturnType<typeof commandApdu> {
  return commandApdu({ cla: 0, ins: INS.SELECT, p1: 0x04, p2: 0x0c, data: LDS1_AID });
}

/** Opens a secure session with the chip; a wrong CAN or MRZ is a CardStatusError with code ACCESS_DENIED. */
export async function openCard(transport: Transport, access: AccessKey, options: OpenOptions = {}): Promise<CardSession> {
  if (transport === null || typeof transport !== 'object' || typeof transport.transmit !== 'function') {
    throw new TypeError('"transport" expected a Transport');
  }
  const password = passwordOf(access);
  const counter = new CountingTransport(transport);
  const plain = plainExchange(counter);
  const atr = options.atr ?? (transport as { readonly atr?: Uint8Array }).atr;
  const limits = await learnReadLimits(plain, transport, atr !== undefined && atr.length > 1 ? atr : undefined);
  const method = options.method ?? 'auto';

  let cardAccess: Uint8Array | undefined;
  if (method !== 'bac') {
    try {
      cardAccess = await readEf(plain, fileByName('CardAccess')!, { limits: SHORT_LIMITS, access: 'select' });
    } catch (e) {
      if (!(e instanceof CardStatusError) || method === 'pace') throw e;
    }
  }
  const choice = cardAccess === undefined ? undefined : choosePace(decodeCardAccess(cardAccess));
  if (method === 'pace' && choice === undefined) {
    throw new ValidationError('PACE_NOT_SUPPORTED', 'EF.CardAccess offers no PACE protocol this terminal supports', { file: 'CardAccess' });
  }

  const paced = choice !== undefined && method !== 'bac';
  let secure: SecureTransport;
  let idPicc: Uint8Array;
  if (paced) {
    const pace = await performPace(plain, choice, password, options.pace);
    secure = new SecureTransport(counter, { cipher: pace.result.cipher, ksEnc: pace.result.ksEnc, ksMac: pace.result.ksMac });
    idPicc = compressPublicKey(pace.result.protocol.agreement, pace.result.chipEphemeralPublicKey);
    expectSuccess(await secure.exchange(selectApplication()), 'SELECT LDS1 application');
  } else {
    if (password.kind !== 'mrz') {
      throw new ValidationError('BAC_NEEDS_MRZ', 'the chip offers no PACE, and BAC needs the MRZ, not the CAN', { step: 'BAC' });
    }
    expectSuccess(await plain(selectApplication()), 'SELECT LDS1 application');
    const bac = await performBac(plain, password.mrzInformation, options.bac);
    secure = new SecureTransport(counter, bac.session);
    idPicc = idPiccFromMrz(password.mrzInformation);
  }
  const run: AccessRun = Object.freeze({
    requested: method,
    pace: paced ? Object.freeze({ protocol: choice.protocol, parameterId: choice.parameterId }) : undefined,
  });
  return new CardSession(secure, counter, limits, paced ? 'PACE' : 'BAC', cardAccess, run, idPicc);
}

export interface ReadAllResult {
  /** File name → bytes, for every file EF.COM lists that could be read, plus EF.COM and EF.SOD. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Files the chip refused (e.g. DG3 without Terminal Authentication: 69 82). */
  readonly denied: readonly string[];
}

export interface ChipAuthSessionOutcome extends ChipAuthOutcome {
  /** DG1 read again under the new keys, equal to DG1 read before. */
  readonly dg1Reread: true;
}

/** An open, authenticated session with one chip. */
export class CardSession {
  readonly #secure: SecureTransport;
  readonly #counter: CountingTransport;
  readonly #read = new Map<string, Uint8Array>();
  /** Comp(PK~_PCD) of the last Chip Authentication, which Terminal Authentication signs. */
  #caTerminalKey: Uint8Array | undefined;

  /** @internal use openCard */
  constructor(
    secure: SecureTransport,
    counter: CountingTransport,
    /** APDU sizes the chip announced. */
    readonly limits: ReadLimits,
    /** How access was granted. */
    readonly accessControl: 'PACE' | 'BAC',
    /** EF.CardAccess as read before access control (undefined when the chip has none). */
    readonly cardAccess: Uint8Array | undefined,
    /** The method asked for and the PACE parameters used. */
    readonly accessRun: AccessRun,
    /** ID_PICC for Terminal Authentication (document number + check digit, or Comp(PK~_PICC)). */
    readonly idPicc: Uint8Array,
  ) {
    this.#secure = secure;
    this.#counter = counter;
  }

  /** APDUs and bytes so far, from the first command of openCard on. */
  get traffic(): TrafficCount {
    const c = this.#counter;
    return Object.freeze({ apdus: c.apdus, bytesSent: c.bytesSent, bytesReceived: c.bytesReceived });
  }

  /** The session's transport (secure messaging), for commands this facade does not cover. */
  get transport(): Transport {
    return this.#secure;
  }

  /** Reads one LDS file by name (COM, SOD, DG1…DG16) with the largest blocks the chip allows. */
  async readFile(name: string): Promise<Uint8Array> {
    const file = fileByName(name);
    if (file === undefined || name === 'CardAccess') throw new RangeError(`"name" expected COM, SOD or DG1..DG16, got ${String(name)}`);
    const bytes = await readEf(this.#secure.exchange, file, { limits: this.limits, cipher: this.#secure.cipher });
    this.#read.set(name, bytes);
    return bytes;
  }

  /** EF.COM, every data group it lists, and EF.SOD; refused files are listed, not fatal. */
  async readAll(): Promise<ReadAllResult> {
    const files = new Map<string, Uint8Array>();
    const denied: string[] = [];
    const com = decodeCom(await this.readFile('COM'));
    files.set('COM', com.raw);
    const names = [...com.tags.map((t) => fileByTag(t)?.name).filter((n): n is string => n !== undefined && n !== 'COM'), 'SOD'];
    for (const name of names) {
      try {
        files.set(name, await this.readFile(name));
      } catch (e) {
        if (!(e instanceof CardStatusError) || e.code !== 'SECURITY_STATUS_NOT_SATISFIED' || !this.#secure.alive) throw e;
        denied.push(name);
      }
    }
    return Object.freeze({ files, denied: Object.freeze(denied) });
  }

  async #file(name: string): Promise<Uint8Array> {
    return this.#read.get(name) ?? this.readFile(name);
  }

  /** Active Authentication against the DG15 key (the ECDSA hash from DG14 when there is one). */
  async activeAuth(): Promise<ActiveAuthOutcome> {
    const dg15 = decodeDg15(await this.#file('DG15'));
    let dg14;
    try {
      dg14 = decodeDg14(await this.#file('DG14'));
    } catch (e) {
      // Without DG14 an RSA key still works; an ECDSA key then uses the hash that matches its curve.
      if (!(e instanceof CardStatusError) || e.code !== 'FILE_NOT_FOUND') throw e;
    }
    return performActiveAuth(this.#secure.exchange, dg15, { ...(dg14 && { dg14 }), extended: this.limits.extended });
  }

  /** Chip Authentication with the DG14 key, then DG1 read again under the new keys. */
  async chipAuth(options: ChipAuthRunOptions = {}): Promise<ChipAuthSessionOutcome> {
    const choice = chooseChipAuth(decodeDg14(await this.#file('DG14')));
    const before = await this.#file('DG1');
    const outcome = await performChipAuth(this.#secure, choice, options);
    this.#caTerminalKey = compressPublicKey(outcome.protocol.agreement, outcome.ephemeralPublicKey);
    const after = await this.readFile('DG1');
    if (!equalBytes(before, after)) {
      throw new CancuocError('CA_REREAD_MISMATCH', 'DG1 read under the Chip Authentication keys differs from DG1 read before', {
        file: 'DG1',
        step: 'Chip Authentication',
      });
    }
    return Object.freeze({ ...outcome, dg1Reread: true as const });
  }

  /** Terminal Authentication v1 (needs chipAuth first); DG3 / DG4 then read with the rights it opened. */
  async terminalAuth(credentials: TerminalCredentials): Promise<TerminalAuthOutcome> {
    if (this.#caTerminalKey === undefined) {
      throw new ValidationError('TA_NEEDS_CA', 'Terminal Authentication needs Chip Authentication first', { step: 'Terminal Authentication' });
    }
    return performTerminalAuth(this.#secure.exchange, credentials, this.idPicc, this.#caTerminalKey);
  }

  /** Ends secure messaging and releases the transport. */
  close(): Promise<void> {
    return this.#secure.close();
  }
}
