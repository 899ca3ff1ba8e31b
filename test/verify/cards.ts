/**
 * Test cards for the verification tests: an openssl-made PKI (test/helpers/openssl-pki.ts: CSCA,
 * Document Signers valid, expired and revoked, an unrelated CSCA), genuine document sets of the
 * sample citizens signed by that DS, SODs re-signed over changed data groups, and virtual chips
 * personalized in-process with any files and any AA / CA keys — so a chip can hold keys that
 * differ from what its DG14 / DG15 announce.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualChip } from '../../src/card/chip.js';
import { softwareSigner, type Signer } from '../../src/crypto/signer.js';
import { signSod } from '../../src/crypto/sod-sign.js';
import { parseCitizenRecord } from '../../src/issuance/citizen.js';
import { buildDocumentSet, type DocumentSet } from '../../src/issuance/document-set.js';
import { encodeCommandApdu } from '../../src/lds/apdu.js';
import { fileByName } from '../../src/lds/files.js';
import { InProcessTransport } from '../../src/reader/in-process.js';
import { LOCK_COMMAND, personalizationSteps } from '../../src/reader/personalize.js';
import { TrustStore } from '../../src/reader/trust-store.js';
import { packageRoot } from '../../bin/commands/package-root.js';
import { OpensslCa, stamp, tempDir, type IssuedCert } from '../helpers/openssl-pki.js';

const ROOT = packageRoot();
const YEAR = 365 * 86_400_000;

export interface TestPki {
  readonly dir: string;
  readonly csca: OpensslCa;
  readonly ds: IssuedCert;
  /** Valid from three years ago to one year ago. */
  readonly expiredDs: IssuedCert;
  /** Revoked by the CSCA; `crl` lists it. */
  readonly revokedDs: IssuedCert;
  readonly crl: Uint8Array;
  /** A DS of another CSCA, outside every trust store of the tests. */
  readonly foreignDs: IssuedCert;
  remove(): void;
}

export function makePki(): TestPki {
  const tmp = tempDir('cancuoc-verify-pki-');
  const csca = new OpensslCa(tmp.path, 'vn', '/C=VN/O=cancuoc test/CN=CSCA VN');
  const ds = csca.issue('ds', '/C=VN/O=cancuoc test/CN=Document Signer VN');
  const expiredDs = csca.issue('ds-expired', '/C=VN/O=cancuoc test/CN=Document Signer VN old', {
    start: stamp(new Date(Date.now() - 3 * YEAR)),
    end: stamp(new Date(Date.now() - YEAR)),
  });
  const revokedDs = csca.issue('ds-revoked', '/C=VN/O=cancuoc test/CN=Document Signer VN revoked');
  csca.revoke(revokedDs);
  const crl = csca.crl();
  const foreign = new OpensslCa(tmp.path, 'xx', '/C=XX/O=elsewhere/CN=CSCA XX');
  const foreignDs = foreign.issue('ds', '/C=XX/O=elsewhere/CN=Document Signer XX');
  return Object.freeze({ dir: tmp.path, csca, ds, expiredDs, revokedDs, crl, foreignDs, remove: tmp.remove });
}

export function signerOf(cert: IssuedCert): Signer {
  return softwareSigner(createPrivateKey(readFileSync(cert.keyPath)), 'ecdsa-p256');
}

/** A trust store with the test CSCA, and its CRL when asked. */
export function trustOf(pki: TestPki, options: { crl?: boolean } = {}): TrustStore {
  const trust = new TrustStore();
  trust.addCertificates(pki.csca.cert.der);
  if (options.crl === true) trust.addCrl(pki.crl);
  return trust;
}

/** The genuine document set of fixtures/citizens/citizen-NN.json, signed by `ds`. */
export async function issueCard(citizen: string, ds: IssuedCert, signingTime?: Date): Promise<DocumentSet> {
  const record = parseCitizenRecord(readFileSync(join(ROOT, `fixtures/citizens/citizen-${citizen}.json`), 'utf8'));
  const photo = new Uint8Array(readFileSync(join(ROOT, `fixtures/faces/face-${citizen}.jpg`)));
  return buildDocumentSet({ record, photo, dsSigner: signerOf(ds), dsCertificate: ds.der, ...(signingTime && { signingTime }) });
}

/**
 * The files with some data groups replaced (or, with null, dropped from the SOD but kept on the
 * chip) and EF.SOD signed again by `ds` over the result.
 */
export async function resign(
  files: ReadonlyMap<string, Uint8Array>,
  ds: IssuedCert,
  changes: Readonly<Record<string, Uint8Array | null>> = {},
  signingTime?: Date,
): Promise<Map<string, Uint8Array>> {
  const out = new Map(files);
  const dataGroups = new Map<number, Uint8Array>();
  for (const [name, bytes] of files) {
    const dg = fileByName(name)?.dg;
    const change = changes[name];
    if (change !== undefined && change !== null) out.set(name, change);
    if (dg !== undefined && change !== null) dataGroups.set(dg, change ?? bytes);
  }
  const sod = await signSod({
    dataGroups,
    hash: 'sha256',
    signer: signerOf(ds),
    dsCertificate: ds.der,
    ldsVersion: '0108',
    unicodeVersion: '040000',
    ...(signingTime && { signingTime }),
  });
  out.set('SOD', sod);
  return out;
}

export function newChipKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' }).privateKey;
}

export interface ChipSpec {
  readonly set: DocumentSet;
  /** The files the chip holds; default the set's. */
  readonly files?: ReadonlyMap<string, Uint8Array>;
  /** Keys the chip holds; default the set's (those DG15 and DG14 announce). */
  readonly aaKey?: KeyObject;
  readonly caKey?: KeyObject;
}

/**
 * A locked virtual chip personalized in-process with the JMRTD-style commands of
 * src/reader/personalize.ts, without its read-back (which would refuse a chip whose keys
 * differ from DG14 / DG15).
 */
export async function personalizedChip(spec: ChipSpec): Promise<VirtualChip> {
  const { set } = spec;
  const files = spec.files ?? set.files;
  const chip = new VirtualChip();
  const transport = InProcessTransport.open(chip);
  const steps = personalizationSteps({
    manifest: {
      version: 1,
      documentNumber: set.documentNumber,
      dateOfBirth: set.dateOfBirth,
      dateOfExpiry: set.dateOfExpiry,
      can: set.can,
      files: Object.fromEntries([...files.keys()].map((n) => [n, `${n}.bin`])),
      keys: { aa: 'aa-key.pem', ca: 'ca-key.pem' },
    },
    files,
    aaKey: spec.aaKey ?? set.keys.aa,
    caKey: spec.caKey ?? set.keys.ca,
    ...(set.eac === undefined ? {} : { eac: set.eac }),
  });
  for (const s of [...steps.map((x) => x.command), LOCK_COMMAND]) {
    const response = await transport.transmit(encodeCommandApdu(s));
    if (response[response.length - 2] !== 0x90) throw new Error(`personalization command refused: ${Buffer.from(response).toString('hex')}`);
  }
  await transport.close();
  return chip;
}
