/**
 * The inspection system's trust anchors: CSCA certificates, CSCA master lists and CRLs, as
 * ICAO 9303-12 (8th ed.) §5 (certificates), §7 (CRLs) and §9 (master lists) define them.
 * Issuers are found by the DER of the Name and by key identifiers (RFC 5280 §4.2.1.1-2),
 * never by comparing DN strings. The X.509 fields are read with the shared DER codec, so
 * the exact signed bytes (tbsCertificate, tbsCertList) are kept for signature checks.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { decodeMasterList } from '../crypto/masterlist.js';
import { decodeRevocationList, findRevokedDocument, type RevocationList, type RevokedDocument } from '../crypto/revocation-list.js';
import { verifySignature, verifySignerInfo } from '../crypto/signature.js';
import { ascii, equalBytes, hex } from '../lds/bytes.js';
import { decodeSignedData, type SignedData, type SignerInfo } from '../lds/cms.js';
import { decodeAlgorithmIdentifier, elementsOf, expectElement, fields, readOctetString, readOid, readSmallInt, type AlgorithmIdentifier } from '../lds/der.js';
import { attempt, ParseError } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import { childrenOf, decodeTlv, type Tlv } from '../lds/tlv.js';

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
}

/** Decodes a DER certificate; bad bytes give a ParseError. */
/**
 * Parsed certificates by their DER. Every EF.SOD of a Document Signer carries the same certificate;
 * a parse is kept for a copy of the bytes, so a caller reusing its buffer cannot change it.
 */
const CERT_CACHE_SIZE = 256;
const certCache = new Map<string, CertificateInfo>();

export function parseCertificate(der: Uint8Array): CertificateInfo {
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
  const extensions = ext === undefined ? new Map<string, Tlv>() : readExtensions(ext);

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
    subjectKeyId: mapExt(extensions.get(OID.subjectKeyIdentifier), (t) => readOctetString(t, MODE, 'subjectKeyIdentifier')),
    authorityKeyId: mapExt(extensions.get(OID.authorityKeyIdentifier), authorityKeyId),
    keyUsage: mapExt(extensions.get(OID.keyUsage), keyUsage),
    isCa: mapExt(extensions.get(OID.basicConstraints), basicConstraintsCa),
  });
}

/** Extensions ::= SEQUENCE OF Extension { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function readExtensions(wrapper: Tlv): Map<string, Tlv> {
  const out = new Map<string, Tlv>();
  const inner = fields(wrapper, MODE, 'extensions');
  for (const e of elementsOf(inner.take(0x30, 'Extensions'), 0x30, MODE, 'Extensions')) {
    const f = fields(e, MODE, 'Extension');
    const id = readOid(f.take(0x06, 'extnID'), 'Extension.extnID');
    f.maybe(0x01);
    const value = f.take(0x04, 'extnValue');
    f.done();
    out.set(id, decodeTlv(value.value, MODE, value.valueOffset));
  }
  inner.done();
  return out;
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

function serialHex(value: Uint8Array): string {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  return hex(value.subarray(i)).toUpperCase();
}

/** UTCTime (YYMMDDHHMM[SS]Z, RFC 5280 §4.1.2.5.1: YY < 50 is 20YY) or GeneralizedTime (YYYYMMDDHHMMSS[.f]Z). */
export function readTime(t: Tlv, what: string): Date {
  const text = String.fromCharCode(...t.value);
  const m =
    t.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(text)
      : t.tag === 0x18
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text)
        : null;
  if (m === null) {
    throw new ParseError('X509_BAD_TIME', `${what}: not a UTC UTCTime or GeneralizedTime`, { tag: t.tag, offset: t.offset, field: what });
  }
  const n = m.slice(1).map((x) => Number(x ?? '0'));
  const year = t.tag === 0x17 ? (n[0]! < 50 ? 2000 : 1900) + n[0]! : n[0]!;
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
}

