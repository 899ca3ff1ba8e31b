/**
 * X.509 certificates and CRLs (RFC 5280 §4.1, §5.1) as the inspection system reads them: CSCA,
 * Document Signer and seal-signer certificates and CSCA CRLs (ICAO 9303-12 (8th ed.) §5, §7),
 * parsed with the shared DER codec so that the exact signed bytes (tbsCertificate, tbsCertList)
 * are kept for signature checks, and names as DER for issuer matching.
 */
import { abytes, equalBytes, hex } from './bytes.js';
import { decodeAlgorithmIdentifier, elementsOf, expectElement, fields, readOctetString, readOid, readSmallInt, type AlgorithmIdentifier } from './der.js';
import { ParseError } from './errors.js';
import { OID } from './oid.js';
import { childrenOf, decodeTlv, type Tlv } from './tlv.js';

/** Real PKI files carry BER oddities (non-minimal lengths); signatures cover the bytes as read. */
const MODE = 'lenient';

// ---------------------------------------------------------------------------------------------
// X.509 certificates (RFC 5280 §4.1)

export type KeyUsage =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

// RFC 5280 §4.2.1.3, in bit order
const KEY_USAGE_BITS: readonly KeyUsage[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

export interface CertificateInfo {
  readonly der: Uint8Array;
  /** tbsCertificate exactly as read: what the issuer signed. */
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  /** INTEGER value bytes as encoded. */
  readonly serialNumber: Uint8Array;
  /** Serial number in upper-case hex without leading zero octets. */
  readonly serialHex: string;
  /** DER of the issuer and subject Names, used for matching. */
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  /** RFC 4514-like text of the Names, for display only. */
  readonly issuerText: string;
  readonly subjectText: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  readonly subjectKeyId: Uint8Array | undefined;
  readonly authorityKeyId: Uint8Array | undefined;
  /** undefined when the certificate has no keyUsage extension. */
  readonly keyUsage: readonly KeyUsage[] | undefined;
  /** basicConstraints cA; undefined when the extension is absent. */
  readonly isCa: boolean | undefined;
  /** extKeyUsage purposes (RFC 5280 §4.2.1.12); undefined when absent. */
  readonly extKeyUsage: readonly string[] | undefined;
  /** privateKeyUsagePeriod (RFC 3280 §4.2.1.4, ICAO 9303-12 §7.1.1): when the key may sign. */
  readonly privateKeyUsagePeriod: { readonly notBefore: Date | undefined; readonly notAfter: Date | undefined } | undefined;
  /** documentTypeList of a Document Signer (ICAO 9303-12 §7.1.1.2); undefined when absent. */
  readonly documentTypes: readonly string[] | undefined;
  /** Critical extensions this verifier does not process: the certificate is unusable (RFC 5280 §4.2). */
  readonly unknownCriticalExtensions: readonly string[];
  /** countryName (C) of the subject, upper case; undefined when absent. */
  readonly country: string | undefined;
  /** commonName (CN) of the subject; undefined when absent. */
  readonly commonName: string | undefined;
}

/** Decodes a DER certificate; bad bytes give a ParseError. */
/**
 * Parsed certificates by their DER. Every EF.SOD of a Document Signer carries the same certificate;
 * a parse is kept for a copy of the bytes, so a caller reusing its buffer cannot change it.
 */
const CERT_CACHE_SIZE = 256;
const certCache = new Map<string, CertificateInfo>();

export function parseCertificate(der: Uint8Array): CertificateInfo {
  abytes(der, 'certificate');
  const id = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
  const cached = certCache.get(id);
  if (cached !== undefined) return cached;
  const info = parseCertificateUncached(der.slice());
  if (certCache.size >= CERT_CACHE_SIZE) certCache.delete(certCache.keys().next().value!);
  certCache.set(id, info);
  return info;
}

function parseCertificateUncached(der: Uint8Array): CertificateInfo {
  const outer = decodeTlv(der, MODE);
  const cert = fields(expectElement(outer, 0x30, 'Certificate'), MODE, 'Certificate');
  const tbsTlv = cert.take(0x30, 'tbsCertificate');
  const outerAlgorithm = cert.take(0x30, 'signatureAlgorithm');
  const signatureAlgorithm = decodeAlgorithmIdentifier(outerAlgorithm, MODE, 'Certificate.signatureAlgorithm');
  const signature = bitString(cert.take(0x03, 'signatureValue'), 'Certificate.signatureValue');
  cert.done();

  const tbs = fields(tbsTlv, MODE, 'TBSCertificate');
  tbs.maybe(0xa0); // version [0] EXPLICIT, v3 for every certificate this toolkit meets
  const serial = tbs.take(0x02, 'serialNumber');
  const innerAlgorithm = tbs.take(0x30, 'signature');
  // RFC 5280 §4.1.1.2: the outer signatureAlgorithm MUST equal the signed one
  if (!equalBytes(innerAlgorithm.raw, outerAlgorithm.raw)) {
    throw new ParseError('X509_ALGORITHM_MISMATCH', 'signatureAlgorithm differs from tbsCertificate.signature', {
      tag: outerAlgorithm.tag,
      offset: outerAlgorithm.offset,
      field: 'Certificate.signatureAlgorithm',
    });
  }
  const issuer = tbs.take(0x30, 'issuer');
  const validity = fields(tbs.take(0x30, 'validity'), MODE, 'Validity');
  const notBefore = readTime(validity.any('notBefore'), 'Validity.notBefore');
  const notAfter = readTime(validity.any('notAfter'), 'Validity.notAfter');
  validity.done();
  const subject = tbs.take(0x30, 'subject');
  const spki = tbs.take(0x30, 'subjectPublicKeyInfo');
  tbs.maybe(0x81); // issuerUniqueID
  tbs.maybe(0x82); // subjectUniqueID
  const ext = tbs.maybe(0xa3);
  tbs.done();
  const extensions = readExtensions(ext);
  const get = (oid: string): Tlv | undefined => extensions.get(oid)?.value;

  return Object.freeze({
    der: outer.raw,
    tbs: tbsTlv.raw,
    signatureAlgorithm,
    signature,
    serialNumber: serial.value,
    serialHex: serialHex(serial.value),
    issuer: issuer.raw,
    subject: subject.raw,
    issuerText: nameText(issuer),
    subjectText: nameText(subject),
    notBefore,
    notAfter,
    spki: spki.raw,
    subjectKeyId: mapExt(get(OID.subjectKeyIdentifier), (t) => readOctetString(t, MODE, 'subjectKeyIdentifier')),
    authorityKeyId: mapExt(get(OID.authorityKeyIdentifier), authorityKeyId),
    keyUsage: mapExt(get(OID.keyUsage), keyUsage),
    isCa: mapExt(get(OID.basicConstraints), basicConstraintsCa),
    extKeyUsage: mapExt(get(OID.extKeyUsage), (t) => Object.freeze(childrenOf(expectElement(t, 0x30, 'ExtKeyUsageSyntax'), MODE).map((c) => readOid(c, 'KeyPurposeId')))),
    privateKeyUsagePeriod: mapExt(get(OID.privateKeyUsagePeriod), privateKeyUsagePeriod),
    documentTypes: mapExt(get(OID.documentTypeList), documentTypeList),
    unknownCriticalExtensions: unknownCritical(extensions, CERTIFICATE_EXTENSIONS),
    country: nameAttribute(subject, OID.countryName)?.toUpperCase(),
    commonName: nameAttribute(subject, OID.commonName),
  });
}

interface Extension {
  readonly critical: boolean;
  readonly value: Tlv;
}

/** The certificate extensions this verifier processes; any other one marked critical makes the certificate unusable. */
const CERTIFICATE_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.keyUsage,
  OID.basicConstraints,
  OID.extKeyUsage,
  OID.privateKeyUsagePeriod,
  OID.documentTypeList,
]);
/** CRL extensions processed (RFC 5280 §5.2): authorityKeyIdentifier; cRLNumber is only informative. */
const CRL_EXTENSIONS: ReadonlySet<string> = new Set([OID.authorityKeyIdentifier, OID.crlNumber]);
/** CRL entry extensions processed (RFC 5280 §5.3): reasonCode and invalidityDate are informative. */
const CRL_ENTRY_EXTENSIONS: ReadonlySet<string> = new Set([OID.crlReason, OID.invalidityDate]);

