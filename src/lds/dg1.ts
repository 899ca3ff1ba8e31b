/**
 * EF.DG1, the MRZ data group: `61 L { 5F1F L <MRZ, all lines concatenated> }`
 * (ICAO 9303-10 (8th ed.) §4.7.1). TD1 90 characters, TD3 88.
 */
import { ascii, abytes } from './bytes.js';
import { ParseError } from './errors.js';
import { type Mrz, parseMrz } from './mrz.js';
import { childrenOf, decodeTlv, encodeTlv, expectTag } from './tlv.js';

const DG1_TAG = 0x61;
const MRZ_TAG = 0x5f1f;

export interface Dg1 {
  readonly mrz: Mrz;
  /** The file exactly as read (hashed for the SOD). */
  readonly raw: Uint8Array;
}

/** Decodes EF.DG1. Every failure is a ParseError with the tag or field and the byte offset. */
export function decodeDg1(bytes: Uint8Array): Dg1 {
  abytes(bytes, 'bytes');
  const outer = expectTag(decodeTlv(bytes, 'lenient'), DG1_TAG, 'DG1');
  const kids = childrenOf(outer, 'lenient');
  const mrzTlv = kids[0];
  if (mrzTlv === undefined || kids.length !== 1) {
    throw new ParseError('DG1_STRUCTURE', `DG1 must hold exactly one 5F1F object, found ${kids.length}`, {
      tag: DG1_TAG,
      offset: outer.valueOffset,
      file: 'DG1',
    });
  }
  expectTag(mrzTlv, MRZ_TAG, 'DG1 MRZ');
  const text = Buffer.from(mrzTlv.value.buffer, mrzTlv.value.byteOffset, mrzTlv.value.byteLength).toString('latin1');
  const mrz = parseMrz(text, { offset: mrzTlv.valueOffset, tag: MRZ_TAG, file: 'DG1' });
  return Object.freeze({ mrz, raw: outer.raw });
}

/** Encodes EF.DG1 from a parsed MRZ or from its lines. */
export function encodeDg1(mrz: Mrz | readonly string[]): Uint8Array {
  const lines = Array.isArray(mrz) ? (mrz as readonly string[]) : (mrz as Mrz).lines;
  const parsed = parseMrz(lines); // validates length and characters before writing
  return encodeTlv(DG1_TAG, encodeTlv(MRZ_TAG, ascii(parsed.lines.join(''))));
}
