/**
 * CMS SignedData, RFC 5652, as used by EF.SOD (ICAO 9303-10 (8th ed.) §4.6.2) and the CSCA master
 * list (9303-12 §9). Decoding keeps the exact bytes of every part a hash or signature covers;
 * encoding writes DER. The ASN.1 building blocks are in der.ts.
 */
import { abytes } from './bytes.js';
import {
  decodeAlgorithmIdentifier,
  elementsOf,
  encodeAlgorithmIdentifier,
  encodeInteger,
  encodeOidTlv,
  encodeSetOf,
  expectElement,
  fields,
  readInteger,
  readOctetString,
  readOid,
  readSmallInt,
  type AlgorithmIdentifier,
} from './der.js';
import { ParseError } from './errors.js';
import { OID } from './oid.js';
import { childrenOf, decodeTlv, encodeTlv, tagHex, type Tlv, type TlvMode } from './tlv.js';

const TAG_INTEGER = 0x02;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;

// ---------------------------------------------------------------------------------------------
// Attribute (RFC 5652 §5.3)

export interface Attribute {
  readonly type: string;
  /** Each value as raw DER. */
  readonly values: readonly Uint8Array[];
}

function decodeAttributes(set: Tlv, mode: TlvMode, what: string): readonly Attribute[] {
  const attrs = elementsOf(set, TAG_SEQUENCE, mode, what).map((a) => {
    const f = fields(a, mode, 'Attribute');
    const type = readOid(f.take(TAG_OID, 'attrType'), 'Attribute.attrType');
    const values = childrenOf(f.take(TAG_SET, 'attrValues'), mode).map((v) => v.raw);
    f.done();
    return Object.freeze({ type, values: Object.freeze(values) });
  });
  return Object.freeze(attrs);
}

function encodeAttribute(a: Attribute): Uint8Array {
  return encodeTlv(TAG_SEQUENCE, encodeOidTlv(a.type), encodeSetOf(a.values));
}

/** SignedAttributes as DER SET OF (tag 31), the bytes the signature covers (RFC 5652 §5.4). */
export function encodeSignedAttributes(attrs: readonly Attribute[]): Uint8Array {
  return encodeSetOf(attrs.map(encodeAttribute));
}

/** The first value of the attribute `type`, as raw DER. */
export function attributeValue(attrs: readonly Attribute[] | undefined, type: string): Uint8Array | undefined {
  return attrs?.find((a) => a.type === type)?.values[0];
}

// ---------------------------------------------------------------------------------------------
// SignerInfo (RFC 5652 §5.3)

export type SignerIdentifier =
  | { readonly kind: 'issuerAndSerialNumber'; readonly issuer: Uint8Array; readonly serialNumber: Uint8Array }
  | { readonly kind: 'subjectKeyIdentifier'; readonly keyIdentifier: Uint8Array };

export interface SignerInfo {
  readonly version: number;
  readonly sid: SignerIdentifier;
  readonly digestAlgorithm: AlgorithmIdentifier;
  readonly signedAttrs: readonly Attribute[] | undefined;
  /** The [0] IMPLICIT bytes exactly as read, tag changed to 0x31: what the signature covers (§5.4). */
  readonly signedAttrsDer: Uint8Array | undefined;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly unsignedAttrs: readonly Attribute[] | undefined;
  /** The [1] IMPLICIT bytes as read, tag changed to 0x31. */
  readonly unsignedAttrsDer: Uint8Array | undefined;
  readonly raw: Uint8Array;
}

const TAG_SIGNED_ATTRS = 0xa0;
const TAG_UNSIGNED_ATTRS = 0xa1;
const TAG_SKI = 0x80;

/** An IMPLICIT [n] SET OF re-tagged as the universal SET it stands for. */
function asSet(t: Tlv): Uint8Array {
  const out = Uint8Array.from(t.raw);
  out[0] = TAG_SET;
  return out;
}

function decodeSid(t: Tlv, mode: TlvMode): SignerIdentifier {
  if (t.tag === TAG_SEQUENCE) {
    const f = fields(t, mode, 'IssuerAndSerialNumber');
    const issuer = f.take(TAG_SEQUENCE, 'issuer').raw;
    const serial = f.take(TAG_INTEGER, 'serialNumber');
    readInteger(serial, mode, 'IssuerAndSerialNumber.serialNumber');
    f.done();
    return Object.freeze({ kind: 'issuerAndSerialNumber', issuer, serialNumber: serial.value });
  }
  if (t.tag === TAG_SKI) return Object.freeze({ kind: 'subjectKeyIdentifier', keyIdentifier: t.value });
  throw new ParseError('CMS_BAD_SID', `SignerIdentifier: unexpected tag ${tagHex(t.tag)}`, {
    tag: t.tag,
    offset: t.offset,
    field: 'SignerInfo.sid',
  });
}

