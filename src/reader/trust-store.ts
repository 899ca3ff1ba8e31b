/**
 * The inspection system's trust anchors: CSCA certificates, CSCA master lists and CRLs, as
 * ICAO 9303-12 (8th ed.) §5 (certificates), §7 (CRLs) and §9 (master lists) define them.
 * Issuers are found by the DER of the Name and by key identifiers (RFC 5280 §4.2.1.1-2),
 * never by comparing DN strings. Certificates and CRLs are parsed by lds/x509.ts, which keeps the
 * exact signed bytes (tbsCertificate, tbsCertList) for signature checks.
 */
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { readInputFile } from '../crypto/file-io.js';
import { decodeMasterList } from '../crypto/masterlist.js';
import { decodeRevocationList, findRevokedDocument, type RevocationList, type RevokedDocument } from '../crypto/revocation-list.js';
import { verifySignerInfo } from '../crypto/signature.js';
import { equalBytes } from '../lds/bytes.js';
import { attempt, ParseError, type CancuocError } from '../lds/errors.js';
import { findCmsSigner, isSignedBy, mayHaveIssued } from './signers.js';
import { countryFault, readSigningTime, signerFault, signingTimeOf, unusableProblem, type ChainResult } from './signer-policy.js';
import { decodePem, derObjects, pkiFileKind, sniffDer, type PkiFileKind } from './pki-files.js';
import { parseCertificate, parseCrl, type CertificateInfo, type CrlInfo } from '../lds/x509.js';

/** Real PKI files carry BER oddities (non-minimal lengths); signatures cover the bytes as read. */
const MODE = 'lenient';

export { readSigningTime };
export { findCmsSigner, identifiesSigner, isSignedBy, mayHaveIssued, type CmsSigner } from './signers.js';
export { decodePem, pkiFileKind, sniffDer, type PkiFileKind };

// ---------------------------------------------------------------------------------------------
// The store

export interface MasterListReport {
  /** The CMS signature (and signed attributes) verify with the master-list signer's certificate. */
  readonly signatureValid: boolean;
  /** The signer certificate was issued, and signed, by a CSCA the store trusted before. */
  readonly signerTrusted: boolean;
  readonly signer: string | undefined;
  readonly loaded: boolean;
  /** OK when loaded; else why not (ML_SIGNATURE_INVALID, ML_SIGNER_NOT_TRUSTED, ML_SIGNER_WRONG_ROLE, …). */
  readonly code: string;
  readonly reason: string;
  /** Certificates added to the store (0 when not loaded). */
  readonly added: number;
  /** Entries of certList that do not parse, by index. */
  readonly skipped: readonly { readonly index: number; readonly reason: string }[];
}

export interface CrlReport {
  readonly accepted: boolean;
  /** OK when accepted; else CRL_ISSUER_NOT_TRUSTED, CRL_SIGNATURE_INVALID, CRL_ALGORITHM_MISMATCH, … */
  readonly code: string;
  readonly reason: string;
  readonly crl: CrlInfo;
}

export interface RevocationListReport {
  /** Signature valid and signer a Document Signer of the list's State under a trusted CSCA: the list is consulted. */
  readonly accepted: boolean;
  /** OK when accepted; else RL_SIGNATURE_INVALID, RL_SIGNER_NOT_TRUSTED, RL_SIGNER_WRONG_ROLE, RL_SIGNER_WRONG_COUNTRY, … */
  readonly code: string;
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
  /** Why a master list, CRL or revocation list was refused (its report's code). */
  readonly code?: string;
}

/** A CRL refused by addCrl although it parsed: kept so that the crl check can say why no CRL applies. */
export interface RejectedCrl {
  readonly crl: CrlInfo;
  readonly code: string;
  readonly reason: string;
}

const PKI_EXTENSIONS: ReadonlySet<string> = new Set(['.pem', '.crt', '.cer', '.der', '.crl', '.ml', '.rl', '.bin', '.p7b', '.p7m', '.p7c']);

/** ICAO 9303-12 §7.1.1: a CSCA is a CA certificate allowed to sign certificates; RFC 5280 §4.2: usable. */
function isAnchor(cert: CertificateInfo): boolean {
  return cert.isCa !== false && (cert.keyUsage === undefined || cert.keyUsage.includes('keyCertSign')) && unusableProblem(cert) === undefined;
}

/**
 * CSCA certificates, checked CRLs and the master lists they came from. Adding is explicit;
 * lookups answer by DER name and key identifier.
 */
export class TrustStore {
  readonly #cscas: CertificateInfo[] = [];
  readonly #signers: CertificateInfo[] = [];
  readonly #crls: { crl: CrlInfo; csca: CertificateInfo }[] = [];
  readonly #rejectedCrls: RejectedCrl[] = [];
  readonly #revocationLists: { list: RevocationList; country: string }[] = [];

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