function unknownCritical(extensions: ReadonlyMap<string, Extension>, known: ReadonlySet<string>): readonly string[] {
  return Object.freeze([...extensions].filter(([id, e]) => e.critical && !known.has(id)).map(([id]) => id));
}

/**
 * Extensions ::= SEQUENCE OF Extension { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }.
 * RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension".
 */
function readExtensions(wrapper: Tlv | undefined, explicit = true): Map<string, Extension> {
  const out = new Map<string, Extension>();
  if (wrapper === undefined) return out;
  const inner = explicit ? fields(wrapper, MODE, 'extensions') : undefined;
  const list = inner === undefined ? wrapper : inner.take(0x30, 'Extensions');
  for (const e of elementsOf(list, 0x30, MODE, 'Extensions')) {
    const f = fields(e, MODE, 'Extension');
    const idTlv = f.take(0x06, 'extnID');
    const id = readOid(idTlv, 'Extension.extnID');
    const flag = f.maybe(0x01);
    const value = f.take(0x04, 'extnValue');
    f.done();
    if (out.has(id)) {
      throw new ParseError('X509_DUPLICATE_EXTENSION', `extension ${id} appears twice (RFC 5280 §4.2)`, { tag: idTlv.tag, offset: idTlv.offset, field: 'Extension.extnID' });
    }
    const critical = flag !== undefined && flag.value.length === 1 && flag.value[0] !== 0;
    out.set(id, { critical, value: decodeTlv(value.value, MODE, value.valueOffset) });
  }
  inner?.done();
  return out;
}

