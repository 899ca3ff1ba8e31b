/**
 * Secure messaging, ICAO 9303-11 (8th ed.) §9.8 on ISO/IEC 7816-4 §10: both sides of one
 * session. The terminal protects commands and unprotects responses; the chip does the reverse.
 *
 * Command:  CLA' INS P1 P2 Lc [DO'85'|DO'87'] [DO'97'] DO'8E' Le   (CLA' = CLA | 0C)
 * Response: [DO'85'|DO'87'] DO'99' DO'8E' SW1 SW2
 *
 * The MAC is always checked first and in constant time, and nothing is decrypted before it
 * verifies. Any failure kills the session: every later call throws SM_SESSION_CLOSED.
 */
import { abytes, concat, uintBE } from '../lds/bytes.js';
import { CancuocError, ParseError } from '../lds/errors.js';
import { readTlv, encodeTlv, tagHex, type Tlv } from '../lds/tlv.js';
import {
  commandApdu,
  decodeCommandApdu,
  responseApdu,
  swHex,
  type CommandApdu,
  type ResponseApdu,
} from '../lds/apdu.js';
import { blockSize, decryptCbc, encryptBlock, encryptCbc, keyLength, padM2, unpadM2, type CipherName } from './cipher.js';
import { constantTimeEqual } from './constant-time.js';
import { smMac } from './mac.js';

/** A protected APDU that failed to verify or decode. Codes: SM_MAC_MISSING, SM_MAC_INVALID,
 * SM_DO_INVALID, SM_PADDING_INVALID, SM_NOT_PROTECTED, SM_APDU_INVALID, SM_SESSION_CLOSED. */
export class SecureMessagingError extends ParseError {}

export interface SecureMessagingKeys {
  readonly cipher: CipherName;
  readonly ksEnc: Uint8Array;
  readonly ksMac: Uint8Array;
  /** Send sequence counter, one cipher block (§9.8.2); defaults to zero (after PACE or CA). */
  readonly ssc?: Uint8Array;
}

const DO_ENC_ODD = 0x85;
const DO_ENC = 0x87;
const DO_LE = 0x97;
const DO_STATUS = 0x99;
const DO_MAC = 0x8e;
const MAC_LENGTH = 8;
// §9.8.6: DO'87' starts with the padding-content indicator 01 = "padded with ISO/IEC 9797-1 method 2".
const PADDING_INDICATOR = 0x01;
// ISO/IEC 7816-4 §5.4.1: CLA b4b3 = 11, "SM, command header authenticated".
const CLA_SM = 0x0c;

type Phase = 'idle' | 'terminal-sent' | 'chip-received';

export class SecureMessaging {
  readonly cipher: CipherName;
  readonly #ksEnc: Uint8Array;
  readonly #ksMac: Uint8Array;
  readonly #ssc: Uint8Array;
  readonly #block: number;
  #alive = true;
  #phase: Phase = 'idle';
  #lastIns = 0;

  constructor(keys: SecureMessagingKeys) {
    if (keys === null || typeof keys !== 'object') throw new TypeError('"keys" expected an object');
    this.cipher = keys.cipher;
    this.#block = blockSize(keys.cipher);
    this.#ksEnc = abytes(keys.ksEnc, 'ksEnc', keyLength(keys.cipher)).slice();
    this.#ksMac = abytes(keys.ksMac, 'ksMac', keyLength(keys.cipher)).slice();
    this.#ssc = keys.ssc === undefined ? new Uint8Array(this.#block) : abytes(keys.ssc, 'ssc', this.#block).slice();
  }

  /** The current send sequence counter (a copy). */
  get ssc(): Uint8Array {
    return this.#ssc.slice();
  }

  /** False once a check failed or close() was called. */
  get alive(): boolean {
    return this.#alive;
  }

  /** Ends the session and wipes the keys. */
  close(): void {
    this.#alive = false;
    this.#ksEnc.fill(0);
    this.#ksMac.fill(0);
  }

  toString(): string {
    return `SecureMessaging(${this.cipher}${this.#alive ? '' : ', closed'})`;
  }

