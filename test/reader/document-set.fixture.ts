/**
 * Fixture builder for the reader tests: a small CCCD-like document set (the shape `cancuoc lds
 * build` writes, see src/reader/personalize.ts DocumentSetManifest), with fresh keys. The SOD is a
 * placeholder TLV: personalization copies and compares bytes, it does not verify signatures.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeCardAccess } from '../../src/lds/card-access.js';
import { encodeCom } from '../../src/lds/com.js';
import { encodeDg1 } from '../../src/lds/dg1.js';
import { encodeDg14 } from '../../src/lds/dg14.js';
import { encodeDg15 } from '../../src/lds/dg15.js';
import { buildCccdTd1 } from '../../src/lds/mrz-cccd.js';
import { OID } from '../../src/lds/oid.js';
import { encodeTlv } from '../../src/lds/tlv.js';
import type { DocumentSet, DocumentSetManifest } from '../../src/reader/personalize.js';

export interface FixtureOptions {
  readonly aa?: 'rsa' | 'ec';
  /** PACE suites offered in EF.CardAccess: [cipher arc (1 3DES … 4 AES-256), parameter id]. */
  readonly pace?: readonly (readonly [number, number])[];
  /** Size of the DG2 value (default a 15 KB face). */
  readonly dg2Size?: number;
}

export const PERSON = Object.freeze({ id: '001099012345', can: '012345', documentNumber: '099012345', dateOfBirth: '990101', dateOfExpiry: '240101' });

function spki(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: 'der', type: 'spki' }));
}

export function buildDocumentSet(options: FixtureOptions = {}): DocumentSet {
  const ca = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' });
  const aa = options.aa === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pace = options.pace ?? [[2, 13]];
  const paceInfos = pace.map(([c, id]) => ({ kind: 'pace' as const, protocol: `${OID.idPACE}.2.${c}`, version: 2, parameterId: id }));
  const cardAccess = encodeCardAccess([
    { kind: 'terminalAuthentication', protocol: OID.idTA, version: 1 },
    { kind: 'chipAuthentication', protocol: `${OID.idCA_ECDH}.2`, version: 1 },
    ...paceInfos,
  ]);
  const dg14 = encodeDg14([
    { kind: 'chipAuthentication', protocol: `${OID.idCA_ECDH}.2`, version: 1 },
    { kind: 'chipAuthenticationPublicKey', protocol: OID.idPK_ECDH, publicKey: { raw: spki(ca.publicKey) } },
    ...paceInfos,
    ...(options.aa === 'ec' ? [{ kind: 'activeAuthentication' as const, protocol: OID.aaProtocolObject, version: 1, signatureAlgorithm: OID.ecdsaPlainSha256 }] : []),
  ]);
  const mrz = buildCccdTd1({ personalId: PERSON.id, dateOfBirth: PERSON.dateOfBirth, sex: 'M', dateOfExpiry: PERSON.dateOfExpiry, name: 'NGUYEN<<VAN<A' });
  const files = new Map<string, Uint8Array>([
    ['COM', encodeCom({ ldsVersion: '0108', unicodeVersion: '040000', dataGroups: [1, 2, 13, 14, 15] })],
    ['CardAccess', cardAccess],
    ['DG1', encodeDg1(mrz)],
    ['DG2', encodeTlv(0x75, new Uint8Array(randomBytes(options.dg2Size ?? 15_000)))],
    ['DG13', encodeTlv(0x6d, new Uint8Array(randomBytes(376)))],
    ['DG14', dg14],
    ['DG15', encodeDg15(spki(aa.publicKey))],
    ['SOD', encodeTlv(0x77, new Uint8Array(randomBytes(1800)))],
  ]);
  const manifest: DocumentSetManifest = {
    version: 1,
    documentNumber: PERSON.documentNumber,
    dateOfBirth: PERSON.dateOfBirth,
    dateOfExpiry: PERSON.dateOfExpiry,
    can: PERSON.can,
    files: Object.fromEntries([...files.keys()].map((n) => [n, `${n}.bin`])),
    keys: { aa: 'aa-key.pem', ca: 'ca-key.pem' },
  };
  return Object.freeze({ manifest, files, aaKey: aa.privateKey, caKey: ca.privateKey });
}

/** Writes the set as a directory, keys encrypted with `passphrase` (plain without one). */
export function writeDocumentSet(dir: string, set: DocumentSet, passphrase?: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of set.files) writeFileSync(join(dir, `${name}.bin`), bytes);
  const pem = (k: KeyObject) =>
    (passphrase === undefined
      ? k.export({ type: 'pkcs8', format: 'pem' })
      : k.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })) as string;
  writeFileSync(join(dir, 'aa-key.pem'), pem(set.aaKey));
  writeFileSync(join(dir, 'ca-key.pem'), pem(set.caKey));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(set.manifest, null, 2));
}