  /** The CRLs of `csca`'s name that parsed but were refused (bad signature, critical extension, …). */
  rejectedCrlsOf(csca: CertificateInfo): readonly RejectedCrl[] {
    return Object.freeze(this.#rejectedCrls.filter((r) => mayHaveIssued(csca, r.crl)));
  }

  /**
   * Adds a CRL (DER or PEM) if a trusted CSCA signed it (ICAO 9303-12 §7) with matching inner and
   * outer signature algorithms (RFC 5280 §5.1.1.2) and no critical extension left unprocessed
   * (RFC 5280 §5.2, §5.3). Currency (thisUpdate, nextUpdate) is judged when a DS is checked.
   */
  addCrl(input: Uint8Array | string): CrlReport {
    const [der] = derObjects(input);
    const crl = parseCrl(der!);
    const report = (code: string, reason: string): CrlReport => {
      if (code !== 'OK' && !this.#rejectedCrls.some((r) => equalBytes(r.crl.der, crl.der))) this.#rejectedCrls.push(Object.freeze({ crl, code, reason }));
      return Object.freeze({ accepted: code === 'OK', code, reason, crl });
    };
    const candidates = this.issuersOf(crl);
    if (candidates.length === 0) return Object.freeze({ accepted: false, code: 'CRL_ISSUER_NOT_TRUSTED', reason: 'issuer not trusted', crl });
    if (!crl.algorithmsMatch) return report('CRL_ALGORITHM_MISMATCH', 'signatureAlgorithm differs from tbsCertList.signature (RFC 5280 §5.1.1.2)');
    const csca = candidates.find((c) => isSignedBy(crl, c));
    if (csca === undefined) return report('CRL_SIGNATURE_INVALID', 'CRL signature does not verify with its CSCA');
    if (crl.unknownCriticalExtensions.length > 0) {
      return report('CRL_UNKNOWN_CRITICAL_EXTENSION', `unrecognised critical extension(s) ${crl.unknownCriticalExtensions.join(', ')} (RFC 5280 §5.2)`);
    }
    if (csca.keyUsage !== undefined && !csca.keyUsage.includes('cRLSign')) return report('CRL_SIGNER_KEY_USAGE', 'CSCA key usage lacks cRLSign');
    if (!this.#crls.some((c) => equalBytes(c.crl.der, crl.der))) this.#crls.push({ crl, csca });
    return report('OK', `signed by ${csca.subjectText}`);
  }

  /** The accepted CRL entry revoking `cert` under `csca`, if any. */
  revokedEntry(cert: CertificateInfo, csca: CertificateInfo): { readonly serialHex: string; readonly revocationDate: Date } | undefined {
    for (const crl of this.crlsOf(csca)) {
      const entry = crl.revoked.find((r) => r.serialHex === cert.serialHex);
      if (entry !== undefined) return entry;
    }
    return undefined;
  }

  /**
   * The trusted CSCA that issued and signed `cert` and was valid at `at`, or why none: the
   * common part of every signer check (DS, seal, master list, revocation list).
   */
  chainOf(cert: CertificateInfo, at: Date): ChainResult {
    const signedBy = this.issuersOf(cert).filter((c) => isSignedBy(cert, c));
    if (signedBy.length === 0) return { code: 'NOT_TRUSTED', reason: `${cert.subjectText} does not chain to a trusted CSCA` };
    const csca = signedBy.find((c) => c.notBefore <= at && at <= c.notAfter);
    if (csca === undefined) return { code: 'CSCA_EXPIRED', reason: `the CSCA ${cert.issuerText} is not valid at ${at.toISOString()}` };
    const revoked = this.revokedEntry(cert, csca);
    if (revoked !== undefined) return { code: 'REVOKED', reason: `${cert.subjectText} (serial ${cert.serialHex}) revoked on ${revoked.revocationDate.toISOString()}` };
    return { csca };
  }

  /**
   * Adds the CSCAs of a master list (ICAO 9303-12 §9: SignedData, eContentType
   * id-icao-cscaMasterList, CscaMasterList ::= SEQUENCE { version, certList SET OF Certificate }).
   * Loaded only when its signature verifies and its signer is a master list signer
   * (signer-policy.ts: extKeyUsage 2.23.136.1.1.3, within its private key usage period at
   * signingTime) issued by a CSCA already trusted, valid at `at` and not on a CRL of that CSCA
   * loaded before, unless `acceptUnverified` is set.
   */
  addMasterList(input: Uint8Array, options: { acceptUnverified?: boolean; at?: Date } = {}): MasterListReport {
    const [der] = derObjects(input);
    const ml = decodeMasterList(der!, MODE);
    const sd = ml.signedData;
    const parsed = ml.certificates.map((c) => attempt(() => parseCertificate(c)));
    const at = options.at ?? new Date();

    const signer = findCmsSigner(sd);
    const check = signer?.certificate === undefined ? undefined : verifySignerInfo(sd, signer.signerInfo, signer.certificate.spki);
    const signatureValid = check !== undefined && check.signature === true && (check.attributes?.ok ?? true);
    const signerCert = signer?.certificate;
    const chain = signerCert === undefined ? undefined : this.chainOf(signerCert, at);
    const signerTrusted = chain !== undefined && 'csca' in chain;
    const [code, reason] = !signatureValid
      ? ['ML_SIGNATURE_INVALID', signer?.problem ?? (check?.attributes?.ok === false ? check.attributes.reason : 'master list signature does not verify')]
      : signerFault('ML_SIGNER', signerCert!, chain!, 'master-list-signer', signingTimeOf(signer!.signerInfo), at) ?? [
          'OK',
          'signature valid, signer a master list signer issued by a trusted CSCA',
        ];
    const loaded = code === 'OK' || options.acceptUnverified === true;
    let added = 0;
    if (loaded) for (const p of parsed) if (p.ok && this.#addCsca(p.value)) added++;
    const skipped = parsed.flatMap((p, index) => (p.ok ? [] : [Object.freeze({ index, reason: p.error.message })]));
    return Object.freeze({
      signatureValid,
      signerTrusted,
      signer: signerCert?.subjectText,
      loaded,
      code,
      reason,
      added,
      skipped: Object.freeze(skipped),
    });
  }

  /**
   * Adds a cancuoc document revocation list (docs/revocation-list.md) when its CMS signature
   * verifies and its signer is a Document Signer (signer-policy.ts) of the State the list names,
   * issued by a trusted CSCA of that State, valid and not revoked at the list's thisUpdate: a
   * foreign Document Signer cannot revoke another State's cards. A list past nextUpdate is still
   * consulted (a revocation stays true) but reported as not current.
   */
  addRevocationList(input: Uint8Array, options: { at?: Date } = {}): RevocationListReport {
    const [der] = derObjects(input);
    const list = decodeRevocationList(der!);
    const at = options.at ?? new Date();
    const signer = findCmsSigner(list.signedData);
    const cert = signer?.certificate;
    const check = cert === undefined ? undefined : verifySignerInfo(list.signedData, signer!.signerInfo, cert.spki);
    const signatureValid = check !== undefined && check.signature === true && check.attributes?.ok === true;
    const current = list.thisUpdate <= at && at < list.nextUpdate;
    const chain = cert === undefined ? undefined : this.chainOf(cert, list.thisUpdate);
    const [code, reason] = !signatureValid
      ? ['RL_SIGNATURE_INVALID', signer?.problem ?? (check?.attributes?.ok === false ? check.attributes.reason : 'revocation list signature does not verify')]
      : (signerFault('RL_SIGNER', cert!, chain!, 'revocation-list-signer', list.thisUpdate, list.thisUpdate) ??
        countryFault(cert!, chain!, list.issuer) ?? [
          'OK',
          `signed by ${cert!.subjectText}, ${list.documents.length} document(s) of ${list.issuer}${current ? '' : ', not current (outside thisUpdate..nextUpdate)'}`,
        ]);
    const accepted = code === 'OK';
    if (accepted && !this.#revocationLists.some((l) => equalBytes(l.list.signedData.raw, list.signedData.raw))) {
      this.#revocationLists.push({ list, country: list.issuer });
    }
    return Object.freeze({ accepted, code, current, reason, signer: cert?.subjectText, list });
  }

  get revocationLists(): readonly RevocationList[] {
    return Object.freeze(this.#revocationLists.map((l) => l.list));
  }

  /** The accepted revocation lists of one State (ISO 3166-1 alpha-2, the C of its CSCA). */
  revocationListsOf(country: string): readonly RevocationList[] {
    return Object.freeze(this.#revocationLists.filter((l) => l.country === country.toUpperCase()).map((l) => l.list));
  }

  /**
   * The accepted-list entry revoking a document, by document number and, best, the SHA-256 of
   * its EF.SOD: an entry carrying a SOD hash then matches only that card, not a later card that
   * reuses the document number (on the CCCD it is derived from the ID number). With `country`,
   * only the lists of that State count.
   */
  revocationOf(query: { readonly documentNumber?: string; readonly sodHash?: Uint8Array; readonly country?: string }): RevokedDocument | undefined {
    const lists = query.country === undefined ? this.revocationLists : this.revocationListsOf(query.country);
    for (const list of lists) {
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
  add(input: Uint8Array, options: TrustLoadOptions = {}): LoadedFile {
    const kind = pkiFileKind(input);
    if (kind === 'certificate') {
      const total = derObjects(input).length;
      const n = this.addCertificates(input).length;
      const note = n < total ? ' (the others are not usable CA certificates, or were present: kept as signer certificates only)' : '';
      return loaded('', kind, n > 0, `${n} of ${total} certificate(s) added as CSCA${note}`);
    }
    if (kind === 'crl') {
      const r = this.addCrl(input);
      return loaded('', kind, r.accepted, r.reason, r.code);
    }
    if (kind === 'revocation-list') {
      const r = this.addRevocationList(input, options);
      return loaded('', kind, r.accepted, r.reason, r.code);
    }
    const r = this.addMasterList(input, options);
    return loaded('', kind, r.loaded, `${r.reason}; ${r.added} certificate(s) added`, r.code);
  }

  /**
   * Adds files in the order that lets each be checked against what came before: certificates,
   * CRLs of those CSCAs (so a revoked master list signer is refused), master lists, CRLs of the
   * CSCAs the master lists added, revocation lists. With `throwOnError` a file that does not
   * parse throws (command-line files); else it is reported (directories).
   */
  addInOrder(files: readonly { name: string; bytes: Uint8Array }[], options: TrustLoadOptions & { throwOnError?: boolean } = {}): readonly LoadedFile[] {
    const kinds = files.map((f) => ({ ...f, kind: attempt(() => pkiFileKind(f.bytes)) }));
    // one entry per file, in the order first tried; a CRL retried replaces its entry
    const report: LoadedFile[] = [];
    const index = new Map<(typeof kinds)[number], number>();
    const put = (f: (typeof kinds)[number], entry: LoadedFile): void => {
      const i = index.get(f);
      if (i === undefined) index.set(f, report.push(Object.freeze(entry)) - 1);
      else report[i] = Object.freeze(entry);
    };
    for (const f of kinds) {
      if (f.kind.ok) continue;
      if (options.throwOnError === true) throw namedError(f.name, f.kind.error);
      put(f, loaded(f.name, 'unknown', false, f.kind.error.message, f.kind.error.code));
    }
    for (const order of LOAD_PASSES) {
      for (const f of kinds) {
        if (!f.kind.ok || f.kind.value !== order) continue;
        // the second CRL pass retries only those whose CSCA was not yet trusted
        const before = index.get(f);
        if (before !== undefined && report[before]!.code !== 'CRL_ISSUER_NOT_TRUSTED') continue;
        if (options.throwOnError === true) {
          const r = attempt(() => this.add(f.bytes, options));
          if (!r.ok) throw namedError(f.name, r.error);
          put(f, { ...r.value, file: f.name });
          continue;
        }
        const r = attempt(() => this.add(f.bytes, options));
        put(f, r.ok ? { ...r.value, file: f.name } : loaded(f.name, order, false, r.error.message, r.error.code));
      }
    }
    return Object.freeze([...report]);
  }

  /**
   * Loads every PKI file of a directory (by extension, then by content), in the order of
   * addInOrder. A file that fails is reported, not thrown.
   */
  async loadDirectory(path: string, options: TrustLoadOptions = {}): Promise<readonly LoadedFile[]> {
    const names = (await readdir(path, { withFileTypes: true }))
      .filter((d) => d.isFile() && PKI_EXTENSIONS.has(extname(d.name).toLowerCase()))
      .map((d) => d.name)
      .sort();
    const files = await Promise.all(names.map(async (name) => ({ name, bytes: await readInputFile(join(path, name), 'trust') })));
    return this.addInOrder(files, options);
  }
}

export interface TrustLoadOptions {
  /** Load master lists whose signature or signer does not verify (testing only). */
  readonly acceptUnverified?: boolean;
  /** Time the master-list signer must be valid at; defaults to now. */
  readonly at?: Date;
}

/** Load order: each kind is checked against the anchors loaded before it; CRLs twice (see addInOrder). */
const LOAD_PASSES: readonly PkiFileKind[] = Object.freeze(['certificate', 'crl', 'master-list', 'crl', 'revocation-list']);

/** A command-line trust file that fails: the message names the file, the code stays the parser's. */
function namedError(file: string, error: CancuocError): ParseError {
  return new ParseError(error.code, `trust file ${file}: ${error.message}`, {}, { cause: error });
}

function loaded(file: string, kind: LoadedFile['kind'], ok: boolean, detail: string, code?: string): LoadedFile {
  return Object.freeze({ file, kind, ok, detail, ...(code !== undefined && { code }) });
}
