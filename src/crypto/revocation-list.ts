/**
 * The cancuoc document revocation list (docs/revocation-list.md): which issued cards are lost or
 * revoked, signed as CMS SignedData (RFC 5652 §5) by a signer under the CSCA, in the way ICAO
 * 9303-12 (8th ed.) §9 signs a master list. eContentType is OID.cancuocRevocationList and the
 * eContent is, in DER:
 *
 *   CancuocRevocationList ::= SEQUENCE {
 *     version          INTEGER { v0(0) },
 *     issuer           PrintableString (SIZE (2)),   -- ISO 3166-1 alpha-2 of the issuing state
 *     thisUpdate       GeneralizedTime,
 *     nextUpdate       GeneralizedTime,
 *     revokedDocuments SEQUENCE OF RevokedDocument }
 *
 *   RevokedDocument ::= SEQUENCE {
 *     documentNumber   PrintableString (SIZE (1..22)),
 *     sodHash          OCTET STRING (SIZE (32)) OPTIONAL,  -- SHA-256 of the whole EF.SOD
 *     revocationDate   GeneralizedTime,
 *     reason           ENUMERATED { unspecified(0), lost(1), revoked(2) } }
 *
 * The codec lives in this layer so that the reader's trust store can check a list.
 */
import { abytes, ascii, equalBytes } from '../lds/bytes.js';
import { decodeSignedData, type SignedData } from '../lds/cms.js';
import { elementsOf, encodeInteger, fields, readSmallInt } from '../lds/der.js';
import { ParseError } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import { decodeTlv, encodeTlv, type Tlv } from '../lds/tlv.js';
import type { HashName } from './algorithms.js';
import { encodeGeneralizedTime, signCms } from './cms-sign.js';
import type { Signer } from './signer.js';

export const REVOCATION_REASONS = Object.freeze(['unspecified', 'lost', 'revoked'] as const);
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export interface RevokedDocument {
  readonly documentNumber: string;
  /** SHA-256 of EF.SOD; tells the revoked card from a later card with the same document number. */
  readonly sodHash: Uint8Array | undefined;
  readonly revocationDate: Date;
  readonly reason: RevocationReason;
}

export interface RevocationListContent {
  readonly version: number;
  readonly issuer: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly documents: readonly RevokedDocument[];
}

export interface RevocationList extends RevocationListContent {
  /** The enclosing SignedData, for signature checks (its content is the list DER). */
  readonly signedData: SignedData;
}

const TAG_PRINTABLE = 0x13;
const TAG_GENERALIZED_TIME = 0x18;
const TAG_ENUMERATED = 0x0a;
const DOCUMENT_NUMBER = /^[0-9A-Z]{1,22}$/;

/** The eContent DER. Dates are written to the second. */
export function encodeRevocationList(list: Omit<RevocationListContent, 'version'>): Uint8Array {
  if (typeof list !== 'object' || list === null) throw new TypeError('"list" expected an object');
  if (typeof list.issuer !== 'string' || !/^[A-Z]{2}$/.test(list.issuer)) throw new RangeError('"issuer" expected an ISO 3166-1 alpha-2 code');
  if (!(list.nextUpdate > list.thisUpdate)) throw new RangeError('"nextUpdate" must be later than "thisUpdate"');
  if (!Array.isArray(list.documents)) throw new TypeError('"documents" expected an array');
  const docs = list.documents.map((d, i) => {
    if (typeof d?.documentNumber !== 'string' || !DOCUMENT_NUMBER.test(d.documentNumber)) {
      throw new RangeError(`"documents[${i}].documentNumber" expected 1 to 22 digits or capitals`);
    }
    const reason = REVOCATION_REASONS.indexOf(d.reason);
    if (reason < 0) throw new RangeError(`"documents[${i}].reason" expected one of ${REVOCATION_REASONS.join(', ')}`);
    return encodeTlv(
      0x30,
      encodeTlv(TAG_PRINTABLE, ascii(d.documentNumber)),
      ...(d.sodHash === undefined ? [] : [encodeTlv(0x04, abytes(d.sodHash, `documents[${i}].sodHash`, 32))]),
      encodeGeneralizedTime(d.revocationDate),
      encodeTlv(TAG_ENUMERATED, Uint8Array.of(reason)),
    );
  });
  return encodeTlv(
    0x30,
    encodeInteger(0),
    encodeTlv(TAG_PRINTABLE, ascii(list.issuer)),
    encodeGeneralizedTime(list.thisUpdate),
    encodeGeneralizedTime(list.nextUpdate),
    encodeTlv(0x30, ...docs),
  );
}