export function parseCrl(der: Uint8Array): CrlInfo {
  const outer = decodeTlv(der, MODE);
  const list = fields(expectElement(outer, 0x30, 'CertificateList'), MODE, 'CertificateList');
  const tbsTlv = list.take(0x30, 'tbsCertList');
  const signatureAlgorithm = decodeAlgorithmIdentifier(list.take(0x30, 'signatureAlgorithm'), MODE, 'CertificateList.signatureAlgorithm');
  const signature = bitString(list.take(0x03, 'signatureValue'), 'CertificateList.signatureValue');
  list.done();

  const tbs = fields(tbsTlv, MODE, 'TBSCertList');
  const version = tbs.maybe(0x02);
  if (version !== undefined) readSmallInt(version, MODE, 'TBSCertList.version');
  tbs.take(0x30, 'signature');
  const issuer = tbs.take(0x30, 'issuer');
  const thisUpdate = readTime(tbs.any('thisUpdate'), 'TBSCertList.thisUpdate');
  const nu = tbs.maybe(0x17) ?? tbs.maybe(0x18);
  const entries = tbs.maybe(0x30);
  const ext = tbs.maybe(0xa0);
  tbs.done();
  const revoked = (entries === undefined ? [] : elementsOf(entries, 0x30, MODE, 'revokedCertificates')).map((e) => {
    const f = fields(e, MODE, 'revokedCertificate');
    const serial = f.take(0x02, 'userCertificate');
    const revocationDate = readTime(f.any('revocationDate'), 'revokedCertificate.revocationDate');
    f.maybe(0x30);
    f.done();
    return Object.freeze({ serialHex: serialHex(serial.value), revocationDate });
  });
  const extensions = ext === undefined ? new Map<string, Tlv>() : readExtensions(ext);
  return Object.freeze({
    der: outer.raw,
    tbs: tbsTlv.raw,
    signatureAlgorithm,
    signature,
    issuer: issuer.raw,
    issuerText: nameText(issuer),
    thisUpdate,
    nextUpdate: nu === undefined ? undefined : readTime(nu, 'TBSCertList.nextUpdate'),
    authorityKeyId: mapExt(extensions.get(OID.authorityKeyIdentifier), authorityKeyId),
    revoked: Object.freeze(revoked),
  });
}

// ---------------------------------------------------------------------------------------------
// PEM and content sniffing

export type PkiFileKind = 'certificate' | 'crl' | 'master-list' | 'revocation-list';