  toJSON(): { cipher: CipherName; alive: boolean } {
    return { cipher: this.cipher, alive: this.#alive };
  }

  // ---- terminal side ------------------------------------------------------------------------

  /** §9.8.4–§9.8.6: wraps a plain command; SSC is incremented first. */
  protectCommand(cmd: CommandApdu): CommandApdu {
    this.#expect('idle');
    const plain = commandApdu(cmd);
    if ((plain.cla & CLA_SM) !== 0) throw new RangeError(`"cmd.cla" already has the SM bits set: ${plain.cla}`);
    this.#phase = 'terminal-sent';
    this.#increment();
    const cla = plain.cla | CLA_SM;
    const header = Uint8Array.of(cla, plain.ins, plain.p1, plain.p2);
    const dos: Uint8Array[] = [];
    if (plain.data.length > 0) dos.push(this.#encryptDo(plain.ins, plain.data));
    const longLe = plain.ne !== undefined && (plain.ne > 256 || plain.extended);
    if (plain.ne !== undefined) dos.push(encodeTlv(DO_LE, uintBE(plain.ne % (longLe ? 65536 : 256), longLe ? 2 : 1)));
    const macInput = concat(padM2(header, this.#block), ...dos);
    const body = concat(...dos, encodeTlv(DO_MAC, this.#mac(macInput)));
    // §9.8.4: the protected command always carries Le = 00 (0000 when extended).
    return commandApdu({
      cla,
      ins: plain.ins,
      p1: plain.p1,
      p2: plain.p2,
      data: body,
      ne: longLe || body.length > 255 ? 65536 : 256,
      extended: longLe,
    });
  }

  /** §9.8.5: checks DO'8E' over SSC‖DOs (constant time) before decrypting anything. */
  unprotectResponse(bytes: Uint8Array): ResponseApdu {
    abytes(bytes, 'bytes');
    this.#expect('terminal-sent');
    this.#phase = 'idle';
    return this.#guard(() => {
      this.#increment();
      if (bytes.length < 2) throw smError('SM_MAC_INVALID', 'response shorter than its status word', 0, 'SW1-SW2');
      const body = bytes.subarray(0, bytes.length - 2);
      const trailer = (bytes[bytes.length - 2]! << 8) | bytes[bytes.length - 1]!;
      if (body.length === 0) {
        // ISO/IEC 7816-4 §10.2: a card that rejects SM data objects answers with a plain SW (6987/6988)
        // and leaves secure messaging; nothing in such an answer is authenticated.
        throw new SecureMessagingError('SM_MAC_MISSING', 'response without secure messaging', { sw: trailer });
      }
      const dos = this.#verify(new Uint8Array(0), body);
      checkOrder(dos, [[DO_ENC, DO_ENC_ODD], [DO_STATUS]], true);
      const status = dos[dos.length - 1]!;
      if (status.value.length !== 2) throw smError('SM_DO_INVALID', "DO'99' must hold 2 bytes", status.offset, 'DO99');
      const sw = (status.value[0]! << 8) | status.value[1]!;
      // The trailer outside DO'8E' is unauthenticated; a mismatch is an integrity failure like a bad MAC.
      if (sw !== trailer) {
        const why = `plain status word ${swHex(trailer)} differs from the authenticated DO'99'`;
        throw smError('SM_MAC_INVALID', why, body.length, 'SW1-SW2');
      }
      return responseApdu(this.#decryptDo(dos), sw);
    });
  }

  // ---- chip side ----------------------------------------------------------------------------

  /**
   * The chip's half of §9.8.4: verifies and decrypts a protected command. The wire Le is outside
   * the MAC and ignored; N_e comes from the authenticated DO'97'.
   */
  unprotectCommand(bytes: Uint8Array): CommandApdu {
    abytes(bytes, 'bytes');
    this.#expect('idle');
    this.#phase = 'chip-received';
    return this.#guard(() => {
      this.#increment();
      let wire: CommandApdu;
      try {
        wire = decodeCommandApdu(bytes);
      } catch (e) {
        throw new SecureMessagingError('SM_APDU_INVALID', 'protected command is not a valid APDU', {}, { cause: e });
      }
      if ((wire.cla & CLA_SM) !== CLA_SM) {
        throw smError('SM_NOT_PROTECTED', 'command without secure messaging (CLA b4b3 != 11)', 0, 'CLA');
      }
      const header = Uint8Array.of(wire.cla, wire.ins, wire.p1, wire.p2);
      const dos = this.#verify(padM2(header, this.#block), wire.data);
      const odd = (wire.ins & 1) === 1;
      checkOrder(dos, [[odd ? DO_ENC_ODD : DO_ENC], [DO_LE]], false);
      const le = dos.find((d) => d.tag === DO_LE);
      if (le !== undefined && le.value.length !== 1 && le.value.length !== 2) {
        throw smError('SM_DO_INVALID', "DO'97' must hold 1 or 2 bytes", le.offset, 'DO97');
      }
      const ne = le === undefined ? undefined : decodeNe(le.value);
      this.#lastIns = wire.ins;
      return commandApdu({
        cla: wire.cla & ~CLA_SM,
        ins: wire.ins,
        p1: wire.p1,
        p2: wire.p2,
        data: this.#decryptDo(dos),
        ...(ne === undefined ? {} : { ne }),
        extended: le !== undefined && le.value.length === 2,
      });
    });
  }

  /** The chip's half of §9.8.5: DO'87' (DO'85' after an odd INS), DO'99', DO'8E', SW. */
  protectResponse(resp: ResponseApdu): Uint8Array {
    this.#expect('chip-received');
    const plain = responseApdu(resp.data, resp.sw);
    this.#phase = 'idle';
    this.#increment();
    const dos: Uint8Array[] = [];
    if (plain.data.length > 0) dos.push(this.#encryptDo(this.#lastIns, plain.data));
    dos.push(encodeTlv(DO_STATUS, uintBE(plain.sw, 2)));
    return concat(...dos, encodeTlv(DO_MAC, this.#mac(concat(...dos))), uintBE(plain.sw, 2));
  }

  // ---- shared steps -------------------------------------------------------------------------

  /** Closed sessions refuse everything; commands and responses must alternate. */
  #expect(phase: Phase): void {
    if (!this.#alive) throw new SecureMessagingError('SM_SESSION_CLOSED', 'secure messaging session is closed');
    if (this.#phase !== phase) throw new RangeError(`secure messaging call out of order (state ${this.#phase})`);
  }

  #guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      this.close();
      if (e instanceof SecureMessagingError) throw e;
      const inner = e instanceof CancuocError ? e.code : 'INTERNAL';
      throw new SecureMessagingError('SM_DO_INVALID', `secure messaging data objects malformed (${inner})`, {}, { cause: e });
    }
  }

  /** §9.8.2: SSC is a big-endian counter incremented before every command and every response. */
  #increment(): void {
    for (let i = this.#ssc.length - 1; i >= 0; i--) {
      this.#ssc[i] = (this.#ssc[i]! + 1) & 0xff;
      if (this.#ssc[i] !== 0) break;
    }
  }

  /** §9.8.6.1: 3DES uses IV = 0, AES uses IV = E(KSenc, SSC). */
  #iv(): Uint8Array {
    return this.cipher === '3DES' ? new Uint8Array(8) : encryptBlock(this.cipher, this.#ksEnc, this.#ssc);
  }

  /** §9.8.6.2 / §9.8.7.2: MAC over pad(SSC‖input). The retail MAC pads inside; CMAC needs it done here. */
  #mac(input: Uint8Array): Uint8Array {
    const data = concat(this.#ssc, input);
    return smMac(this.cipher, this.#ksMac, this.cipher === '3DES' ? data : padM2(data, this.#block));
  }

  #encryptDo(ins: number, data: Uint8Array): Uint8Array {
    const cryptogram = encryptCbc(this.cipher, this.#ksEnc, this.#iv(), padM2(data, this.#block));
    // §9.8.4: odd INS (BER-TLV data) use DO'85' without the padding-content indicator.
    return (ins & 1) === 1
      ? encodeTlv(DO_ENC_ODD, cryptogram)
      : encodeTlv(DO_ENC, Uint8Array.of(PADDING_INDICATOR), cryptogram);
  }

  /**
   * Splits `body` into data objects, requires DO'8E' (8 bytes) last and checks it over
   * `prefix`‖(everything before DO'8E'). Anything that keeps the MAC from verifying —
   * unreadable TLV, DO'8E' absent or misplaced, wrong MAC — is SM_MAC_INVALID.
   */
  #verify(prefix: Uint8Array, body: Uint8Array): Tlv[] {
    const dos: Tlv[] = [];
    try {
      for (let at = 0; at < body.length; at += dos[dos.length - 1]!.raw.length) dos.push(readTlv(body, at, 'lenient'));
    } catch (e) {
      throw new SecureMessagingError('SM_MAC_INVALID', 'data objects unreadable, no MAC to check', {}, { cause: e });
    }
    const mac = dos.pop();
    if (mac === undefined || mac.tag !== DO_MAC || mac.value.length !== MAC_LENGTH) {
      throw smError('SM_MAC_INVALID', "DO'8E' with an 8-byte MAC must come last", mac?.offset ?? 0, 'DO8E');
    }
    const expected = this.#mac(concat(prefix, body.subarray(0, mac.offset)));
    if (!constantTimeEqual(expected, mac.value)) throw smError('SM_MAC_INVALID', "DO'8E' does not verify", mac.offset, 'DO8E');
    return dos;
  }

  /** Decrypts DO'87' / DO'85' (after the MAC verified); empty when neither is present. */
  #decryptDo(dos: readonly Tlv[]): Uint8Array {
    const enc = dos.find((d) => d.tag === DO_ENC || d.tag === DO_ENC_ODD);
    if (enc === undefined) return new Uint8Array(0);
    let cryptogram = enc.value;
    if (enc.tag === DO_ENC) {
      if (cryptogram[0] !== PADDING_INDICATOR) {
        throw smError('SM_DO_INVALID', "DO'87' padding-content indicator is not 01", enc.valueOffset, 'DO87');
      }
      cryptogram = cryptogram.subarray(1);
    }
    if (cryptogram.length === 0 || cryptogram.length % this.#block !== 0) {
      throw smError('SM_DO_INVALID', `cryptogram of ${cryptogram.length} bytes is not whole blocks`, enc.offset, tagHex(enc.tag));
    }
    const padded = decryptCbc(this.cipher, this.#ksEnc, this.#iv(), cryptogram);
    try {
      return unpadM2(padded, this.#block);
    } catch (e) {
      throw new SecureMessagingError('SM_PADDING_INVALID', 'decrypted data has bad padding', { offset: enc.offset }, { cause: e });
    }
  }
}

function smError(code: string, message: string, offset: number, field: string): SecureMessagingError {
  return new SecureMessagingError(code, message, { offset, field });
}

/**
 * Data objects before DO'8E' must appear at most once each, in the order of `slots` (each slot
 * lists the tags allowed there); `lastRequired` makes the final slot mandatory (DO'99').
 */
function checkOrder(dos: readonly Tlv[], slots: readonly (readonly number[])[], lastRequired: boolean): void {
  let slot = 0;
  for (const d of dos) {
    while (slot < slots.length && !slots[slot]!.includes(d.tag)) slot++;
    if (slot === slots.length) {
      throw smError('SM_DO_INVALID', `unexpected or repeated data object ${tagHex(d.tag)}`, d.offset, `DO${tagHex(d.tag)}`);
    }
    slot++;
  }
  if (lastRequired && !dos.some((d) => slots[slots.length - 1]!.includes(d.tag))) {
    throw smError('SM_DO_INVALID', 'required data object missing', 0, 'DO99');
  }
}

/** DO'97' holds Le: one byte (00 = 256) or two (0000 = 65536), ISO/IEC 7816-4 §10.3.2. */
function decodeNe(value: Uint8Array): number {
  if (value.length === 1) return value[0] === 0 ? 256 : value[0]!;
  const n = (value[0]! << 8) | value[1]!;
  return n === 0 ? 65536 : n;
}
