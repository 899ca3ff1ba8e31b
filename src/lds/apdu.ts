/**
 * Command and response APDUs, ISO/IEC 7816-4:2020 §5.1 (cases 1, 2, 3, 4 in short and extended
 * form) and the status words of §5.6. Pure encode/decode: the transport lives in src/reader.
 */
import { abytes, concat, readUintBE } from './bytes.js';
import { ParseError } from './errors.js';

export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** Command data field (N_c bytes, may be empty). */
  readonly data: Uint8Array;
  /** N_e, the maximum number of response bytes expected; undefined = no Le field. 256 / 65536 = "00" / "0000". */
  readonly ne: number | undefined;
  /** Extended length fields (§5.1: cases 2E, 3E, 4E), forced when N_c > 255 or N_e > 256. */
  readonly extended: boolean;
}

export interface ResponseApdu {
  readonly data: Uint8Array;
  /** SW1‖SW2 as one number, e.g. 0x9000. */
  readonly sw: number;
}

export interface CommandFields {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly data?: Uint8Array;
  readonly ne?: number;
  readonly extended?: boolean;
}

const MAX_SHORT_NC = 255;
const MAX_SHORT_NE = 256;
const MAX_EXTENDED_NC = 65535;
const MAX_EXTENDED_NE = 65536;

function abyte(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new RangeError(`"${name}" expected a byte 0..255, got ${String(value)}`);
  }
  return value;
}

/** Builds a frozen command APDU; the extended flag is set automatically when the lengths need it. */
export function commandApdu(fields: CommandFields): CommandApdu {
  if (fields === null || typeof fields !== 'object') throw new TypeError('"fields" expected an object');
  const data = fields.data === undefined ? new Uint8Array(0) : abytes(fields.data, 'data');
  const ne = fields.ne;
  if (ne !== undefined && (!Number.isInteger(ne) || ne < 1 || ne > MAX_EXTENDED_NE)) {
    throw new RangeError(`"ne" expected 1..65536 or undefined, got ${String(ne)}`);
  }
  if (data.length > MAX_EXTENDED_NC) throw new RangeError(`"data" expected at most 65535 bytes, got ${data.length}`);
  const needsExtended = data.length > MAX_SHORT_NC || (ne !== undefined && ne > MAX_SHORT_NE);
  return Object.freeze({
    cla: abyte(fields.cla, 'cla'),
    ins: abyte(fields.ins, 'ins'),
    p1: abyte(fields.p1, 'p1'),
    p2: abyte(fields.p2, 'p2'),
    data,
    ne,
    extended: needsExtended || fields.extended === true,
  });
}

/** §5.1: Lc and Le in one byte (short) or, after a 00 marker, in two bytes (extended); 00 / 0000 in Le mean 256 / 65536. */
export function encodeCommandApdu(apdu: CommandApdu): Uint8Array {
  const c = commandApdu(apdu);
  const header = Uint8Array.of(c.cla, c.ins, c.p1, c.p2);
  const nc = c.data.length;
  if (nc === 0 && c.ne === undefined) return header; // case 1
  if (!c.extended) {
    const lc = nc > 0 ? Uint8Array.of(nc) : new Uint8Array(0);
    const le = c.ne !== undefined ? Uint8Array.of(c.ne % 256) : new Uint8Array(0);
    return concat(header, lc, c.data, le);
  }
  const lc = nc > 0 ? Uint8Array.of(0x00, nc >> 8, nc & 0xff) : new Uint8Array(0);
  const neBytes = c.ne !== undefined ? Uint8Array.of((c.ne >> 8) & 0xff, c.ne & 0xff) : new Uint8Array(0);
  // Case 2E carries the 00 marker in front of Le; in case 4E the marker is already in Lc.
  const le = c.ne !== undefined && nc === 0 ? concat(Uint8Array.of(0x00), neBytes) : neBytes;
  return concat(header, lc, c.data, le);
}

function lengthError(message: string, offset: number, field: string): ParseError {
  return new ParseError('APDU_LENGTH_INVALID', message, { offset, field });
}

/** Parses a command APDU; every inconsistent length is a ParseError with the offset of the bad field. */
export function decodeCommandApdu(bytes: Uint8Array): CommandApdu {
  abytes(bytes, 'bytes');
  if (bytes.length < 4) {
    throw new ParseError('APDU_TRUNCATED', `command APDU of ${bytes.length} bytes, header needs 4`, {
      offset: bytes.length,
      field: 'header',
    });
  }
  const [cla, ins, p1, p2] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  const make = (data: Uint8Array, ne: number | undefined, extended: boolean): CommandApdu =>
    Object.freeze({ cla, ins, p1, p2, data: data.slice(), ne, extended });
  const body = bytes.length - 4;
  if (body === 0) return make(new Uint8Array(0), undefined, false); // case 1
  const b0 = bytes[4]!;
  if (body === 1) return make(new Uint8Array(0), b0 === 0 ? 256 : b0, false); // case 2S
  if (b0 !== 0) {
    // cases 3S and 4S: Lc = b0 in 1..255
    if (body === 1 + b0) return make(bytes.subarray(5), undefined, false);
    if (body === 2 + b0) {
      const le = bytes[5 + b0]!;
      return make(bytes.subarray(5, 5 + b0), le === 0 ? 256 : le, false);
    }
    throw lengthError(`Lc ${b0} does not match ${body - 1} byte(s) after it`, 4, 'Lc');
  }
  if (body === 3) {
    const le = readUintBE(bytes, 5, 2);
    return make(new Uint8Array(0), le === 0 ? 65536 : le, true); // case 2E
  }
  if (body < 3) throw lengthError(`extended length marker followed by ${body - 1} byte(s)`, 4, 'Lc');
  const nc = readUintBE(bytes, 5, 2);
  if (nc === 0) throw lengthError('extended Lc of 0', 5, 'Lc');
  if (body === 3 + nc) return make(bytes.subarray(7), undefined, true); // case 3E
  if (body === 5 + nc) {
    const le = readUintBE(bytes, 7 + nc, 2);
    return make(bytes.subarray(7, 7 + nc), le === 0 ? 65536 : le, true); // case 4E
  }
  throw lengthError(`extended Lc ${nc} does not match ${body - 3} byte(s) after it`, 5, 'Lc');
}

