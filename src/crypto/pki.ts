/**
 * `pki init`: a complete country PKI in one directory — CSCA, Document Signer, VDS seal signer,
 * master list signer, the first CRL and a master list holding the CSCA (ICAO 9303-12 (8th ed.)
 * §5–§9), and the EAC CVCA (BSI TR-03110-3 §2, docs/eac.md) — and `loadPki` to use it. pki.json records the files and where each key lives; it is
 * written last, so a directory with pki.json is a finished PKI.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { equalBytes } from '../lds/bytes.js';
import { decodeCvCertificate, type CvCertificate } from '../lds/cvc.js';
import { CancuocError, ParseError, ValidationError } from '../lds/errors.js';
import { asuite, type SignatureSuite } from './algorithms.js';
import { fromPem, issueCertificate, issuerOf, toPem, type CertificateRole } from './certificates.js';
import { issueCrl } from './crl.js';
import { cvPublicKeyOf } from './cv-certificates.js';
import { createCvca } from './cv-pki.js';
import {
  keyFilePath,
  loadSigner,
  parseKeyRef,
  pkcs11KeyRef,
  rekeyKeyFile,
  resolvePassphrase,
  savePrivateKey,
  type KeyRef,
  type LoadedSigner,
  type RekeyOutcome,
  type SecretOptions,
} from './keystore.js';
import { readInputFile, removeTemporaries, writeFileAtomic, type InputKind } from './file-io.js';
import { issueMasterList } from './masterlist.js';
import { openPkcs11Token, type Pkcs11Token } from './pkcs11.js';
import { generateSoftwareKey, type Signer } from './signer.js';

export const PKI_FORMAT = 'cancuoc-pki/1';
const ROLES = ['csca', 'ds', 'seal', 'mlsigner'] as const satisfies readonly CertificateRole[];
type Role = (typeof ROLES)[number];

const FILES = Object.freeze({
  csca: 'csca.pem',
  ds: 'ds.pem',
  seal: 'seal.pem',
  mlsigner: 'mlsigner.pem',
  crl: 'crl.pem',
  masterList: 'masterlist.ml',
  manifest: 'pki.json',
});
const CVCA_FILE = 'cvca.cvcert';

export interface InitPkiOptions {
  readonly dir: string;
  readonly suite: SignatureSuite;
  /** ISO 3166-1 alpha-2 code of the issuing state (C of every name), e.g. VN. */
  readonly country: string;
  /** O of every name; defaults to "cancuoc". */
  readonly organization?: string;
  /** Plaintext PKCS#8 key files: a throwaway test PKI only. */
  readonly insecurePlainKeys?: boolean;
  /** Passphrase for the key files; else CANCUOC_PASSPHRASE or a prompt. */
  readonly passphrase?: string;
  /** Generate the keys on this PKCS#11 token instead of in files. */
  readonly pkcs11?: { readonly module: string; readonly tokenLabel: string; readonly pin?: string; readonly labelPrefix?: string };
  /** MRZ document types the Document Signer may sign; defaults to ['ID'] (the CCCD, a TD1 "ID" card). */
  readonly documentTypes?: readonly string[];
  /** Start of every validity period; defaults to now. */
  readonly now?: Date;
}

export interface PkiManifest {
  readonly format: string;
  readonly suite: SignatureSuite;
  readonly country: string;
  readonly created: string;
  readonly files: typeof FILES;
  readonly keys: Readonly<Record<Role, KeyRef>>;
  readonly crlNumber: number;
  /**
   * The EAC CVCA: its CV certificate and key, and the link certificates of earlier rollovers
   * (oldest first) that lead chips trusting an older CVCA to this one. Absent before EAC.
   */
  readonly eac?: { readonly cvca: string; readonly key: KeyRef; readonly links?: readonly string[] };
}

export interface Pki {
  readonly dir: string;
  readonly manifest: PkiManifest;
  /** DER certificates. */
  readonly certificates: Readonly<Record<Role, Uint8Array>>;
  /** DER CertificateList. */
  readonly crl: Uint8Array;
  /** DER ContentInfo. */
  readonly masterList: Uint8Array;
  readonly signers: Readonly<Record<Role, LoadedSigner>>;
  /** The CVCA certificate and key, and the link certificates to it, when the PKI has a CVCA. */
  readonly eac: { readonly cvca: CvCertificate; readonly signer: LoadedSigner; readonly links: readonly CvCertificate[] } | undefined;
  /** Releases token sessions. */
  close(): void;
}

const YEAR = 365.25 * 24 * 3600 * 1000;
const DAY = 24 * 3600 * 1000;