/** PrivateKeyUsagePeriod ::= SEQUENCE { notBefore [0] GeneralizedTime OPTIONAL, notAfter [1] GeneralizedTime OPTIONAL } */
function privateKeyUsagePeriod(t: Tlv): { readonly notBefore: Date | undefined; readonly notAfter: Date | undefined } {
  const f = fields(expectElement(t, 0x30, 'PrivateKeyUsagePeriod'), MODE, 'PrivateKeyUsagePeriod');
  // [0] and [1] IMPLICIT GeneralizedTime
  const time = (x: Tlv | undefined, what: string) => (x === undefined ? undefined : readTime(x, what, 0x18));
  const notBefore = time(f.maybe(0x80), 'PrivateKeyUsagePeriod.notBefore');
  const notAfter = time(f.maybe(0x81), 'PrivateKeyUsagePeriod.notAfter');
  f.done();
  return Object.freeze({ notBefore, notAfter });
}

/** DocumentTypeListSyntax ::= SEQUENCE { version INTEGER, docTypeList SET OF PrintableString } (ICAO 9303-12 §7.1.1.2) */
function documentTypeList(t: Tlv): readonly string[] {
  const f = fields(expectElement(t, 0x30, 'DocumentTypeListSyntax'), MODE, 'DocumentTypeListSyntax');
  readSmallInt(f.take(0x02, 'version'), MODE, 'DocumentTypeListSyntax.version');
  const list = childrenOf(f.take(0x31, 'docTypeList'), MODE).map((c) => String.fromCharCode(...expectElement(c, 0x13, 'DocumentType').value));
  f.done();
  return Object.freeze(list);
}

/** The first value of an attribute type in a Name, as text. */
function nameAttribute(name: Tlv, type: string): string | undefined {
  for (const rdn of childrenOf(name, MODE)) {
    for (const atv of childrenOf(rdn, MODE)) {
      const [t, v] = childrenOf(atv, MODE);
      if (t?.tag === 0x06 && v !== undefined && readOid(t, 'AttributeTypeAndValue.type') === type) return stringValue(v);
    }
  }
  return undefined;
}