/** Builds a frozen response APDU. */
export function responseApdu(data: Uint8Array, sw: number): ResponseApdu {
  abytes(data, 'data');
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) throw new RangeError(`"sw" expected 0..0xFFFF, got ${String(sw)}`);
  return Object.freeze({ data, sw });
}

export function encodeResponseApdu(resp: ResponseApdu): Uint8Array {
  const r = responseApdu(resp.data, resp.sw);
  return concat(r.data, Uint8Array.of(r.sw >> 8, r.sw & 0xff));
}

/** Splits a response into data and SW1‖SW2 (§5.1: the trailer is always the last two bytes). */
export function decodeResponseApdu(bytes: Uint8Array): ResponseApdu {
  abytes(bytes, 'bytes');
  if (bytes.length < 2) {
    throw new ParseError('APDU_TRUNCATED', `response APDU of ${bytes.length} byte(s), trailer needs 2`, {
      offset: bytes.length,
      field: 'SW1-SW2',
    });
  }
  const n = bytes.length - 2;
  return Object.freeze({ data: bytes.slice(0, n), sw: readUintBE(bytes, n, 2) });
}

/** Status words, named as ISO/IEC 7816-4:2020 §5.6 Tables 5–6 describe them. */
export const SW = Object.freeze({
  NO_ERROR: 0x9000,
  // 62xx / 63xx warnings
  WARNING_NO_INFORMATION: 0x6200,
  END_OF_FILE_REACHED: 0x6282,
  WARNING_NVM_CHANGED: 0x6300,
  // 64xx–6Fxx errors
  EXECUTION_ERROR: 0x6400,
  MEMORY_FAILURE: 0x6581,
  WRONG_LENGTH: 0x6700,
  LOGICAL_CHANNEL_NOT_SUPPORTED: 0x6881,
  SECURE_MESSAGING_NOT_SUPPORTED: 0x6882,
  LAST_COMMAND_OF_CHAIN_EXPECTED: 0x6883,
  COMMAND_CHAINING_NOT_SUPPORTED: 0x6884,
  COMMAND_NOT_ALLOWED: 0x6900,
  COMMAND_INCOMPATIBLE_WITH_FILE_STRUCTURE: 0x6981,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTHENTICATION_METHOD_BLOCKED: 0x6983,
  REFERENCE_DATA_NOT_USABLE: 0x6984,
  CONDITIONS_OF_USE_NOT_SATISFIED: 0x6985,
  COMMAND_NOT_ALLOWED_NO_CURRENT_EF: 0x6986,
  EXPECTED_SM_DATA_OBJECTS_MISSING: 0x6987,
  INCORRECT_SM_DATA_OBJECTS: 0x6988,
  WRONG_PARAMETERS_NO_INFORMATION: 0x6a00,
  INCORRECT_PARAMETERS_IN_DATA_FIELD: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_OR_APPLICATION_NOT_FOUND: 0x6a82,
  RECORD_NOT_FOUND: 0x6a83,
  NOT_ENOUGH_MEMORY_SPACE: 0x6a84,
  NC_INCONSISTENT_WITH_P1P2: 0x6a87,
  INCORRECT_P1P2: 0x6a86,
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  WRONG_PARAMETERS_P1P2: 0x6b00,
  INSTRUCTION_NOT_SUPPORTED: 0x6d00,
  CLASS_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
});

/** Instruction bytes used by ICAO 9303 (9303-10 §3.10, 9303-11 §4–§6, §9.8). */
export const INS = Object.freeze({
  MANAGE_SECURITY_ENVIRONMENT: 0x22,
  EXTERNAL_AUTHENTICATE: 0x82,
  GET_CHALLENGE: 0x84,
  GENERAL_AUTHENTICATE: 0x86,
  INTERNAL_AUTHENTICATE: 0x88,
  SELECT: 0xa4,
  READ_BINARY: 0xb0,
  READ_BINARY_ODD: 0xb1,
  GET_RESPONSE: 0xc0,
  UPDATE_BINARY: 0xd6,
});

export function isSuccess(sw: number): boolean {
  return sw === SW.NO_ERROR;
}

/** §5.6: 61xx = success, xx more bytes available with GET RESPONSE (00 = 256 or more). Else undefined. */
export function bytesAvailable(sw: number): number | undefined {
  if (sw >> 8 !== 0x61) return undefined;
  return (sw & 0xff) === 0 ? 256 : sw & 0xff;
}

/** §5.6: 6Cxx = wrong Le, resend with N_e = xx (00 = 256). Else undefined. */
export function exactLength(sw: number): number | undefined {
  if (sw >> 8 !== 0x6c) return undefined;
  return (sw & 0xff) === 0 ? 256 : sw & 0xff;
}

/** §5.6: 62xx and 63xx are warnings: the command ran, with something to report. */
export function isWarning(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw1 === 0x62 || sw1 === 0x63;
}

/** Four hex digits, e.g. "6A82", for messages and logs. */
export function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}