function decodeSignerInfo(t: Tlv, mode: TlvMode): SignerInfo {
  const f = fields(t, mode, 'SignerInfo');
  const vt = f.take(TAG_INTEGER, 'version');
  const version = readSmallInt(vt, mode, 'SignerInfo.version');
  // RFC 5652 §5.3: v1 with issuerAndSerialNumber, v3 with subjectKeyIdentifier
  if (version !== 1 && version !== 3) {
    throw new ParseError('CMS_BAD_VERSION', `SignerInfo version ${version}, expected 1 or 3`, {
      tag: vt.tag,
      offset: vt.offset,
      field: 'SignerInfo.version',
    });
  }
  const sid = decodeSid(f.any('sid'), mode);
  const digestAlgorithm = decodeAlgorithmIdentifier(f.take(TAG_SEQUENCE, 'digestAlgorithm'), mode, 'SignerInfo.digestAlgorithm');
  const sa = f.maybe(TAG_SIGNED_ATTRS);
  const signatureAlgorithm = decodeAlgorithmIdentifier(
    f.take(TAG_SEQUENCE, 'signatureAlgorithm'),
    mode,
    'SignerInfo.signatureAlgorithm',
  );
  const signature = readOctetString(f.any('signature'), mode, 'SignerInfo.signature');
  const ua = f.maybe(TAG_UNSIGNED_ATTRS);
  f.done();
  return Object.freeze({
    version,
    sid,
    digestAlgorithm,
    signedAttrs: sa === undefined ? undefined : decodeAttributes(sa, mode, 'SignerInfo.signedAttrs'),
    signedAttrsDer: sa === undefined ? undefined : asSet(sa),
    signatureAlgorithm,
    signature,
    unsignedAttrs: ua === undefined ? undefined : decodeAttributes(ua, mode, 'SignerInfo.unsignedAttrs'),
    unsignedAttrsDer: ua === undefined ? undefined : asSet(ua),
    raw: t.raw,
  });
}

// ---------------------------------------------------------------------------------------------
// ContentInfo / SignedData (RFC 5652 §3, §5.1, §5.2)

export interface SignedData {
  readonly version: number;
  readonly digestAlgorithms: readonly AlgorithmIdentifier[];
  readonly contentType: string;
  /** eContent OCTET STRING value. */
  readonly content: Uint8Array;
  /** Absolute offset of `content` in the decoded buffer (for error places in nested decoders). */
  readonly contentOffset: number;
  /** DER of each CertificateChoices element. */
  readonly certificates: readonly Uint8Array[];
  /** DER of each RevocationInfoChoice element. */
  readonly crls: readonly Uint8Array[];
  readonly signerInfos: readonly SignerInfo[];
  /** The ContentInfo bytes. */
  readonly raw: Uint8Array;
}

const TAG_EXPLICIT_0 = 0xa0;
const TAG_CRLS = 0xa1;

/**
 * Decodes a ContentInfo holding SignedData. `base` is the absolute offset of contentInfo[0]
 * when it sits inside a larger buffer (EF.SOD's tag 77).
 */
export function decodeSignedData(contentInfo: Uint8Array, mode: TlvMode = 'der', base = 0): SignedData {
  const ci = decodeTlv(abytes(contentInfo, 'contentInfo'), mode, base);
  const cf = fields(expectElement(ci, TAG_SEQUENCE, 'ContentInfo'), mode, 'ContentInfo');
  const ctTlv = cf.take(TAG_OID, 'contentType');
  if (readOid(ctTlv, 'ContentInfo.contentType') !== OID.signedData) {
    throw new ParseError('CMS_NOT_SIGNED_DATA', 'ContentInfo does not hold SignedData (RFC 5652 §5.1)', {
      tag: ctTlv.tag,
      offset: ctTlv.offset,
      field: 'ContentInfo.contentType',
    });
  }
  const wrapper = cf.take(TAG_EXPLICIT_0, 'content');
  cf.done();
  const wf = fields(wrapper, mode, 'ContentInfo.content');
  const sd = wf.take(TAG_SEQUENCE, 'SignedData');
  wf.done();

  const f = fields(sd, mode, 'SignedData');
  const vt = f.take(TAG_INTEGER, 'version');
  const version = readSmallInt(vt, mode, 'SignedData.version');
  // RFC 5652 §5.1: CMSVersion of SignedData is 1, 3, 4 or 5
  if (![1, 3, 4, 5].includes(version)) {
    throw new ParseError('CMS_BAD_VERSION', `SignedData version ${version}`, {
      tag: vt.tag,
      offset: vt.offset,
      field: 'SignedData.version',
    });
  }
  const digestAlgorithms = elementsOf(f.take(TAG_SET, 'digestAlgorithms'), TAG_SEQUENCE, mode, 'SignedData.digestAlgorithms').map(
    (a) => decodeAlgorithmIdentifier(a, mode, 'SignedData.digestAlgorithms'),
  );

  const eci = f.take(TAG_SEQUENCE, 'encapContentInfo');
  const ef = fields(eci, mode, 'EncapsulatedContentInfo');
  const contentType = readOid(ef.take(TAG_OID, 'eContentType'), 'EncapsulatedContentInfo.eContentType');
  const ec = ef.maybe(TAG_EXPLICIT_0);
  ef.done();
  if (ec === undefined) {
    throw new ParseError('CMS_NO_CONTENT', 'SignedData without encapsulated content (detached signature)', {
      tag: eci.tag,
      offset: eci.offset,
      field: 'EncapsulatedContentInfo.eContent',
    });
  }
  const ecf = fields(ec, mode, 'EncapsulatedContentInfo.eContent');
  const octets = ecf.any('eContent');
  ecf.done();
  const content = readOctetString(octets, mode, 'EncapsulatedContentInfo.eContent');

  const certs = f.maybe(TAG_EXPLICIT_0);
  const crls = f.maybe(TAG_CRLS);
  const signerInfos = elementsOf(f.take(TAG_SET, 'signerInfos'), TAG_SEQUENCE, mode, 'SignedData.signerInfos').map((s) =>
    decodeSignerInfo(s, mode),
  );
  f.done();
  return Object.freeze({
    version,
    digestAlgorithms: Object.freeze(digestAlgorithms),
    contentType,
    content,
    contentOffset: octets.constructed ? octets.offset : octets.valueOffset,
    certificates: Object.freeze(certs === undefined ? [] : childrenOf(certs, mode).map((c) => c.raw)),
    crls: Object.freeze(crls === undefined ? [] : childrenOf(crls, mode).map((c) => c.raw)),
    signerInfos: Object.freeze(signerInfos),
    raw: ci.raw,
  });
}