/** Decodes the eContent DER; `base` is its absolute offset for error places. */
export function decodeRevocationListContent(der: Uint8Array, base = 0): RevocationListContent {
  const top = decodeTlv(abytes(der, 'der'), 'der', base);
  if (top.tag !== 0x30) throw new ParseError('RL_NOT_SEQUENCE', 'CancuocRevocationList is not a SEQUENCE', { tag: top.tag, offset: top.offset });
  const f = fields(top, 'der', 'CancuocRevocationList');
  const vt = f.take(0x02, 'version');
  const version = readSmallInt(vt, 'der', 'CancuocRevocationList.version');
  if (version !== 0) {
    throw new ParseError('RL_BAD_VERSION', `revocation list version ${version}, expected v0`, { tag: vt.tag, offset: vt.offset, field: 'version' });
  }
  const issuer = printable(f.take(TAG_PRINTABLE, 'issuer'), /^[A-Z]{2}$/, 'issuer');
  const thisUpdate = generalizedTime(f.take(TAG_GENERALIZED_TIME, 'thisUpdate'), 'thisUpdate');
  const nextUpdate = generalizedTime(f.take(TAG_GENERALIZED_TIME, 'nextUpdate'), 'nextUpdate');
  const documents = elementsOf(f.take(0x30, 'revokedDocuments'), 0x30, 'der', 'revokedDocuments').map((e) => {
    const d = fields(e, 'der', 'RevokedDocument');
    const documentNumber = printable(d.take(TAG_PRINTABLE, 'documentNumber'), DOCUMENT_NUMBER, 'RevokedDocument.documentNumber');
    const hashTlv = d.maybe(0x04);
    if (hashTlv !== undefined && hashTlv.value.length !== 32) {
      throw new ParseError('RL_BAD_SOD_HASH', `sodHash of ${hashTlv.value.length} bytes, expected 32`, {
        tag: hashTlv.tag,
        offset: hashTlv.offset,
        field: 'RevokedDocument.sodHash',
      });
    }
    const revocationDate = generalizedTime(d.take(TAG_GENERALIZED_TIME, 'revocationDate'), 'RevokedDocument.revocationDate');
    const rt = d.take(TAG_ENUMERATED, 'reason');
    const reason = rt.value.length === 1 ? REVOCATION_REASONS[rt.value[0]!] : undefined;
    if (reason === undefined) {
      throw new ParseError('RL_BAD_REASON', 'reason is not a known ENUMERATED value', { tag: rt.tag, offset: rt.offset, field: 'RevokedDocument.reason' });
    }
    d.done();
    return Object.freeze({ documentNumber, sodHash: hashTlv?.value, revocationDate, reason });
  });
  f.done();
  return Object.freeze({ version, issuer, thisUpdate, nextUpdate, documents: Object.freeze(documents) });
}

/** Decodes a signed list (ContentInfo); structure only — the trust store checks the signature. */
export function decodeRevocationList(bytes: Uint8Array): RevocationList {
  const signedData = decodeSignedData(abytes(bytes, 'bytes'), 'der');
  if (signedData.contentType !== OID.cancuocRevocationList) {
    throw new ParseError('RL_WRONG_CONTENT_TYPE', `eContentType ${signedData.contentType} is not a cancuoc revocation list`, {
      field: 'EncapsulatedContentInfo.eContentType',
    });
  }
  return Object.freeze({ ...decodeRevocationListContent(signedData.content, signedData.contentOffset), signedData });
}

export interface RevocationListRequest extends Omit<RevocationListContent, 'version'> {
  readonly signer: Signer;
  /** DER certificate of the signer (the DS or a dedicated signer issued by the CSCA). */
  readonly certificate: Uint8Array;
  readonly hash?: HashName;
}

/** Encodes and signs a list; returns the ContentInfo DER. */
export async function issueRevocationList(req: RevocationListRequest): Promise<Uint8Array> {
  return signCms({
    contentType: OID.cancuocRevocationList,
    content: encodeRevocationList(req),
    signer: req.signer,
    certificate: req.certificate,
    ...(req.hash === undefined ? {} : { hash: req.hash }),
    signingTime: req.thisUpdate,
  });
}

/**
 * The entry revoking a document: an entry with a SOD hash matches that exact card (when the
 * caller knows the SOD hash); one without matches the document number.
 */
export function findRevokedDocument(
  documents: readonly RevokedDocument[],
  query: { readonly documentNumber?: string; readonly sodHash?: Uint8Array },
): RevokedDocument | undefined {
  return documents.find((d) =>
    d.sodHash !== undefined && query.sodHash !== undefined ? equalBytes(d.sodHash, query.sodHash) : d.documentNumber === query.documentNumber,
  );
}

function printable(t: Tlv, pattern: RegExp, what: string): string {
  const text = String.fromCharCode(...t.value);
  if (!pattern.test(text)) throw new ParseError('RL_BAD_FIELD', `${what}: unexpected value`, { tag: t.tag, offset: t.offset, field: what });
  return text;
}

/** DER GeneralizedTime (X.690 §11.7): YYYYMMDDHHMMSSZ, no fraction. */
function generalizedTime(t: Tlv, what: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(String.fromCharCode(...t.value));
  const n = m === null ? [] : m.slice(1).map(Number);
  const date = m === null ? new Date(NaN) : new Date(Date.UTC(n[0]!, n[1]! - 1, n[2]!, n[3]!, n[4]!, n[5]!));
  if (m === null || date.getUTCMonth() !== n[1]! - 1 || date.getUTCDate() !== n[2]! || n[3]! > 23 || n[4]! > 59 || n[5]! > 59) {
    throw new ParseError('RL_BAD_TIME', `${what}: not a DER GeneralizedTime`, { tag: t.tag, offset: t.offset, field: what });
  }
  return date;
}
