/**
 * The virtual CCCD / eMRTD chip: a CardHandler that answers ISO/IEC 7816-4 APDUs as the LDS1
 * application of ICAO 9303 (8th ed.) does, byte for byte. This module parses the command,
 * handles the class byte and secure messaging, asks access control, and dispatches on INS to
 * the file system and the protocol handlers.
 *
 * Secure messaging (9303-11 §9.8): a protected command that fails to verify (wrong MAC, bad
 * data objects) is answered in plain with 6988 and ends the session. A plain command during a
 * session also ends it — 9303-11 §9.8: the chip aborts SM when an unprotected APDU arrives —
 * and is then executed with the rights of an unauthenticated terminal (a plain READ of DG1
 * gets 6982). Errors of a well-protected command are answered protected.
 *
 * transmit never throws: an internal failure answers 6F00 and ends the session.
 */
import { decodeCommandApdu, encodeResponseApdu, INS, responseApdu, SW, type CommandApdu, type ResponseApdu } from '../lds/apdu.js';
import { abytes } from '../lds/bytes.js';
import { CancuocError } from '../lds/errors.js';
import { fileByDg } from '../lds/files.js';
import { SecureMessaging } from '../crypto/secure-messaging.js';
import { internalAuthenticate } from './aa-handler.js';
import { checksPassword, failureDelayMs, realSleep, SW_AUTHENTICATION_FAILED } from './access-attempts.js';
import {
  activeAuthenticationAccess,
  chipAuthenticationAccess,
  fileGate,
  personalizationAccess,
  type AccessState,
  type Authentication,
} from './access-control.js';
import { chipAtr, MAX_RESPONSE_APDU } from './atr.js';
import { BacHandler } from './bac-handler.js';
import { CaHandler } from './ca-handler.js';
import type { CardHandler } from './card-handler.js';
import { FileSystem } from './filesystem.js';
import { outcome, type ChipRandom, type Outcome, type SessionChange } from './handler-outcome.js';
import { blankImage, imageOf, memoryOf, type ChipImage, type ChipMemory, type ChipPersistence } from './image.js';
import { PaceHandler } from './pace-handler.js';
import { isLock, parseCreateFile, putData } from './perso.js';
import { TaHandler } from './terminal-auth.js';
import { idPiccFromMrz } from '../crypto/terminal-auth.js';

export interface VirtualChipOptions {
  /** Injected randomness (tests replaying worked examples); default: the OS. */
  readonly random?: ChipRandom;
  /** Where the chip's state goes after each personalization command and failed access attempt (see ImageFile). */
  readonly persistence?: ChipPersistence;
  /**
   * Test-only: replaces the real wait (a timer) before a password check after failed attempts,
   * so tests count the delays the chip decides instead of sleeping through them.
   */
  readonly testOnlySleep?: (ms: number) => Promise<void>;
}

// ISO/IEC 7816-4 §5.4.1 class byte: b8 = 0 interindustry, b5 command chaining, b4b3 SM, b2b1 channel.
const CLA_CHAINING = 0x10;
const CLA_SM_MASK = 0x0c;
const CLA_CHANNEL_MASK = 0x03;
// DO'87' header (≤ 5) + padding indicator + up to one block of padding + DO'99' (4) + DO'8E' (10).
const SM_OVERHEAD = 48;
const FID_CARD_ACCESS = 0x011c;
const FID_DG14 = fileByDg(14)!.fid;
const INS_CREATE_FILE = 0xe0;
const INS_PUT_DATA = 0xda;
const INS_UPDATE_BINARY_ODD = 0xd7;
const INS_PSO = 0x2a;

export class VirtualChip implements CardHandler {
  readonly #memory: ChipMemory;
  readonly #fs: FileSystem;
  readonly #bac = new BacHandler();
  readonly #pace = new PaceHandler();
  readonly #ca = new CaHandler();
  readonly #ta = new TaHandler();
  readonly #random: ChipRandom | undefined;
  readonly #persistence: ChipPersistence | undefined;
  readonly #sleep: (ms: number) => Promise<void>;
  #sm: SecureMessaging | undefined;
  #authentication: Authentication = 'none';
  /** ID_PICC of the session, for Terminal Authentication. */
  #idPicc: Uint8Array | undefined;

