/**
 * Certificates of the country PKI, ICAO 9303-12 (8th ed.) §7.1 on RFC 5280: the CSCA (self-signed),
 * the Document Signer, the VDS seal (bar code) signer and the master list signer. The TBSCertificate
 * is built with @peculiar/asn1-x509, signed by a Signer, and written as DER.
 */
import { randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier as X509AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  PrivateKeyUsagePeriod,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_privateKeyUsagePeriod,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { abytes, ascii, equalBytes } from '../lds/bytes.js';
import { encodeAlgorithmIdentifier, encodeInteger, encodeSetOf, fields, type AlgorithmIdentifier } from '../lds/der.js';
import { ParseError } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import { decodeTlv, encodeTlv } from '../lds/tlv.js';
import { parseCertificate } from '../lds/x509.js';
import { ahash, digest, signatureAlgorithmIdentifier, SUITES, type HashName } from './algorithms.js';
import type { Signer } from './signer.js';

export type CertificateRole = 'csca' | 'ds' | 'seal' | 'mlsigner';

/** Subject names: C first, as ICAO 9303-12 §7.1.1 requires for CSCA and signer names. */
export interface DistinguishedName {
  /** ISO 3166-1 alpha-2 code of the issuing state, upper case (e.g. VN). */
  readonly country: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly commonName?: string;
  readonly serialNumber?: string;
}

export interface CertificateRequest {
  readonly role: CertificateRole;
  readonly subject: DistinguishedName;
  /** DER SubjectPublicKeyInfo of the subject; for a CSCA, defaults to the signer's own key. */
  readonly subjectPublicKey?: Uint8Array;
  /** The issuing CSCA's certificate (DER); omitted for the self-signed CSCA. */
  readonly issuerCertificate?: Uint8Array;
  /** The issuer's key (the subject's own key for a self-signed CSCA). */
  readonly signer: Signer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** privateKeyUsagePeriod (2.5.29.16); ICAO 9303-12 §7.1.1.1 wants it on CSCA and DS. */
  readonly privateKeyUsage?: { readonly notBefore: Date; readonly notAfter: Date };
  /** Document Signer: the MRZ document types it may sign (documentTypeList), e.g. ['ID']. */
  readonly documentTypes?: readonly string[];
  /** Defaults to the signer suite's hash. */
  readonly hash?: HashName;
  /** Positive INTEGER content bytes; defaults to `randomSerial()`. */
  readonly serialNumber?: Uint8Array;
}

/** Issues one certificate and returns its DER. */
export async function issueCertificate(req: CertificateRequest): Promise<Uint8Array> {
  const role = arole(req.role);
  if (typeof req.signer?.sign !== 'function') throw new TypeError('"signer" expected a Signer');
  const selfSigned = req.issuerCertificate === undefined;
  if (selfSigned !== (role === 'csca')) {
    throw new TypeError(`"issuerCertificate" ${role === 'csca' ? 'must be omitted for a CSCA' : `is required for a ${role}`}`);
  }
  const spki = abytes(req.subjectPublicKey ?? (selfSigned ? req.signer.publicKeySpki : undefined), 'subjectPublicKey');
  adate(req.notBefore, 'notBefore');
  adate(req.notAfter, 'notAfter');
  if (req.notAfter <= req.notBefore) throw new RangeError('"notAfter" must be later than "notBefore"');
  const subject = encodeName(req.subject);
  const issuer = selfSigned ? undefined : issuerOf(req.issuerCertificate!);
  if (issuer !== undefined && !equalBytes(issuer.spki, req.signer.publicKeySpki)) {
    throw new RangeError('"signer" does not hold the key of "issuerCertificate"');
  }
  const hash = req.hash === undefined ? undefined : ahash(req.hash);
  const sigAlg = signatureAlgorithmIdentifier(req.signer.suite, hash);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(req.serialNumber === undefined ? randomSerial() : aserial(req.serialNumber)),
    signature: toX509Algorithm(sigAlg),
    issuer: issuer?.name ?? subject,
    validity: new Validity({ notBefore: req.notBefore, notAfter: req.notAfter }),
    subject,
    subjectPublicKeyInfo: parseSpki(spki),
    extensions: new Extensions(roleExtensions(req, role, spki, issuer?.keyId ?? keyIdentifier(spki))),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = await req.signer.sign(tbsDer, hash ?? SUITES[req.signer.suite].hash);
  return signedStructure(tbsDer, sigAlg, signature);
}

/** Certificate / CertificateList ::= SEQUENCE { tbs, signatureAlgorithm, BIT STRING } (RFC 5280 §4.1, §5.1). */
export function signedStructure(tbsDer: Uint8Array, sigAlg: AlgorithmIdentifier, signature: Uint8Array): Uint8Array {
  return encodeTlv(0x30, tbsDer, encodeAlgorithmIdentifier(sigAlg), encodeTlv(0x03, Uint8Array.of(0), signature));
}

function roleExtensions(req: CertificateRequest, role: CertificateRole, spki: Uint8Array, issuerKeyId: Uint8Array): Extension[] {
  const exts: Extension[] = [];
  // RFC 5280 §4.2.1.1 / §4.2.1.2; ICAO 9303-12 §7.1.1 Table 6: AKI and SKI on every certificate.
  exts.push(ext(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuerKeyId) })));
  exts.push(ext(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(spki))));
  const usage = role === 'csca' ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign : KeyUsageFlags.digitalSignature;
  exts.push(ext(id_ce_keyUsage, true, new KeyUsage(usage)));
  if (req.privateKeyUsage !== undefined) {
    const { notBefore, notAfter } = req.privateKeyUsage;
    // GeneralizedTime without fractional seconds (RFC 5280 §4.1.2.5.2)
    const seconds = (d: Date, name: string): Date => new Date(Math.floor(adate(d, name).getTime() / 1000) * 1000);
    const period = { notBefore: seconds(notBefore, 'privateKeyUsage.notBefore'), notAfter: seconds(notAfter, 'privateKeyUsage.notAfter') };
    exts.push(ext(id_ce_privateKeyUsagePeriod, false, new PrivateKeyUsagePeriod(period)));
  }
  if (role === 'csca') {
    // ICAO 9303-12 §7.1.1: CSCA is a CA that issues only end-entity certificates.
    exts.push(ext(id_ce_basicConstraints, true, new BasicConstraints({ cA: true, pathLenConstraint: 0 })));
  }
  if (role === 'ds' && req.documentTypes !== undefined) {
    exts.push(rawExt(OID.documentTypeList, false, encodeDocumentTypeList(req.documentTypes)));
  }
  if (role === 'mlsigner') exts.push(ext(id_ce_extKeyUsage, false, new ExtendedKeyUsage([OID.cscaMasterListSigningKey])));
  if (role === 'seal') exts.push(ext(id_ce_extKeyUsage, false, new ExtendedKeyUsage([OID.barcodeSignerKeyUsage])));
  return exts;
}

