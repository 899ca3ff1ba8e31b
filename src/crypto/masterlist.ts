/**
 * CSCA master lists, ICAO 9303-12 (8th ed.) §9: a CMS SignedData (RFC 5652) whose eContent is
 *
 *   CscaMasterList ::= SEQUENCE { version CscaMasterListVersion, certList SET OF Certificate }
 *   CscaMasterListVersion ::= INTEGER { v0(0) }
 *
 * with eContentType id-icao-cscaMasterList, signed by a master list signer whose certificate
 * (issued by the CSCA) travels in SignedData.certificates.
 */
import { abytes } from '../lds/bytes.js';
import { decodeSignedData, type SignedData } from '../lds/cms.js';
import { elementsOf, encodeInteger, encodeSetOf, fields, readSmallInt } from '../lds/der.js';
import { ParseError } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import { decodeTlv, encodeTlv, type TlvMode } from '../lds/tlv.js';
import type { HashName } from './algorithms.js';
import { signCms } from './cms-sign.js';
import type { Signer } from './signer.js';

/** The eContent: CscaMasterList DER with the certificates in DER SET OF order (X.690 §11.6). */
export function encodeCscaMasterList(certificates: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(certificates) || certificates.length === 0) {
    throw new TypeError('"certificates" expected a non-empty array of DER certificates');
  }
  certificates.forEach((c, i) => decodeTlv(abytes(c, `certificates[${i}]`), 'der'));
  return encodeTlv(0x30, encodeInteger(0), encodeSetOf(certificates));
}

export interface MasterListRequest {
  /** The CSCA certificates to publish (DER). */
  readonly certificates: readonly Uint8Array[];
  /** The master list signer's certificate (DER), put in SignedData.certificates. */
  readonly signerCertificate: Uint8Array;
  readonly signer: Signer;
  readonly hash?: HashName;
  /** signingTime attribute (RFC 5652 §11.3); omitted when undefined. */
  readonly signingTime?: Date;
}

/** A signed master list: ContentInfo DER (the usual .ml file). */
export async function issueMasterList(req: MasterListRequest): Promise<Uint8Array> {
  return signCms({
    contentType: OID.cscaMasterList,
    content: encodeCscaMasterList(req.certificates),
    signer: req.signer,
    certificate: abytes(req.signerCertificate, 'signerCertificate'),
    ...(req.hash === undefined ? {} : { hash: req.hash }),
    ...(req.signingTime === undefined ? {} : { signingTime: req.signingTime }),
  });
}

export interface MasterList {
  readonly version: number;
  /** DER of each CSCA certificate, as listed. */
  readonly certificates: readonly Uint8Array[];
  /** The enclosing SignedData, for signature verification (its content is the CscaMasterList DER). */
  readonly signedData: SignedData;
}

/**
 * Decodes a master list (ContentInfo). Checks the structure only; verifying the signature and the
 * signer's chain is passive authentication's job.
 */
export function decodeMasterList(bytes: Uint8Array, mode: TlvMode = 'der'): MasterList {
  abytes(bytes, 'bytes');
  const signedData = decodeSignedData(bytes, mode);
  if (signedData.contentType !== OID.cscaMasterList) {
    throw new ParseError('ML_WRONG_CONTENT_TYPE', `eContentType ${signedData.contentType} is not id-icao-cscaMasterList`, {
      field: 'EncapsulatedContentInfo.eContentType',
    });
  }
  const list = decodeTlv(signedData.content, mode, signedData.contentOffset);
  if (list.tag !== 0x30) {
    throw new ParseError('ML_NOT_SEQUENCE', 'CscaMasterList is not a SEQUENCE', { tag: list.tag, offset: list.offset });
  }
  const f = fields(list, mode, 'CscaMasterList');
  const vt = f.take(0x02, 'version');
  const version = readSmallInt(vt, mode, 'CscaMasterList.version');
  if (version !== 0) {
    throw new ParseError('ML_BAD_VERSION', `CscaMasterList version ${version}, expected v0`, {
      tag: vt.tag,
      offset: vt.offset,
      field: 'CscaMasterList.version',
    });
  }
  const certificates = elementsOf(f.take(0x31, 'certList'), 0x30, mode, 'CscaMasterList.certList').map((c) => c.raw);
  f.done();
  return Object.freeze({ version, certificates: Object.freeze(certificates), signedData });
}
