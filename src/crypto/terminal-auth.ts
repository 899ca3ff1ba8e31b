/**
 * Terminal Authentication version 1 (BSI TR-03110 v1.11, EAC 1: "Terminal Authentication" and
 * its annex of APDUs; TR-03110-1 v2.20 keeps it as TA version 1), the parts both sides share:
 * the data the terminal signs, Comp(), and the command data of the APDU sequence:
 *   MSE:Set DST  0C 22 81 B6  83 <CAR>                  per certificate: the key that verifies it
 *   PSO:Verify   0C 2A 00 BE  7F4E <body> 5F37 <sig>     the certificate's contents
 *   MSE:Set AT   0C 22 81 A4  83 <CHR of the terminal>
 *   GET CHALLENGE 0C 84 00 00 08                         r_PICC, 8 bytes
 *   EXTERNAL AUTHENTICATE 0C 82 00 00 <s_PCD>
 * s_PCD = Sign(SK_PCD, ID_PICC || r_PICC || Comp(PK~_PCD)), PK~_PCD the terminal's ephemeral Chip
 * Authentication key. ID_PICC (TR-03110 v1.11 TA step 3; ICAO 9303-11 §4.4.3.5): after
 * BAC the document number with its check digit as in the MRZ, after PACE Comp(PK~_PICC), the
 * chip's ephemeral PACE key.
 */
import { abytes, ascii, concat } from '../lds/bytes.js';
import { CVC_TAG, decodeCvCertificate, type CvCertificate } from '../lds/cvc.js';
import { ParseError } from '../lds/errors.js';
import { decodeTlv, encodeTlv } from '../lds/tlv.js';
import { digest } from './algorithms.js';
import { cvSign } from './cv-certificates.js';
import type { Signer } from './signer.js';

export const TA_CHALLENGE_LENGTH = 8;
const TAG_REFERENCE = 0x83;

/**
 * Comp() of TR-03110-3 v2.21 annex A (key compression): the x-coordinate of an EC point
 * (04 || x || y), the SHA-1 of a DH public value.
 */
export function compressPublicKey(agreement: 'ECDH' | 'DH', publicKey: Uint8Array): Uint8Array {
  abytes(publicKey, 'publicKey');
  if (agreement === 'DH') return digest('sha1', publicKey);
  if (publicKey[0] !== 0x04 || publicKey.length % 2 !== 1) throw new ParseError('TA_POINT', 'expected an uncompressed EC point', { field: 'publicKey' });
  return publicKey.slice(1, 1 + (publicKey.length - 1) / 2);
}

/** ID_PICC after BAC: document number and check digit, the head of MRZ_information (9303-11 §9.7.2). */
export function idPiccFromMrz(mrzInformation: string): Uint8Array {
  // MRZ_information = document number + CD, date of birth + CD, date of expiry + CD
  return ascii(mrzInformation.slice(0, mrzInformation.length - 14));
}

/** The bytes the terminal signs: ID_PICC || r_PICC || Comp(PK~_PCD). */
export function taSignedData(idPicc: Uint8Array, challenge: Uint8Array, compressedTerminalKey: Uint8Array): Uint8Array {
  return concat(abytes(idPicc, 'idPicc'), abytes(challenge, 'challenge', TA_CHALLENGE_LENGTH), abytes(compressedTerminalKey, 'compressedTerminalKey'));
}

/** s_PCD, made with the IS key under its certificate's algorithm. */
export function taSign(signer: Signer, terminal: CvCertificate, signedData: Uint8Array): Promise<Uint8Array> {
  return cvSign(signer, terminal.publicKey.oid, signedData);
}

/** 83 <reference>: the data of MSE:Set DST (a CAR) and MSE:Set AT (the terminal's CHR). */
export function encodeKeyReference(reference: string): Uint8Array {
  return encodeTlv(TAG_REFERENCE, ascii(reference));
}

/** The reference in MSE data, or undefined when the data is not exactly one 83 object. */
export function decodeKeyReference(data: Uint8Array): string | undefined {
  try {
    const t = decodeTlv(data, 'der');
    return t.tag === TAG_REFERENCE && t.value.length > 0 ? String.fromCharCode(...t.value) : undefined;
  } catch {
    return undefined;
  }
}

/** PSO:Verify Certificate data: the certificate without its 7F21 wrapper. */
export function psoVerifyData(cert: CvCertificate): Uint8Array {
  return decodeTlv(cert.raw, 'der').value;
}

/** The certificate a PSO:Verify Certificate carries (throws ParseError when it is not one). */
export function decodePsoVerifyData(data: Uint8Array): CvCertificate {
  return decodeCvCertificate(encodeTlv(CVC_TAG.certificate, data));
}
