/**
 * The inspection system's trust anchors: CSCA certificates, CSCA master lists and CRLs, as
 * ICAO 9303-12 (8th ed.) §5 (certificates), §7 (CRLs) and §9 (master lists) define them.
 * Issuers are found by the DER of the Name and by key identifiers (RFC 5280 §4.2.1.1-2),
 * never by comparing DN strings. Certificates and CRLs are parsed by x509.ts, which keeps the
 * exact signed bytes (tbsCertificate, tbsCertList) for signature checks.
 */
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { readInputFile } from '../crypto/file-io.js';
import { decodeMasterList } from '../crypto/masterlist.js';
import { decodeRevocationList, findRevokedDocument, type RevocationList, type RevokedDocument } from '../crypto/revocation-list.js';
import { verifySignature, verifySignerInfo } from '../crypto/signature.js';
import { ascii, equalBytes } from '../lds/bytes.js';
import { decodeSignedData, type SignedData, type SignerInfo } from '../lds/cms.js';
import { expectElement, type AlgorithmIdentifier } from '../lds/der.js';
import { attempt, ParseError } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import { childrenOf, decodeTlv } from '../lds/tlv.js';
import { parseCertificate, parseCrl, serialHex, type CertificateInfo, type CrlInfo } from './x509.js';

/** Real PKI files carry BER oddities (non-minimal lengths); signatures cover the bytes as read. */
const MODE = 'lenient';

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
    const files = await Promise.all(names.map(async (name) => ({ name, bytes: await readInputFile(join(path, name), 'trust') })));
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