/**
 * Validity and private key usage periods (ICAO 9303-12 §5.4 Table 1, sized for an ID card that
 * stays valid for up to 10 years): keys sign for a short period, certificates outlive every
 * document signed under them.
 */
const PERIODS: Readonly<Record<Role, { validity: number; keyUsage: number }>> = Object.freeze({
  csca: { validity: 15 * YEAR, keyUsage: 3 * YEAR },
  ds: { validity: 11 * YEAR, keyUsage: 1 * YEAR },
  seal: { validity: 11 * YEAR, keyUsage: 1 * YEAR },
  mlsigner: { validity: 3 * YEAR, keyUsage: 1 * YEAR },
});
const CRL_PERIOD = 90 * DAY; // ICAO 9303-12 §7.1.3: a new CRL at least every 90 days

const COMMON_NAMES: Readonly<Record<Role, string>> = Object.freeze({
  csca: 'CSCA',
  ds: 'Document Signer',
  seal: 'Seal Signer',
  mlsigner: 'Master List Signer',
});

/** Creates a new PKI in `dir` (which must not already hold one) and returns its manifest. */
export async function initPki(options: InitPkiOptions): Promise<PkiManifest> {
  const suite = asuite(options.suite, 'suite');
  if (typeof options.dir !== 'string' || options.dir === '') throw new TypeError('"dir" expected a path');
  const { dir } = options;
  if (typeof options.country !== 'string' || !/^[A-Z]{2}$/.test(options.country)) {
    throw new RangeError(`"country" expected an ISO 3166-1 alpha-2 code in upper case, got ${String(options.country)}`);
  }
  if (await exists(join(dir, FILES.manifest))) {
    throw new ValidationError('PKI_EXISTS', 'a PKI already exists here; refusing to overwrite it', { file: join(dir, FILES.manifest) });
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await removeTemporaries(dir); // left by an interrupted pki init
  const now = options.now ?? new Date();
  const organization = options.organization ?? 'cancuoc';
  const token = options.pkcs11 === undefined ? undefined : openPkcs11Token(options.pkcs11);
  try {
    // One passphrase for the four key files, asked for once, before any work.
    const passphrase =
      token === undefined && options.insecurePlainKeys !== true ? await resolvePassphrase(options.passphrase) : undefined;
    const keys = {} as Record<Role, KeyRef>;
    const certs = {} as Record<Role, Uint8Array>;
    const signers = {} as Record<Role, Signer>;
    for (const role of ROLES) {
      const made = await newKey(role, suite, dir, token, options, passphrase);
      keys[role] = made.ref;
      signers[role] = made.signer;
      certs[role] = await issueCertificate({
        role,
        subject: { country: options.country, organization, commonName: `${COMMON_NAMES[role]} ${options.country}` },
        subjectPublicKey: made.signer.publicKeySpki,
        ...(role === 'csca' ? {} : { issuerCertificate: certs.csca }),
        signer: signers.csca,
        notBefore: now,
        notAfter: new Date(now.getTime() + PERIODS[role].validity),
        privateKeyUsage: { notBefore: now, notAfter: new Date(now.getTime() + PERIODS[role].keyUsage) },
        ...(role === 'ds' ? { documentTypes: options.documentTypes ?? ['ID'] } : {}),
      });
      await writeFileAtomic(join(dir, FILES[role]), toPem(certs[role]), 0o644);
    }
    const crlNumber = 1;
    const crl = await issueCrl({
      issuerCertificate: certs.csca,
      signer: signers.csca,
      crlNumber,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + CRL_PERIOD),
    });
    await writeFileAtomic(join(dir, FILES.crl), toPem(crl, 'X509 CRL'), 0o644);
    const masterList = await issueMasterList({
      certificates: [certs.csca],
      signerCertificate: certs.mlsigner,
      signer: signers.mlsigner,
      signingTime: now,
    });
    await writeFileAtomic(join(dir, FILES.masterList), masterList, 0o644);
    const cvcaKey = await newKey('cvca', suite, dir, token, options, passphrase);
    const cvca = await createCvca({ signer: cvcaKey.signer, country: options.country, now });
    await writeFileAtomic(join(dir, CVCA_FILE), cvca.raw, 0o644);
    const manifest: PkiManifest = deepFreeze({
      format: PKI_FORMAT,
      suite,
      country: options.country,
      created: now.toISOString(),
      files: FILES,
      keys,
      crlNumber,
      eac: { cvca: CVCA_FILE, key: cvcaKey.ref },
    });
    await writeFileAtomic(join(dir, FILES.manifest), JSON.stringify(manifest, null, 2) + '\n', 0o600);
    return manifest;
  } finally {
    token?.close();
  }
}