/** An Extension holding the DER of an @peculiar/asn1-x509 value. */
export function ext(extnID: string, critical: boolean, value: object): Extension {
  return rawExt(extnID, critical, new Uint8Array(AsnConvert.serialize(value)));
}

export function rawExt(extnID: string, critical: boolean, der: Uint8Array): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(toArrayBuffer(der)) });
}

/**
 * ICAO 9303-12 (8th ed.) §7.1.1.2, extension 2.23.136.1.1.6.2:
 * DocumentTypeListSyntax ::= SEQUENCE { version INTEGER {v0(0)}, docTypeList SET OF DocumentType }
 * DocumentType ::= PrintableString (SIZE (1..2))  -- as in the MRZ: "P", "ID", "I"...
 */
export function encodeDocumentTypeList(types: readonly string[]): Uint8Array {
  if (!Array.isArray(types) || types.length === 0) throw new TypeError('"documentTypes" expected a non-empty array');
  const items = types.map((t) => {
    if (typeof t !== 'string' || !/^[A-Z0-9<]{1,2}$/.test(t)) throw new RangeError(`"documentTypes" bad entry ${String(t)}`);
    return encodeTlv(0x13, ascii(t));
  });
  return encodeTlv(0x30, encodeInteger(0), encodeSetOf(items));
}

/** Name ::= RDNSequence with C, O, OU, CN, serialNumber in that order, one attribute per RDN. */
export function encodeName(dn: DistinguishedName): Name {
  if (typeof dn !== 'object' || dn === null) throw new TypeError('"subject" expected an object');
  if (typeof dn.country !== 'string' || !/^[A-Z]{2}$/.test(dn.country)) {
    throw new RangeError(`"subject.country" expected a 2-letter upper-case code, got ${String(dn.country)}`);
  }
  const rdns: RelativeDistinguishedName[] = [attribute('2.5.4.6', dn.country)];
  const optional: [string, string | undefined, string][] = [
    ['2.5.4.10', dn.organization, 'organization'],
    ['2.5.4.11', dn.organizationalUnit, 'organizationalUnit'],
    ['2.5.4.3', dn.commonName, 'commonName'],
    ['2.5.4.5', dn.serialNumber, 'serialNumber'],
  ];
  for (const [type, value, field] of optional) {
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length === 0 || value.length > 64) {
      throw new RangeError(`"subject.${field}" expected 1 to 64 characters`);
    }
    rdns.push(attribute(type, value));
  }
  return new Name(rdns);
}

