/**
 * C40 text encoding of ICAO 9303-13 (8th ed.) §2.2 and BSI TR-03137-1 (v2.5) Annex B, the
 * DataMatrix C40 scheme of ISO/IEC 16022 §5.2.5 restricted to its basic set: space, 0–9, A–Z.
 * Three characters make one 16-bit value U = 1600·C1 + 40·C2 + C3 + 1, written big-endian.
 * Two characters left: the triple is completed with Shift 1 (value 0). One character left:
 * the "unlatch" byte 0xFE followed by the character's DataMatrix ASCII value (ASCII + 1).
 *
 * Length (erratum of TR-03137 Annex B item 2, see test/vectors/vds/README.md §3.5):
 * 2·⌊L/3⌋ bytes, plus 2 when L is not a multiple of 3.
 */
import { abytes } from '../lds/bytes.js';
import { ParseError } from '../lds/errors.js';

const UNLATCH = 0xfe;
const SHIFT1 = 0;
const MAX_TRIPLE = 1600 * 39 + 40 * 39 + 39 + 1; // 64000

/** C40 value of a basic-set character, or -1. */
function valueOf(c: number): number {
  if (c === 0x20) return 3;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 4;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 14;
  return -1;
}

function charOf(v: number): string {
  if (v === 3) return ' ';
  if (v >= 4 && v <= 13) return String.fromCharCode(0x30 + v - 4);
  return String.fromCharCode(0x41 + v - 14);
}

/** Whether `text` can be C40-encoded ('<' counts: it becomes a space, TR-03137 Annex B item 1). */
export function isC40Text(text: string): boolean {
  return typeof text === 'string' && /^[A-Z0-9 <]*$/.test(text);
}

/** Number of bytes `chars` characters take in C40. */
export function c40Length(chars: number): number {
  if (!Number.isSafeInteger(chars) || chars < 0) throw new RangeError(`"chars" expected a non-negative integer, got ${chars}`);
  return 2 * Math.floor(chars / 3) + (chars % 3 === 0 ? 0 : 2);
}

/** Encodes `text` (A–Z, 0–9, space, '<'); '<' is written as space, as the TR requires. */
export function encodeC40(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('"text" expected a string');
  const codes = text.replace(/</g, ' ');
  const values: number[] = [];
  for (let i = 0; i < codes.length; i++) {
    const v = valueOf(codes.charCodeAt(i));
    if (v < 0) throw new RangeError(`"text" has character ${JSON.stringify(codes[i])} at ${i}, outside the C40 basic set`);
    values.push(v);
  }
  const out = new Uint8Array(c40Length(values.length));
  let at = 0;
  let i = 0;
  for (; i + 3 <= values.length; i += 3) at = writeTriple(out, at, values[i]!, values[i + 1]!, values[i + 2]!);
  const left = values.length - i;
  if (left === 2) {
    writeTriple(out, at, values[i]!, values[i + 1]!, SHIFT1); // TR-03137 Annex B, padding rule 1
  } else if (left === 1) {
    out[at] = UNLATCH; // padding rule 2: unlatch, then the DataMatrix ASCII value
    out[at + 1] = codes.charCodeAt(i) + 1;
  }
  return out;
}

function writeTriple(out: Uint8Array, at: number, c1: number, c2: number, c3: number): number {
  const u = 1600 * c1 + 40 * c2 + c3 + 1;
  out[at] = u >> 8;
  out[at + 1] = u & 0xff;
  return at + 2;
}

/**
 * Decodes C40 bytes. Padding (Shift 1 in the last triple) is dropped; anything else outside the
 * basic set, an odd length, or an unlatch that is not the last byte pair is a ParseError with
 * the absolute offset (`base` = offset of bytes[0] in the seal).
 */
export function decodeC40(bytes: Uint8Array, base = 0, field = 'C40'): string {
  abytes(bytes, 'bytes');
  if (bytes.length % 2 !== 0) {
    throw new ParseError('C40_ODD_LENGTH', `C40 data of odd length ${bytes.length}`, { offset: base, field });
  }
  let out = '';
  for (let at = 0; at < bytes.length; at += 2) {
    const last = at + 2 === bytes.length;
    const b1 = bytes[at]!;
    const b2 = bytes[at + 1]!;
    if (b1 === UNLATCH) {
      const c = b2 - 1;
      if (!last || valueOf(c) < 0) {
        throw new ParseError('C40_INVALID', `unlatch with value ${b2} is not a final basic-set character`, { offset: base + at, field });
      }
      out += String.fromCharCode(c);
      continue;
    }
    const u = b1 * 256 + b2;
    if (u === 0 || u > MAX_TRIPLE) {
      throw new ParseError('C40_INVALID', `C40 value ${u} outside 1..${MAX_TRIPLE}`, { offset: base + at, field });
    }
    const v = u - 1;
    const triple = [Math.floor(v / 1600), Math.floor((v % 1600) / 40), v % 40];
    for (let k = 0; k < 3; k++) {
      const c = triple[k]!;
      // Shift 1 is padding only in the third place of the last triple (TR-03137 Annex B rule 1;
      // a single last character takes the unlatch form, rule 2)
      if (c === SHIFT1 && last && k === 2) break;
      if (c < 3) {
        throw new ParseError('C40_INVALID', `C40 shift value ${c} is not used by ICAO 9303-13`, { offset: base + at, field });
      }
      out += charOf(c);
    }
  }
  return out;
}