async function newKey(
  role: Role | 'cvca',
  suite: SignatureSuite,
  dir: string,
  token: Pkcs11Token | undefined,
  options: InitPkiOptions,
  passphrase: string | undefined,
): Promise<{ ref: KeyRef; signer: Signer }> {
  if (token !== undefined) {
    const p = options.pkcs11!;
    const label = `${p.labelPrefix ?? 'cancuoc-'}${role}`;
    return { ref: pkcs11KeyRef(p.module, p.tokenLabel, label, suite), signer: token.generateKeyPair(label, suite) };
  }
  const { privateKey, signer } = generateSoftwareKey(suite);
  const ref = await savePrivateKey(dir, role, privateKey, suite, {
    insecurePlainKeys: options.insecurePlainKeys === true,
    ...(passphrase === undefined ? {} : { passphrase }),
  });
  return { ref, signer };
}

/** Opens an existing PKI: certificates, CRL, master list and a signer for each key. */
export async function loadPki(dir: string, secrets: SecretOptions = {}): Promise<Pki> {
  const manifest = parseManifest(await readText(dir, FILES.manifest, 'json'), join(dir, FILES.manifest));
  const certificates = {} as Record<Role, Uint8Array>;
  for (const role of ROLES) certificates[role] = fromPem(await readText(dir, manifest.files[role], 'pem'));
  const crl = fromPem(await readText(dir, manifest.files.crl, 'pem'), 'X509 CRL');
  const masterList = await readBytes(dir, manifest.files.masterList, 'trust');
  // Ask for the passphrase once, only if a key file needs it.
  const encrypted = [...ROLES.map((r) => manifest.keys[r]), ...(manifest.eac === undefined ? [] : [manifest.eac.key])].some(
    (ref) => ref.kind === 'pkcs8' && ref.encrypted,
  );
  const passphrase = encrypted ? await resolvePassphrase(secrets.passphrase) : undefined;
  const signers = {} as Record<Role, LoadedSigner>;
  const closeAll = (): void => Object.values(signers).forEach((s) => s.close());
  try {
    for (const role of ROLES) {
      const signer = await loadSigner(manifest.keys[role], { dir, ...secrets, ...(passphrase === undefined ? {} : { passphrase }) });
      signers[role] = signer;
      const certKey = issuerOf(certificates[role]).spki;
      if (!equalBytes(certKey, signer.publicKeySpki)) {
        throw new ValidationError('PKI_KEY_MISMATCH', `the ${role} key does not match ${manifest.files[role]}`, {
          file: manifest.files[role],
        });
      }
    }
  } catch (e) {
    closeAll();
    throw e;
  }
  let eac: Pki['eac'];
  try {
    eac = manifest.eac === undefined ? undefined : await loadCvca(dir, manifest.eac, { ...secrets, ...(passphrase === undefined ? {} : { passphrase }) });
  } catch (e) {
    closeAll();
    throw e;
  }
  return Object.freeze({
    dir,
    manifest,
    certificates: Object.freeze(certificates),
    crl,
    masterList,
    signers: Object.freeze(signers),
    eac,
    close: () => {
      closeAll();
      eac?.signer.close();
    },
  });
}

/**
 * `pki rekey`: re-encrypts the PKI's encrypted key files with the current KDF setting
 * (key-encryption.ts), same passphrase; files that already have it, plaintext keys and token
 * keys are left alone. Each file is replaced atomically, so an interrupted run can be run again.
 */
export async function rekeyPki(dir: string, secrets: SecretOptions = {}): Promise<readonly RekeyOutcome[]> {
  const manifest = parseManifest(await readText(dir, FILES.manifest, 'json'), join(dir, FILES.manifest));
  type FileRef = Extract<KeyRef, { kind: 'pkcs8' }>;
  const refs = ROLES.map((r) => manifest.keys[r]).filter((ref): ref is FileRef => ref.kind === 'pkcs8' && ref.encrypted);
  if (refs.length === 0) return Object.freeze([]);
  const passphrase = await resolvePassphrase(secrets.passphrase);
  const outcomes: RekeyOutcome[] = [];
  for (const ref of refs) outcomes.push(await rekeyKeyFile(keyFilePath(ref, dir), passphrase));
  return Object.freeze(outcomes);
}

