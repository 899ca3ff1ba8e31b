/**
 * `pki terminal`: a document verifier certificate under the PKI's CVCA and an inspection-system
 * certificate under that DV (BSI TR-03110-3 v2.21 §2.2), written to a terminal directory with
 * the IS key: dv.cvcert, is.cvcert, is.key.pem (encrypted PKCS#8 unless a throwaway is asked
 * for; on the PKI's token when its CVCA key lives on one) and terminal.json, written last. `loadTerminal` gives a reader what Terminal
 * Authentication needs.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { equalBytes } from '../lds/bytes.js';
import { decodeCvCertificate, type CvCertificate } from '../lds/cvc.js';
import { CancuocError, ParseError, ValidationError } from '../lds/errors.js';
import { cvPublicKeyOf } from './cv-certificates.js';
import { holderReference, issueUnder, DV_DAYS, IS_DAYS, type ReadRights } from './cv-pki.js';
import { readInputFile, writeFileAtomic, type InputKind } from './file-io.js';
import { loadSigner, parseKeyRef, PIN_ENV, pkcs11KeyRef, savePrivateKey, type KeyRef, type LoadedSigner, type SecretOptions } from './keystore.js';
import { openPkcs11Token } from './pkcs11.js';
import type { Pki } from './pki.js';
import { generateSoftwareKey, type Signer } from './signer.js';

export const TERMINAL_FORMAT = 'cancuoc-terminal/1';
const FILES = Object.freeze({ dv: 'dv.cvcert', is: 'is.cvcert', manifest: 'terminal.json' });

export interface IssueTerminalOptions {
  readonly pki: Pki;
  readonly out: string;
  readonly rights: ReadRights;
  /** Validity of the IS certificate; the DV's is the longer of this and DV_DAYS. */
  readonly days?: number;
  /** Make the DV a foreign one (TR-03110-3 §C.4 role 01): its certificates never move a chip's date. */
  readonly foreign?: boolean;
  readonly now?: Date;
  readonly insecurePlainKeys?: boolean;
  readonly passphrase?: string;
  /** PKCS#11 user PIN when the CVCA key is on a token; else CANCUOC_PKCS11_PIN. */
  readonly pin?: string;
}

export interface TerminalManifest {
  readonly format: string;
  /** CVCA link certificates, oldest first, for chips that trust an older CVCA (`pki cvca-rollover`). */
  readonly links?: readonly string[];
  readonly dv: string;
  readonly is: string;
  readonly key: KeyRef;
}

/** Issues DV + IS certificates and the IS key into `out` (which must not hold a terminal yet). */
export async function issueTerminal(o: IssueTerminalOptions): Promise<{ readonly dv: CvCertificate; readonly is: CvCertificate }> {
  const eac = o.pki.eac;
  if (eac === undefined) throw new ValidationError('PKI_NO_CVCA', 'this PKI has no CVCA (made before EAC): create a new one with `pki init`', { file: o.pki.dir });
  if (await exists(join(o.out, FILES.manifest))) {
    throw new ValidationError('TERMINAL_EXISTS', 'a terminal already exists here; refusing to overwrite it', { file: join(o.out, FILES.manifest) });
  }
  await mkdir(o.out, { recursive: true, mode: 0o700 });
  const suite = o.pki.manifest.suite;
  const country = o.pki.manifest.country;
  const days = o.days ?? IS_DAYS;
  const dvKey = generateSoftwareKey(suite).signer; // the DV key signs once, here, and is dropped
  const isKey = await newIsKey(o, holderReference(country, 'IS'));
  const dv = await issueUnder({
    issuer: eac.cvca,
    issuerSigner: eac.signer,
    subject: dvKey,
    role: o.foreign === true ? 'dv-foreign' : 'dv-domestic',
    chr: holderReference(country, o.foreign === true ? 'FDV' : 'DV'),
    rights: o.rights,
    days: Math.max(days, DV_DAYS),
    ...(o.now === undefined ? {} : { now: o.now }),
  });
  const is = await issueUnder({
    issuer: dv,
    issuerSigner: dvKey,
    subject: isKey.signer,
    role: 'terminal',
    chr: isKey.chr,
    rights: o.rights,
    days,
    ...(o.now === undefined ? {} : { now: o.now }),
  });
  const key = await isKey.save();
  const links = eac.links.map((_, i) => `link-${i + 1}.cvcert`);
  for (const [i, link] of eac.links.entries()) await writeFileAtomic(join(o.out, links[i]!), link.raw, 0o644);
  await writeFileAtomic(join(o.out, FILES.dv), dv.raw, 0o644);
  await writeFileAtomic(join(o.out, FILES.is), is.raw, 0o644);
  const manifest: TerminalManifest = { format: TERMINAL_FORMAT, ...(links.length === 0 ? {} : { links }), dv: FILES.dv, is: FILES.is, key };
  await writeFileAtomic(join(o.out, FILES.manifest), JSON.stringify(manifest, null, 2) + '\n', 0o600);
  return Object.freeze({ dv, is });
}