// RFC 5280 §4.1.2.4: PrintableString where the text allows it, else UTF8String (Vietnamese names).
function attribute(type: string, value: string): RelativeDistinguishedName {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value);
  const v = new AttributeValue(printable ? { printableString: value } : { utf8String: value });
  return new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: v })]);
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  const key = parseSpki(abytes(spki, 'spki')).subjectPublicKey;
  return digest('sha1', new Uint8Array(key));
}

/** A random positive serial number of 16 bytes (RFC 5280 §4.1.2.2: at most 20, positive). */
export function randomSerial(): Uint8Array {
  const serial = new Uint8Array(randomBytes(16));
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive, and no leading zero byte to strip
  return serial;
}

function aserial(serial: Uint8Array): Uint8Array {
  abytes(serial, 'serialNumber');
  if (serial.length === 0 || serial.length > 20 || (serial[0]! & 0x80) !== 0 || (serial.length > 1 && serial[0] === 0 && serial[1]! < 0x80)) {
    throw new RangeError('"serialNumber" expected a minimal positive INTEGER of 1 to 20 bytes');
  }
  return serial;
}

export interface IssuerInfo {
  readonly name: Name;
  readonly spki: Uint8Array;
  /** The issuer's SKI, or one computed from its key if it has none. */
  readonly keyId: Uint8Array;
}

/** The parts of an issuer certificate a child certificate, CRL or master list refers to. */
export function issuerOf(certificate: Uint8Array): IssuerInfo {
  const cert = parseCertificate(abytes(certificate, 'certificate'));
  const name = AsnConvert.parse(cert.subject, Name);
  return Object.freeze({ name, spki: cert.spki, keyId: cert.subjectKeyId ?? keyIdentifier(cert.spki) });
}

/**
 * The issuer Name and serialNumber of a certificate as the exact bytes it carries, for a CMS
 * IssuerAndSerialNumber (RFC 5652 §10.2.4). RFC 5280 §4.1: version [0] comes first when present.
 */
export function issuerAndSerialNumber(certificate: Uint8Array): { readonly issuer: Uint8Array; readonly serialNumber: Uint8Array } {
  const cert = fields(decodeTlv(abytes(certificate, 'certificate'), 'der'), 'der', 'Certificate');
  const tbs = fields(cert.take(0x30, 'tbsCertificate'), 'der', 'TBSCertificate');
  tbs.maybe(0xa0);
  const serialNumber = tbs.take(0x02, 'serialNumber').value;
  tbs.take(0x30, 'signature');
  const issuer = tbs.take(0x30, 'issuer').raw;
  return Object.freeze({ issuer, serialNumber });
}

function parseSpki(spki: Uint8Array): SubjectPublicKeyInfo {
  try {
    return AsnConvert.parse(spki, SubjectPublicKeyInfo);
  } catch (e) {
    throw new RangeError(`"subjectPublicKey" is not a DER SubjectPublicKeyInfo: ${(e as Error).message}`);
  }
}

export function toX509Algorithm(a: AlgorithmIdentifier): X509AlgorithmIdentifier {
  return new X509AlgorithmIdentifier(a.params === undefined ? { algorithm: a.oid } : { algorithm: a.oid, parameters: toArrayBuffer(a.params) });
}

export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

function arole(role: unknown): CertificateRole {
  if (role !== 'csca' && role !== 'ds' && role !== 'seal' && role !== 'mlsigner') {
    throw new TypeError(`"role" expected csca, ds, seal or mlsigner, got ${String(role)}`);
  }
  return role;
}

export function adate(d: unknown, name: string): Date {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new TypeError(`"${name}" expected a valid Date`);
  return d;
}

/** PEM armour (RFC 7468 §2) and back. */
export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(abytes(der, 'der')).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

export function fromPem(text: string, label = 'CERTIFICATE'): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('"text" expected a string');
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*)-----END ${label}-----`).exec(text);
  if (m === null) throw new ParseError('PEM_INVALID', `no ${label} PEM block`, { field: label });
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}