export interface SignerInfoInput {
  readonly sid: SignerIdentifier;
  readonly digestAlgorithm: AlgorithmIdentifier;
  /** DER SET (tag 31), e.g. from encodeSignedAttributes; written as [0] IMPLICIT. */
  readonly signedAttrsDer: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  /** DER SET (tag 31) of unsigned attributes, written as [1] IMPLICIT. */
  readonly unsignedAttrsDer?: Uint8Array;
  /** Defaults to 1 for issuerAndSerialNumber, 3 for subjectKeyIdentifier (RFC 5652 §5.3). */
  readonly version?: number;
}

export interface SignedDataInput {
  readonly contentType: string;
  readonly content: Uint8Array;
  readonly digestAlgorithm: AlgorithmIdentifier;
  /** DER of each certificate, written in the given order. */
  readonly certificates: readonly Uint8Array[];
  readonly crls?: readonly Uint8Array[];
  readonly signerInfo: SignerInfoInput;
  /** Defaults to 3: eContentType is not id-data (RFC 5652 §5.1). */
  readonly version?: number;
}

/** An IMPLICIT [n] in place of the SET tag of `set`. */
function retag(set: Uint8Array, tag: number, name: string): Uint8Array {
  if (!(set instanceof Uint8Array) || set[0] !== TAG_SET) throw new TypeError(`"${name}" expected DER of a SET (tag 31)`);
  const out = Uint8Array.from(set);
  out[0] = tag;
  return out;
}

function encodeSid(sid: SignerIdentifier): Uint8Array {
  if (sid.kind === 'issuerAndSerialNumber') {
    return encodeTlv(TAG_SEQUENCE, sid.issuer, encodeTlv(TAG_INTEGER, sid.serialNumber));
  }
  return encodeTlv(TAG_SKI, sid.keyIdentifier);
}

function encodeSignerInfo(s: SignerInfoInput): Uint8Array {
  const version = s.version ?? (s.sid.kind === 'issuerAndSerialNumber' ? 1 : 3);
  return encodeTlv(
    TAG_SEQUENCE,
    encodeInteger(version),
    encodeSid(s.sid),
    encodeAlgorithmIdentifier(s.digestAlgorithm),
    retag(s.signedAttrsDer, TAG_SIGNED_ATTRS, 'signedAttrsDer'),
    encodeAlgorithmIdentifier(s.signatureAlgorithm),
    encodeTlv(TAG_OCTET_STRING, s.signature),
    ...(s.unsignedAttrsDer === undefined ? [] : [retag(s.unsignedAttrsDer, TAG_UNSIGNED_ATTRS, 'unsignedAttrsDer')]),
  );
}

/** ContentInfo DER holding SignedData with one signer (RFC 5652 §3, §5.1). */
export function encodeSignedData(input: SignedDataInput): Uint8Array {
  const crls = input.crls ?? [];
  const signedData = encodeTlv(
    TAG_SEQUENCE,
    encodeInteger(input.version ?? 3),
    encodeTlv(TAG_SET, encodeAlgorithmIdentifier(input.digestAlgorithm)),
    encodeTlv(TAG_SEQUENCE, encodeOidTlv(input.contentType), encodeTlv(TAG_EXPLICIT_0, encodeTlv(TAG_OCTET_STRING, input.content))),
    ...(input.certificates.length > 0 ? [encodeTlv(TAG_EXPLICIT_0, ...input.certificates)] : []),
    ...(crls.length > 0 ? [encodeTlv(TAG_CRLS, ...crls)] : []),
    encodeTlv(TAG_SET, encodeSignerInfo(input.signerInfo)),
  );
  return encodeTlv(TAG_SEQUENCE, encodeOidTlv(OID.signedData), encodeTlv(TAG_EXPLICIT_0, signedData));
}