  constructor(image: ChipImage = blankImage(), options: VirtualChipOptions = {}) {
    if (image === null || typeof image !== 'object' || !(image.files instanceof Map)) throw new TypeError('"image" expected a ChipImage');
    abytes(image.serial, 'image.serial');
    this.#memory = memoryOf(image);
    this.#fs = new FileSystem(this.#memory.files, this.#memory.serial);
    this.#random = options.random;
    this.#persistence = options.persistence;
    this.#sleep = options.testOnlySleep ?? realSleep;
  }

  /** A frozen copy of the chip's whole state, for saving. */
  image(): ChipImage {
    return imageOf(this.#memory);
  }

  get locked(): boolean {
    return this.#memory.locked;
  }

  /** Failed BAC / PACE attempts since the last success, kept in the image. */
  get accessFailures(): number {
    return this.#memory.accessFailures;
  }

  /** The wait the chip has decided for its next password check (access-attempts.ts); 0 after a success. */
  get accessDelayMs(): number {
    return failureDelayMs(this.#memory.accessFailures);
  }

  /** How the current secure-messaging session was opened ('none' without one). */
  get authentication(): Authentication {
    return this.#authentication;
  }

  // ---- CardHandler --------------------------------------------------------------------------

  atr(): Uint8Array {
    return chipAtr();
  }

  powerOn(): void {
    this.#restart();
  }

  /** Power off: volatile state is lost; pending image writes are flushed. */
  powerOff(): void {
    this.#restart();
    this.#persistence?.flush();
  }

  reset(): void {
    this.#restart();
  }

  /** After failed attempts, the wait before BAC's or PACE's password check (access-attempts.ts). */
  delayBefore(apdu: Uint8Array): Promise<void> | undefined {
    const ms = this.accessDelayMs;
    return ms > 0 && apdu instanceof Uint8Array && checksPassword(apdu) ? this.#sleep(ms) : undefined;
  }

  transmit(apdu: Uint8Array): Uint8Array {
    try {
      abytes(apdu, 'apdu');
      return this.#transmit(apdu);
    } catch {
      this.#endSession();
      return encodeResponseApdu(responseApdu(new Uint8Array(0), SW.NO_PRECISE_DIAGNOSIS));
    }
  }

  // ---- class byte and secure messaging ------------------------------------------------------

  #restart(): void {
    this.#endSession();
    this.#fs.reset();
  }

  #endSession(): void {
    this.#sm?.close();
    this.#sm = undefined;
    this.#authentication = 'none';
    this.#idPicc = undefined;
    this.#ta.reset();
    this.#bac.reset();
    this.#pace.reset();
    this.#ca.reset();
  }

  #transmit(apdu: Uint8Array): Uint8Array {
    if (apdu.length < 4) return this.#plainError(SW.WRONG_LENGTH);
    const cla = apdu[0]!;
    if ((cla & 0x80) !== 0 || (cla & 0x60) !== 0) return this.#plainError(SW.CLASS_NOT_SUPPORTED);
    if ((cla & CLA_CHANNEL_MASK) !== 0) return this.#plainError(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
    const sm = cla & CLA_SM_MASK;
    if (sm === CLA_SM_MASK) return this.#protected(apdu);
    if (sm !== 0) return this.#plainError(SW.SECURE_MESSAGING_NOT_SUPPORTED);
    // 9303-11 §9.8: an unprotected command ends the SM session, then runs unauthenticated. A
    // PACE or BAC exchange in progress (itself in plain) goes on.
    if (this.#sm !== undefined) this.#endSession();
    let cmd: CommandApdu;
    try {
      cmd = decodeCommandApdu(apdu);
    } catch {
      return this.#plainError(SW.WRONG_LENGTH);
    }
    const result = this.#dispatch(cmd);
    if (result.session?.kind === 'open') this.#open(result.session);
    return encodeResponseApdu(result.response);
  }