function mapExt<T>(t: Tlv | undefined, fn: (t: Tlv) => T): T | undefined {
  return t === undefined ? undefined : fn(t);
}

/** AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, ... } */
function authorityKeyId(t: Tlv): Uint8Array | undefined {
  return childrenOf(expectElement(t, 0x30, 'AuthorityKeyIdentifier'), MODE).find((c) => c.tag === 0x80)?.value;
}

function keyUsage(t: Tlv): readonly KeyUsage[] {
  const bits = bitString(t, 'keyUsage');
  return Object.freeze(KEY_USAGE_BITS.filter((_, i) => ((bits[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0));
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL } */
function basicConstraintsCa(t: Tlv): boolean {
  const ca = childrenOf(expectElement(t, 0x30, 'BasicConstraints'), MODE).find((c) => c.tag === 0x01);
  return ca !== undefined && ca.value.length === 1 && ca.value[0] !== 0;
}

/** BIT STRING contents without the unused-bits octet (X.690 §8.6.2). */
function bitString(t: Tlv, what: string): Uint8Array {
  expectElement(t, 0x03, what);
  if (t.value.length === 0 || t.value[0]! > 7) {
    throw new ParseError('X509_BAD_BIT_STRING', `${what}: malformed BIT STRING`, { tag: t.tag, offset: t.offset, field: what });
  }
  return t.value.subarray(1);
}

export function serialHex(value: Uint8Array): string {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  return hex(value.subarray(i)).toUpperCase();
}

/** UTCTime (YYMMDDHHMM[SS]Z, RFC 5280 §4.1.2.5.1: YY < 50 is 20YY) or GeneralizedTime (YYYYMMDDHHMMSS[.f]Z). */
export function readTime(t: Tlv, what: string, tag = t.tag): Date {
  const text = String.fromCharCode(...t.value);
  const m =
    tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(text)
      : tag === 0x18
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text)
        : null;
  if (m === null) {
    throw new ParseError('X509_BAD_TIME', `${what}: not a UTC UTCTime or GeneralizedTime`, { tag: t.tag, offset: t.offset, field: what });
  }
  const n = m.slice(1).map((x) => Number(x ?? '0'));
  const year = tag === 0x17 ? (n[0]! < 50 ? 2000 : 1900) + n[0]! : n[0]!;
  const date = new Date(Date.UTC(year, n[1]! - 1, n[2]!, n[3]!, n[4]!, n[5]!));
  if (date.getUTCMonth() !== n[1]! - 1 || date.getUTCDate() !== n[2]! || n[3]! > 23 || n[4]! > 59 || n[5]! > 59) {
    throw new ParseError('X509_BAD_TIME', `${what}: no such date ${text}`, { tag: t.tag, offset: t.offset, field: what });
  }
  return date;
}

const NAME_LABELS: ReadonlyMap<string, string> = new Map([
  [OID.commonName, 'CN'],
  [OID.serialNumberAttribute, 'serialNumber'],
  [OID.countryName, 'C'],
  [OID.localityName, 'L'],
  [OID.stateOrProvinceName, 'ST'],
  [OID.organizationName, 'O'],
  [OID.organizationalUnitName, 'OU'],
]);

/** Display text of a Name, most significant RDN first; never used for matching. */
function nameText(name: Tlv): string {
  const parts: string[] = [];
  for (const rdn of childrenOf(name, MODE)) {
    for (const atv of childrenOf(rdn, MODE)) {
      const f = fields(atv, MODE, 'AttributeTypeAndValue');
      const type = readOid(f.take(0x06, 'type'), 'AttributeTypeAndValue.type');
      const value = f.any('value');
      parts.push(`${NAME_LABELS.get(type) ?? type}=${stringValue(value)}`);
    }
  }
  return parts.join(', ');
}

/** BMPString is UTF-16BE (X.690 §8.23.8); the other DirectoryString types are ASCII subsets or UTF-8. */
function stringValue(value: Tlv): string {
  if (value.tag !== 0x1e) return Buffer.from(value.value).toString('utf8');
  if (value.value.length % 2 !== 0) {
    throw new ParseError('X509_BAD_STRING', 'BMPString of odd length', { tag: value.tag, offset: value.offset, field: 'Name' });
  }
  return Buffer.from(value.value).swap16().toString('utf16le');
}

// ---------------------------------------------------------------------------------------------
// CRLs (RFC 5280 §5.1; ICAO 9303-12 §7)

export interface RevokedEntry {
  readonly serialHex: string;
  readonly revocationDate: Date;
}

export interface CrlInfo {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly issuer: Uint8Array;
  readonly issuerText: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly authorityKeyId: Uint8Array | undefined;
  readonly revoked: readonly RevokedEntry[];
  /** tbsCertList.signature equals signatureAlgorithm (RFC 5280 §5.1.1.2). */
  readonly algorithmsMatch: boolean;
  /** Critical CRL or CRL entry extensions not processed: the CRL must not be used (RFC 5280 §5.2, §5.3). */
  readonly unknownCriticalExtensions: readonly string[];
}

export function parseCrl(der: Uint8Array): CrlInfo {
  const outer = decodeTlv(der, MODE);
  const list = fields(expectElement(outer, 0x30, 'CertificateList'), MODE, 'CertificateList');
  const tbsTlv = list.take(0x30, 'tbsCertList');
  const outerAlgorithm = list.take(0x30, 'signatureAlgorithm');
  const signatureAlgorithm = decodeAlgorithmIdentifier(outerAlgorithm, MODE, 'CertificateList.signatureAlgorithm');
  const signature = bitString(list.take(0x03, 'signatureValue'), 'CertificateList.signatureValue');
  list.done();

  const tbs = fields(tbsTlv, MODE, 'TBSCertList');
  const version = tbs.maybe(0x02);
  if (version !== undefined) readSmallInt(version, MODE, 'TBSCertList.version');
  const innerAlgorithm = tbs.take(0x30, 'signature');
  const issuer = tbs.take(0x30, 'issuer');
  const thisUpdate = readTime(tbs.any('thisUpdate'), 'TBSCertList.thisUpdate');
  const nu = tbs.maybe(0x17) ?? tbs.maybe(0x18);
  const entries = tbs.maybe(0x30);
  const ext = tbs.maybe(0xa0);
  tbs.done();
  const unknown: string[] = [];
  const revoked = (entries === undefined ? [] : elementsOf(entries, 0x30, MODE, 'revokedCertificates')).map((e) => {
    const f = fields(e, MODE, 'revokedCertificate');
    const serial = f.take(0x02, 'userCertificate');
    const revocationDate = readTime(f.any('revocationDate'), 'revokedCertificate.revocationDate');
    unknown.push(...unknownCritical(readExtensions(f.maybe(0x30), false), CRL_ENTRY_EXTENSIONS));
    f.done();
    return Object.freeze({ serialHex: serialHex(serial.value), revocationDate });
  });
  const extensions = readExtensions(ext);
  unknown.push(...unknownCritical(extensions, CRL_EXTENSIONS));
  return Object.freeze({
    der: outer.raw,
    tbs: tbsTlv.raw,
    signatureAlgorithm,
    signature,
    issuer: issuer.raw,
    issuerText: nameText(issuer),
    thisUpdate,
    nextUpdate: nu === undefined ? undefined : readTime(nu, 'TBSCertList.nextUpdate'),
    authorityKeyId: mapExt(extensions.get(OID.authorityKeyIdentifier)?.value, authorityKeyId),
    revoked: Object.freeze(revoked),
    algorithmsMatch: equalBytes(innerAlgorithm.raw, outerAlgorithm.raw),
    unknownCriticalExtensions: Object.freeze([...new Set(unknown)]),
  });
}