/** The DER blocks of a PEM text (RFC 7468), with their labels. */
export function decodePem(text: string): { label: string; der: Uint8Array }[] {
  const out: { label: string; der: Uint8Array }[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)) {
    out.push({ label: m[1]!, der: new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64')) });
  }
  return out;
}

/**
 * What a DER object is, from its shape: a ContentInfo starts with an OID; a CertificateList's
 * tbs holds a Time (thisUpdate) directly, a TBSCertificate keeps its Times inside Validity.
 */
export function sniffDer(der: Uint8Array): PkiFileKind {
  const outer = decodeTlv(der, MODE);
  const first = childrenOf(expectElement(outer, 0x30, 'PKI object'), MODE)[0];
  if (first?.tag === 0x06) return cmsKind(der);
  if (first?.tag !== 0x30) {
    throw new ParseError('PKI_UNKNOWN_OBJECT', 'not a certificate, CRL or CMS object', { tag: first?.tag, offset: outer.offset });
  }
  return childrenOf(first, MODE).some((t) => t.tag === 0x17 || t.tag === 0x18) ? 'crl' : 'certificate';
}

/** A ContentInfo is a revocation list by its eContentType; anything else is taken for a master list. */
function cmsKind(der: Uint8Array): PkiFileKind {
  const sd = attempt(() => decodeSignedData(der, MODE));
  return sd.ok && sd.value.contentType === OID.cancuocRevocationList ? 'revocation-list' : 'master-list';
}

function isPem(bytes: Uint8Array): boolean {
  return String.fromCharCode(...bytes.subarray(0, 200)).includes('-----BEGIN ');
}

function pemText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The DER objects in a file: every PEM block, or the file itself. */
function derObjects(input: Uint8Array | string): Uint8Array[] {
  const bytes = typeof input === 'string' ? ascii(input) : input;
  if (!isPem(bytes)) return [bytes];
  const blocks = decodePem(pemText(bytes));
  if (blocks.length === 0) throw new ParseError('PEM_INVALID', 'PEM text without a complete block', { offset: 0 });
  return blocks.map((b) => b.der);
}

// ---------------------------------------------------------------------------------------------
// Issuer matching and CMS signers

/** Whether `issuer` may have issued `child`: DER-equal names, and equal key identifiers where both exist. */
export function mayHaveIssued(issuer: CertificateInfo, child: { issuer: Uint8Array; authorityKeyId: Uint8Array | undefined }): boolean {
  if (!equalBytes(issuer.subject, child.issuer)) return false;
  if (child.authorityKeyId !== undefined && issuer.subjectKeyId !== undefined) {
    return equalBytes(child.authorityKeyId, issuer.subjectKeyId);
  }
  return true;
}

/** RFC 5652 §5.3 SignerIdentifier against a certificate (serials compared without leading zeros). */
export function identifiesSigner(signerInfo: SignerInfo, cert: CertificateInfo): boolean {
  const sid = signerInfo.sid;
  if (sid.kind === 'subjectKeyIdentifier') return cert.subjectKeyId !== undefined && equalBytes(cert.subjectKeyId, sid.keyIdentifier);
  return equalBytes(sid.issuer, cert.issuer) && serialHex(sid.serialNumber) === cert.serialHex;
}

export interface CmsSigner {
  readonly signerInfo: SignerInfo;
  /** The certificate the SignerInfo names, or undefined when SignedData does not carry it. */
  readonly certificate: CertificateInfo | undefined;
  /** Why no certificate was found (none matching, or the matching one does not parse). */
  readonly problem: string | undefined;
}

/** The first SignerInfo and the certificate it names among SignedData.certificates. */
export function findCmsSigner(signedData: SignedData): CmsSigner | undefined {
  const signerInfo = signedData.signerInfos[0];
  if (signerInfo === undefined) return undefined;
  const parsed = signedData.certificates.map((der) => attempt(() => parseCertificate(der)));
  for (const p of parsed) {
    if (p.ok && identifiesSigner(signerInfo, p.value)) return Object.freeze({ signerInfo, certificate: p.value, problem: undefined });
  }
  const broken = parsed.find((p) => !p.ok);
  const problem =
    signedData.certificates.length === 0
      ? 'SignedData carries no certificate'
      : broken !== undefined && !broken.ok
        ? `no certificate matches the signer; one does not parse: ${broken.error.message}`
        : 'no certificate in SignedData matches the SignerInfo sid';
  return Object.freeze({ signerInfo, certificate: undefined, problem });
}

/**
 * Whether `issuer` signed `cert` (signature over tbsCertificate as read). The answer is
 * remembered per issuer for frozen objects, which is what the parsers here return:
 * parseCertificate hands out one per DER, with its own copy of the bytes, so the chain of a
 * Document Signer shared by many cards is verified once.
 */
export function isSignedBy(cert: { tbs: Uint8Array; signatureAlgorithm: AlgorithmIdentifier; signature: Uint8Array }, issuer: CertificateInfo): boolean {
  const frozen = Object.isFrozen(cert);
  let known = signedByCache.get(issuer);
  if (known === undefined) signedByCache.set(issuer, (known = new WeakMap()));
  const cached = frozen ? known.get(cert) : undefined;
  if (cached !== undefined) return cached;
  const result = verifySignature({ spki: issuer.spki, algorithm: cert.signatureAlgorithm, data: cert.tbs, signature: cert.signature }) === true;
  if (frozen) known.set(cert, result);
  return result;
}

const signedByCache = new WeakMap<CertificateInfo, WeakMap<object, boolean>>();

// ---------------------------------------------------------------------------------------------
// The store

export interface MasterListReport {
  /** The CMS signature (and signed attributes) verify with the master-list signer's certificate. */
  readonly signatureValid: boolean;
  /** The signer certificate was issued, and signed, by a CSCA the store trusted before. */
  readonly signerTrusted: boolean;
  readonly signer: string | undefined;
  readonly loaded: boolean;
  readonly reason: string;
  /** Certificates added to the store (0 when not loaded). */
  readonly added: number;
  /** Entries of certList that do not parse, by index. */
  readonly skipped: readonly { readonly index: number; readonly reason: string }[];
}

export interface CrlReport {
  readonly accepted: boolean;
  readonly reason: string;
  readonly crl: CrlInfo;
}

export interface RevocationListReport {
  /** Signature valid and signer issued by a trusted CSCA: the list is consulted. */
  readonly accepted: boolean;
  /** `at` lies between thisUpdate and nextUpdate. */
  readonly current: boolean;
  readonly reason: string;
  readonly signer: string | undefined;
  readonly list: RevocationList;
}

export interface LoadedFile {
  readonly file: string;
  readonly kind: PkiFileKind | 'unknown';
  readonly ok: boolean;
  readonly detail: string;
}

const PKI_EXTENSIONS: ReadonlySet<string> = new Set(['.pem', '.crt', '.cer', '.der', '.crl', '.ml', '.rl', '.bin', '.p7b', '.p7m', '.p7c']);

/** ICAO 9303-12 §7.1.1: a CSCA is a CA certificate allowed to sign certificates. */
function isAnchor(cert: CertificateInfo): boolean {
  return cert.isCa !== false && (cert.keyUsage === undefined || cert.keyUsage.includes('keyCertSign'));
}

/**
 * CSCA certificates, checked CRLs and the master lists they came from. Adding is explicit;
 * lookups answer by DER name and key identifier.
 */
export class TrustStore {
  readonly #cscas: CertificateInfo[] = [];
  readonly #signers: CertificateInfo[] = [];
  readonly #crls: { crl: CrlInfo; csca: CertificateInfo }[] = [];
  readonly #revocationLists: RevocationList[] = [];

  get cscas(): readonly CertificateInfo[] {
    return Object.freeze([...this.#cscas]);
  }

  get crls(): readonly CrlInfo[] {
    return Object.freeze(this.#crls.map((c) => c.crl));
  }

  /** Adds CSCA certificates from DER or PEM (several blocks allowed). Returns those added. */
  addCertificates(input: Uint8Array | string): readonly CertificateInfo[] {
    const certs = derObjects(input).map(parseCertificate);
    for (const c of certs) if (!isAnchor(c) && !this.#signers.some((k) => equalBytes(k.der, c.der))) this.#signers.push(c);
    return Object.freeze(certs.filter((c) => this.#addCsca(c)));
  }

  /**
   * Signer certificates given with the trust material (e.g. a VDS seal signer, which a seal names
   * but does not carry). They are looked up by reference, never trusted by themselves: each must
   * still chain to a CSCA.
   */
  get signerCertificates(): readonly CertificateInfo[] {
    return Object.freeze([...this.#signers]);
  }

  /**
   * A trust anchor must be a CA certificate allowed to sign certificates (ICAO 9303-12 §7.1.1:
   * basicConstraints cA, keyUsage keyCertSign); a Document Signer or seal signer certificate that
   * sits in the same folder is never made an anchor.
   */
  #addCsca(cert: CertificateInfo): boolean {
    if (!isAnchor(cert)) return false;
    if (this.#cscas.some((c) => equalBytes(c.der, cert.der))) return false;
    this.#cscas.push(cert);
    return true;
  }

  /** The trusted CSCAs that may have issued `child` (several across key rollover). */
  issuersOf(child: { issuer: Uint8Array; authorityKeyId: Uint8Array | undefined }): readonly CertificateInfo[] {
    return Object.freeze(this.#cscas.filter((c) => mayHaveIssued(c, child)));
  }

  /** The accepted CRLs signed by `csca`. */
  crlsOf(csca: CertificateInfo): readonly CrlInfo[] {
    return Object.freeze(this.#crls.filter((c) => c.csca === csca || equalBytes(c.csca.der, csca.der)).map((c) => c.crl));
  }

  /** Adds a CRL (DER or PEM) if a trusted CSCA signed it (ICAO 9303-12 §7). */
  addCrl(input: Uint8Array | string): CrlReport {
    const [der] = derObjects(input);
    const crl = parseCrl(der!);
    const report = (accepted: boolean, reason: string): CrlReport => Object.freeze({ accepted, reason, crl });
    const candidates = this.issuersOf(crl);
    if (candidates.length === 0) return report(false, 'issuer not trusted');
    const csca = candidates.find((c) => isSignedBy(crl, c));
    if (csca === undefined) return report(false, 'CRL signature does not verify with its CSCA');
    if (csca.keyUsage !== undefined && !csca.keyUsage.includes('cRLSign')) return report(false, 'CSCA key usage lacks cRLSign');
    if (!this.#crls.some((c) => equalBytes(c.crl.der, crl.der))) this.#crls.push({ crl, csca });
    return report(true, `signed by ${csca.subjectText}`);
  }

  /**
   * Adds the CSCAs of a master list (ICAO 9303-12 §9: SignedData, eContentType
   * id-icao-cscaMasterList, CscaMasterList ::= SEQUENCE { version, certList SET OF Certificate }).
   * Loaded only when its signature verifies and its signer chains to a CSCA already trusted,
   * unless `acceptUnverified` is set.
   */
  addMasterList(input: Uint8Array, options: { acceptUnverified?: boolean } = {}): MasterListReport {
    const [der] = derObjects(input);
    const ml = decodeMasterList(der!, MODE);
    const sd = ml.signedData;
    const parsed = ml.certificates.map((c) => attempt(() => parseCertificate(c)));

    const signer = findCmsSigner(sd);
    const check = signer?.certificate === undefined ? undefined : verifySignerInfo(sd, signer.signerInfo, signer.certificate.spki);
    const signatureValid = check !== undefined && check.signature === true && (check.attributes?.ok ?? true);
    const signerCert = signer?.certificate;
    const signerTrusted = signerCert !== undefined && this.issuersOf(signerCert).some((c) => isSignedBy(signerCert, c));
    const reason = !signatureValid
      ? (signer?.problem ?? (check?.attributes?.ok === false ? check.attributes.reason : 'master list signature does not verify'))
      : signerTrusted
        ? 'signature valid, signer issued by a trusted CSCA'
        : 'signature valid, but the signer does not chain to a trusted CSCA';
    const loaded = (signatureValid && signerTrusted) || options.acceptUnverified === true;
    let added = 0;
    if (loaded) for (const p of parsed) if (p.ok && this.#addCsca(p.value)) added++;
    const skipped = parsed.flatMap((p, index) => (p.ok ? [] : [Object.freeze({ index, reason: p.error.message })]));
    return Object.freeze({
      signatureValid,
      signerTrusted,
      signer: signerCert?.subjectText,
      loaded,
      reason,
      added,
      skipped: Object.freeze(skipped),
    });
  }

  /**
   * Adds a cancuoc document revocation list (docs/revocation-list.md) when its CMS signature
   * verifies and its signer was issued, and signed, by a trusted CSCA with a key meant for
   * digital signatures. A list past nextUpdate is still consulted (a revocation stays true) but
   * reported as not current.
   */
  addRevocationList(input: Uint8Array, options: { at?: Date } = {}): RevocationListReport {
    const [der] = derObjects(input);
    const list = decodeRevocationList(der!);
    const at = options.at ?? new Date();
    const signer = findCmsSigner(list.signedData);
    const cert = signer?.certificate;
    const check = cert === undefined ? undefined : verifySignerInfo(list.signedData, signer!.signerInfo, cert.spki);
    const signatureValid = check !== undefined && check.signature === true && check.attributes?.ok === true;
    const chained = cert !== undefined && this.issuersOf(cert).some((c) => isSignedBy(cert, c));
    const usageOk = cert?.keyUsage === undefined || cert.keyUsage.includes('digitalSignature');
    const current = list.thisUpdate <= at && at < list.nextUpdate;
    const reason = !signatureValid
      ? (signer?.problem ?? (check?.attributes?.ok === false ? check.attributes.reason : 'revocation list signature does not verify'))
      : !chained
        ? 'signature valid, but the signer does not chain to a trusted CSCA'
        : !usageOk
          ? 'signer key usage lacks digitalSignature'
          : `signed by ${cert!.subjectText}, ${list.documents.length} document(s)${current ? '' : ', not current (outside thisUpdate..nextUpdate)'}`;
    const accepted = signatureValid && chained && usageOk;
    if (accepted && !this.#revocationLists.some((l) => equalBytes(l.signedData.raw, list.signedData.raw))) this.#revocationLists.push(list);
    return Object.freeze({ accepted, current, reason, signer: cert?.subjectText, list });
  }

  get revocationLists(): readonly RevocationList[] {
    return Object.freeze([...this.#revocationLists]);
  }

  /**
   * The accepted-list entry revoking a document, by document number and, best, the SHA-256 of
   * its EF.SOD: an entry carrying a SOD hash then matches only that card, not a later card that
   * reuses the document number (on the CCCD it is derived from the ID number).
   */
  revocationOf(query: { readonly documentNumber?: string; readonly sodHash?: Uint8Array }): RevokedDocument | undefined {
    for (const list of this.#revocationLists) {
      const found = findRevokedDocument(list.documents, query);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Whether an accepted list revokes the document: a document number or the SHA-256 of EF.SOD. */
  isDocumentRevoked(documentNumberOrSodHash: string | Uint8Array): boolean {
    const query = typeof documentNumberOrSodHash === 'string' ? { documentNumber: documentNumberOrSodHash } : { sodHash: documentNumberOrSodHash };
    return this.revocationOf(query) !== undefined;
  }

  /** Adds one file's content by what it is: PEM label or DER shape. */
  add(input: Uint8Array, options: { acceptUnverified?: boolean } = {}): LoadedFile {
    const kind = pkiFileKind(input);
    if (kind === 'certificate') {
      const total = derObjects(input).length;
      const n = this.addCertificates(input).length;
      return loaded('', kind, n > 0, `${n} of ${total} certificate(s) added as CSCA${n < total ? ' (the others are not CA certificates, or were present: kept as signer certificates only)' : ''}`);
    }
    if (kind === 'crl') {
      const r = this.addCrl(input);
      return loaded('', kind, r.accepted, r.reason);
    }
    if (kind === 'revocation-list') {
      const r = this.addRevocationList(input);
      return loaded('', kind, r.accepted, r.reason);
    }
    const r = this.addMasterList(input, options);
    return loaded('', kind, r.loaded, `${r.reason}; ${r.added} certificate(s) added`);
  }

  /**
   * Loads every PKI file of a directory (by extension, then by content): certificates first,
   * then master lists, CRLs and revocation lists, so that each can be checked against what came before.
   * A file that fails is reported, not thrown.
   */
  async loadDirectory(path: string, options: { acceptUnverified?: boolean } = {}): Promise<readonly LoadedFile[]> {
    const names = (await readdir(path, { withFileTypes: true }))
      .filter((d) => d.isFile() && PKI_EXTENSIONS.has(extname(d.name).toLowerCase()))
      .map((d) => d.name)
      .sort();
    const files = await Promise.all(names.map(async (name) => ({ name, bytes: new Uint8Array(await readFile(join(path, name))) })));
    const kinds = files.map((f) => ({ ...f, kind: attempt(() => pkiFileKind(f.bytes)) }));
    const report: LoadedFile[] = [];
    for (const f of kinds) if (!f.kind.ok) report.push(loaded(f.name, 'unknown', false, f.kind.error.message));
    for (const order of KIND_ORDER) {
      for (const f of kinds) {
        if (!f.kind.ok || f.kind.value !== order) continue;
        const r = attempt(() => this.add(f.bytes, options));
        report.push(r.ok ? { ...r.value, file: f.name } : loaded(f.name, order, false, r.error.message));
      }
    }
    return Object.freeze(report.map((r) => Object.freeze(r)));
  }
}

/** Load order: each kind is checked against the anchors loaded before it. */
export const KIND_ORDER: readonly PkiFileKind[] = Object.freeze(['certificate', 'master-list', 'crl', 'revocation-list']);

function loaded(file: string, kind: LoadedFile['kind'], ok: boolean, detail: string): LoadedFile {
  return Object.freeze({ file, kind, ok, detail });
}

/** What a PKI file holds, from its PEM label or DER shape. */
export function pkiFileKind(input: Uint8Array): PkiFileKind {
  if (isPem(input)) {
    const label = decodePem(pemText(input))[0]?.label;
    if (label === 'X509 CRL') return 'crl';
    if (label === 'CMS' || label === 'PKCS7') return cmsKind(decodePem(pemText(input))[0]!.der);
    if (label === 'CERTIFICATE' || label === 'TRUSTED CERTIFICATE') return 'certificate';
    throw new ParseError('PEM_INVALID', `PEM label ${label ?? '(none)'} is not a certificate, CRL or CMS`, { offset: 0 });
  }
  return sniffDer(input);
}