  #plainError(sw: number): Uint8Array {
    this.#endSession();
    return encodeResponseApdu(responseApdu(new Uint8Array(0), sw));
  }

  #protected(apdu: Uint8Array): Uint8Array {
    const sm = this.#sm;
    if (sm === undefined) return this.#plainError(SW.INCORRECT_SM_DATA_OBJECTS);
    let cmd: CommandApdu;
    try {
      cmd = sm.unprotectCommand(apdu);
    } catch (e) {
      // The session closed itself; ISO/IEC 7816-4 §10.2: answer in plain.
      const code = e instanceof CancuocError ? e.code : '';
      return this.#plainError(code === 'SM_APDU_INVALID' ? SW.WRONG_LENGTH : SW.INCORRECT_SM_DATA_OBJECTS);
    }
    const result = this.#dispatch(cmd);
    const bytes = sm.protectResponse(result.response);
    const change = result.session;
    if (change?.kind === 'rekey') {
      this.#sm = new SecureMessaging(change.keys);
      if (change.terminalKey !== undefined && this.#idPicc !== undefined) this.#ta.chipAuthenticated(this.#idPicc, change.terminalKey);
    } else if (change?.kind === 'open') this.#open(change);
    else if (change?.kind === 'close') this.#endSession();
    return bytes;
  }

  #open(change: Extract<SessionChange, { kind: 'open' }>): void {
    this.#sm?.close();
    this.#sm = new SecureMessaging(change.keys);
    this.#authentication = change.via;
    const mrz = this.#memory.mrzInformation;
    this.#idPicc = change.idPicc ?? (change.via === 'bac' && mrz !== undefined ? idPiccFromMrz(mrz) : undefined);
  }

  // ---- dispatch -----------------------------------------------------------------------------

  #access(): AccessState {
    return { locked: this.#memory.locked, authentication: this.#authentication, taRights: this.#ta.rights };
  }

  #dispatch(cmd: CommandApdu): Outcome {
    const chained = (cmd.cla & CLA_CHAINING) !== 0;
    if (chained && cmd.ins !== INS.GENERAL_AUTHENTICATE) return outcome(SW.COMMAND_CHAINING_NOT_SUPPORTED);
    const result = this.#run(cmd, chained);
    const data = result.response.data;
    // Responses other than READ BINARY cannot be cut short: too small an N_e is a wrong length.
    if (cmd.ne !== undefined && data.length > cmd.ne) return outcome(SW.WRONG_LENGTH);
    return result;
  }

  #run(cmd: CommandApdu, chained: boolean): Outcome {
    const access = this.#access();
    const gate = fileGate(access);
    const maxData = MAX_RESPONSE_APDU - 2 - (this.#sm === undefined ? 0 : SM_OVERHEAD);
    switch (cmd.ins) {
      case INS.SELECT:
        return wrap(this.#fs.select(cmd, gate));
      case INS.READ_BINARY:
        return wrap(this.#fs.readBinary(cmd, gate, maxData));
      case INS.READ_BINARY_ODD:
        return wrap(this.#fs.readBinaryOdd(cmd, gate, maxData));
      // Under secure messaging these belong to Terminal Authentication, in plain to BAC.
      case INS.GET_CHALLENGE:
        return this.#sm !== undefined ? this.#ta.getChallenge(cmd, this.#random) : this.#bac.getChallenge(cmd, this.#random);
      case INS.EXTERNAL_AUTHENTICATE:
        // after a secure channel, EXTERNAL AUTHENTICATE is Terminal Authentication; before it, BAC
        return this.#sm !== undefined ? this.#ta.externalAuthenticate(cmd) : this.#counted(this.#bac.externalAuthenticate(cmd, this.#memory.mrzInformation, this.#random));
      case INS_PSO:
        return this.#verifyCertificate(cmd);
      case INS.MANAGE_SECURITY_ENVIRONMENT:
        return this.#manageSecurityEnvironment(cmd);
      case INS.GENERAL_AUTHENTICATE:
        if (this.#pace.active) return this.#counted(this.#pace.generalAuthenticate(cmd, chained, this.#random));
        if (!this.#ca.active) return outcome(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
        return chained ? outcome(SW.COMMAND_CHAINING_NOT_SUPPORTED) : this.#ca.generalAuthenticate(cmd);
      case INS.INTERNAL_AUTHENTICATE: {
        const refused = activeAuthenticationAccess(access);
        if (refused !== undefined) return outcome(refused);
        return internalAuthenticate(cmd, this.#memory.aaKey, this.#memory.files.get(FID_DG14), this.#random);
      }
      case INS_CREATE_FILE:
      case INS.UPDATE_BINARY:
      case INS_UPDATE_BINARY_ODD:
      case INS_PUT_DATA:
        return this.#personalize(cmd, access);
      default:
        return outcome(SW.INSTRUCTION_NOT_SUPPORTED);
    }
  }

  /**
   * Counts a failed password check (6300) and clears the count on success, on disk before the
   * answer leaves: a count that cannot be kept answers 6581 and opens no session.
   */
  #counted(result: Outcome): Outcome {
    const failed = result.response.sw === SW_AUTHENTICATION_FAILED;
    const before = this.#memory.accessFailures;
    if (!failed && (result.session?.kind !== 'open' || before === 0)) return result;
    this.#memory.accessFailures = failed ? before + 1 : 0;
    try {
      this.#persistence?.changed(() => this.image());
      this.#persistence?.flush();
    } catch {
      if (!failed) this.#memory.accessFailures = before;
      return outcome(SW.MEMORY_FAILURE);
    }
    return result;
  }

  /** PSO:Verify Certificate; a moved date or a new trust point is on disk before 9000 goes out. */
  #verifyCertificate(cmd: CommandApdu): Outcome {
    if (this.#sm === undefined) return outcome(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    const { result, memoryChanged } = this.#ta.verifyCertificate(cmd, this.#memory);
    if (memoryChanged && this.#persistence !== undefined) {
      this.#persistence.changed(() => this.image());
      this.#persistence.flush();
    }
    return result;
  }

  /** MSE (ISO/IEC 7816-4 §11.5.11): C1A4 PACE, 41A4 CA Set AT, 41A6 CA Set KAT, 81B6 / 81A4 TA. */
  #manageSecurityEnvironment(cmd: CommandApdu): Outcome {
    const p1p2 = (cmd.p1 << 8) | cmd.p2;
    if (p1p2 === 0x81b6) return this.#sm === undefined ? outcome(SW.CONDITIONS_OF_USE_NOT_SATISFIED) : this.#ta.mseSetDst(cmd, this.#memory);
    if (p1p2 === 0x81a4) return this.#sm === undefined ? outcome(SW.CONDITIONS_OF_USE_NOT_SATISFIED) : this.#ta.mseSetAt(cmd);
    if (p1p2 === 0xc1a4) {
      return this.#pace.mseSetAt(cmd, {
        cardAccess: this.#memory.files.get(FID_CARD_ACCESS),
        mrzInformation: this.#memory.mrzInformation,
        can: this.#memory.can,
      });
    }
    if (p1p2 !== 0x41a4 && p1p2 !== 0x41a6) return outcome(SW.INCORRECT_P1P2);
    const refused = chipAuthenticationAccess(this.#access());
    if (refused !== undefined) return outcome(refused);
    return p1p2 === 0x41a4 ? this.#ca.mseSetAt(cmd, this.#memory.caKeys) : this.#ca.mseSetKat(cmd, this.#memory.caKeys);
  }

  #personalize(cmd: CommandApdu, access: AccessState): Outcome {
    const refused = personalizationAccess(access);
    if (refused !== undefined) return outcome(refused);
    if (cmd.ins === INS_PUT_DATA && isLock(cmd)) return this.#lock();
    let result: Outcome;
    if (cmd.ins === INS_CREATE_FILE) {
      const request = parseCreateFile(cmd);
      result = typeof request === 'number' ? outcome(request) : wrap(this.#fs.createFile(request.fid, request.size));
    } else if (cmd.ins === INS_PUT_DATA) {
      result = putData(cmd, this.#memory);
    } else {
      const gate = fileGate(access);
      result = wrap(cmd.ins === INS.UPDATE_BINARY ? this.#fs.updateBinary(cmd, gate) : this.#fs.updateBinaryOdd(cmd, gate));
    }
    if (result.response.sw === SW.NO_ERROR) this.#persistence?.changed(() => this.image());
    return result;
  }

  /** PUT DATA DE AD: the image is on disk before 9000 goes out; a failed write leaves it unlocked. */
  #lock(): Outcome {
    this.#memory.locked = true;
    if (this.#persistence !== undefined) {
      try {
        this.#persistence.changed(() => this.image());
        this.#persistence.flush();
      } catch {
        this.#memory.locked = false;
        return outcome(SW.MEMORY_FAILURE);
      }
    }
    return outcome(SW.NO_ERROR);
  }
}

function wrap(response: ResponseApdu): Outcome {
  return Object.freeze({ response });
}