/** The IS key: on the token that holds the CVCA key, else a software key saved as PKCS#8. */
async function newIsKey(o: IssueTerminalOptions, chr: string): Promise<{ signer: Signer; chr: string; save(): Promise<KeyRef> }> {
  const cvcaRef = o.pki.manifest.eac!.key;
  const suite = o.pki.manifest.suite;
  if (cvcaRef.kind === 'pkcs11') {
    const token = openPkcs11Token({ module: cvcaRef.module, tokenLabel: cvcaRef.tokenLabel, pin: o.pin ?? process.env[PIN_ENV] });
    try {
      const keyLabel = `${cvcaRef.keyLabel}-is-${chr}`;
      const signer = token.generateKeyPair(keyLabel, suite);
      const ref = pkcs11KeyRef(cvcaRef.module, cvcaRef.tokenLabel, keyLabel, suite);
      return { signer, chr, save: async () => ref };
    } finally {
      token.close();
    }
  }
  const { privateKey, signer } = generateSoftwareKey(suite);
  const save = (): Promise<KeyRef> =>
    savePrivateKey(o.out, 'is', privateKey, suite, {
      insecurePlainKeys: o.insecurePlainKeys === true,
      ...(o.passphrase === undefined ? {} : { passphrase: o.passphrase }),
    });
  return { signer, chr, save };
}

export interface Terminal {
  /** The chain to send the chip, CVCA side first: link certificates, DV, then IS. */
  readonly chain: readonly CvCertificate[];
  readonly is: CvCertificate;
  readonly signer: LoadedSigner;
  close(): void;
}

/** Opens a terminal directory made by `issueTerminal` (or laid out the same way). */
export async function loadTerminal(dir: string, secrets: SecretOptions = {}): Promise<Terminal> {
  const mfile = join(dir, FILES.manifest);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(Buffer.from(await readBytes(mfile, 'json')).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof CancuocError) throw e;
    throw new ParseError('TERMINAL_MANIFEST_INVALID', 'terminal.json is not JSON', { file: mfile }, { cause: e });
  }
  const plainName = (v: unknown, field: string): string => {
    if (typeof v !== 'string' || !/^[A-Za-z0-9._-]+$/.test(v) || v === '..') {
      throw new ParseError('TERMINAL_MANIFEST_INVALID', `terminal.json: bad or missing ${field}`, { file: mfile, field });
    }
    return v;
  };
  if (typeof json !== 'object' || json === null || json.format !== TERMINAL_FORMAT) {
    throw new ParseError('TERMINAL_MANIFEST_INVALID', 'terminal.json: bad or missing format', { file: mfile, field: 'format' });
  }
  if (json.links !== undefined && !Array.isArray(json.links)) throw new ParseError('TERMINAL_MANIFEST_INVALID', 'terminal.json: links must be a list', { file: mfile, field: 'links' });
  const links: CvCertificate[] = [];
  for (const [i, name] of ((json.links as unknown[] | undefined) ?? []).entries()) {
    links.push(decodeCvCertificate(await readBytes(join(dir, plainName(name, `links.${i}`)), 'cvcert')));
  }
  const dv = decodeCvCertificate(await readBytes(join(dir, plainName(json.dv, 'dv')), 'cvcert'));
  const is = decodeCvCertificate(await readBytes(join(dir, plainName(json.is, 'is')), 'cvcert'));
  const signer = await loadSigner(parseKeyRef(json.key), { dir, ...secrets });
  const key = cvPublicKeyOf(signer, false);
  const matches = key.kind === 'ec' ? is.publicKey.kind === 'ec' && equalBytes(key.point, is.publicKey.point) : is.publicKey.kind === 'rsa' && equalBytes(key.n, is.publicKey.n);
  if (!matches) {
    signer.close();
    throw new ValidationError('TERMINAL_KEY_MISMATCH', 'the IS key does not match is.cvcert', { file: join(dir, FILES.is) });
  }
  return Object.freeze({ chain: Object.freeze([...links, dv, is]), is, signer, close: () => signer.close() });
}

/** A terminal file, bounded (docs/input-limits.md); the error names the file and why. */
async function readBytes(path: string, kind: InputKind): Promise<Uint8Array> {
  try {
    return await readInputFile(path, kind);
  } catch (e) {
    throw new CancuocError('TERMINAL_READ_FAILED', `cannot read ${path}: ${(e as Error).message}`, { file: path }, { cause: e });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