async function loadCvca(dir: string, eac: NonNullable<PkiManifest['eac']>, secrets: SecretOptions): Promise<NonNullable<Pki['eac']>> {
  const cvca = decodeCvCertificate(await readBytes(dir, eac.cvca, 'cvcert'));
  const links: CvCertificate[] = [];
  for (const link of eac.links ?? []) links.push(decodeCvCertificate(await readBytes(dir, link, 'cvcert')));
  const signer = await loadSigner(eac.key, { dir, ...secrets });
  const key = cvPublicKeyOf(signer, false);
  if (key.kind !== cvca.publicKey.kind || (key.kind === 'ec' && cvca.publicKey.kind === 'ec' && !equalBytes(key.point, cvca.publicKey.point))) {
    signer.close();
    throw new ValidationError('PKI_KEY_MISMATCH', `the CVCA key does not match ${eac.cvca}`, { file: eac.cvca });
  }
  return Object.freeze({ cvca, signer, links: Object.freeze(links) });
}

function parseManifest(text: string, file: string): PkiManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ParseError('PKI_MANIFEST_INVALID', 'pki.json is not JSON', { file }, { cause: e });
  }
  const m = json as Record<string, unknown>;
  const bad = (field: string): never => {
    throw new ParseError('PKI_MANIFEST_INVALID', `pki.json: bad or missing ${field}`, { file, field });
  };
  if (typeof m !== 'object' || m === null) return bad('(object)');
  if (m.format !== PKI_FORMAT) bad('format');
  if (typeof m.country !== 'string') bad('country');
  if (typeof m.created !== 'string') bad('created');
  if (!Number.isSafeInteger(m.crlNumber)) bad('crlNumber');
  let suite: SignatureSuite;
  try {
    suite = asuite(m.suite);
  } catch {
    return bad('suite');
  }
  const files = m.files as Record<string, unknown> | undefined;
  for (const k of Object.keys(FILES) as (keyof typeof FILES)[]) {
    // Only plain names: pki.json must not point outside its directory.
    if (typeof files?.[k] !== 'string' || !/^[A-Za-z0-9._-]+$/.test(files[k] as string) || files[k] === '..') bad(`files.${k}`);
  }
  const keys = {} as Record<Role, KeyRef>;
  for (const role of ROLES) {
    const raw = (m.keys as Record<string, unknown> | undefined)?.[role];
    try {
      keys[role] = parseKeyRef(raw);
    } catch (e) {
      if (e instanceof CancuocError) throw new ParseError(e.code, e.message, { file, field: `keys.${role}` }, { cause: e });
      throw e;
    }
    if (keys[role].suite !== suite) bad(`keys.${role}.suite`);
  }
  const eac = m.eac === undefined ? undefined : parseEac(m.eac, suite, bad, file);
  return deepFreeze({
    format: PKI_FORMAT,
    suite,
    country: m.country as string,
    created: m.created as string,
    files: files as typeof FILES,
    keys,
    crlNumber: m.crlNumber as number,
    ...(eac === undefined ? {} : { eac }),
  });
}

function parseEac(value: unknown, suite: SignatureSuite, bad: (field: string) => never, file: string): NonNullable<PkiManifest['eac']> {
  const e = value as Record<string, unknown> | null;
  if (typeof e !== 'object' || e === null) return bad('eac');
  const plain = (v: unknown): boolean => typeof v === 'string' && /^[A-Za-z0-9._-]+$/.test(v) && v !== '..';
  if (!plain(e.cvca)) bad('eac.cvca');
  if (e.links !== undefined && (!Array.isArray(e.links) || !e.links.every(plain))) bad('eac.links');
  let key: KeyRef;
  try {
    key = parseKeyRef(e.key);
  } catch (err) {
    if (err instanceof CancuocError) throw new ParseError(err.code, err.message, { file, field: 'eac.key' }, { cause: err });
    throw err;
  }
  if (key.suite !== suite) bad('eac.key.suite');
  return { cvca: e.cvca as string, key, ...(e.links === undefined ? {} : { links: e.links as string[] }) };
}

async function readText(dir: string, name: string, kind: InputKind): Promise<string> {
  return Buffer.from(await readBytes(dir, name, kind)).toString('utf8');
}

async function readBytes(dir: string, name: string, kind: InputKind): Promise<Uint8Array> {
  try {
    return await readInputFile(join(dir, name), kind);
  } catch (e) {
    // pki.json is written last: a folder with files but no pki.json is an interrupted pki init
    if (name === FILES.manifest && (e as CancuocError).code === 'INPUT_NOT_FOUND' && (await readdir(dir).catch(() => [])).length > 0) {
      throw new ValidationError('PKI_INCOMPLETE', `${dir} has no ${FILES.manifest}: pki init was interrupted; run pki init --out ${dir} again`, { file: dir });
    }
    throw new CancuocError('PKI_READ_FAILED', (e as Error).message, {}, { cause: e });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
