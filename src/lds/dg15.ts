/**
 * DG15 (tag 6F, FID 010F): ICAO 9303-10 (8th ed.) §4.7.15. The Active Authentication public key
 * as a SubjectPublicKeyInfo, RSA or EC (9303-11 §6.1). DG15 is hashed in EF.SOD, so `raw`
 * keeps the file exactly as read.
 */
import { abytes } from './bytes.js';
import { expectElement, fields } from './der.js';
import { fileByDg } from './files.js';
import { decodePublicKeyTlv, type PublicKeyInfo } from './public-key.js';
import { decodeTlv, encodeTlv, type TlvMode } from './tlv.js';

const TAG_DG15 = fileByDg(15)!.tag!;
const TAG_SEQUENCE = 0x30;

export interface Dg15 {
  readonly publicKey: PublicKeyInfo;
  /** The whole EF, tag 6F included (padding excluded). */
  readonly raw: Uint8Array;
}

/**
 * Decodes DG15. 'lenient' (the default) also takes an RSA modulus written without its leading
 * zero octet, as in the BSI 2008 test set.
 */
export function decodeDg15(ef: Uint8Array, mode: TlvMode = 'lenient'): Dg15 {
  const t = expectElement(decodeTlv(abytes(ef, 'ef'), mode), TAG_DG15, 'DG15');
  const f = fields(t, mode, 'DG15');
  const publicKey = decodePublicKeyTlv(f.take(TAG_SEQUENCE, 'SubjectPublicKeyInfo'), mode);
  f.done();
  return Object.freeze({ publicKey, raw: t.raw });
}

/** DG15 bytes: 6F L SubjectPublicKeyInfo (DER, e.g. from encodePublicKey). */
export function encodeDg15(subjectPublicKeyInfo: Uint8Array): Uint8Array {
  return encodeTlv(TAG_DG15, abytes(subjectPublicKeyInfo, 'subjectPublicKeyInfo'));
}
