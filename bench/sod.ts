/**
 * EF.SOD signing and passive authentication throughput, against OpenSSL's raw verify rate for
 * the same algorithm measured by `openssl speed` in the same run (one core). Beside it, the floor
 * of any passive authentication built on Node's crypto: its verify of the SOD signature plus the
 * hashes PA must compute (each DG, eContent), with no parsing and no report.
 */
import { execFileSync } from 'node:child_process';
import { constants, createPublicKey, hash as nodeHash, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SignatureSuite } from '../src/crypto/algorithms.js';
import { initPki, loadPki } from '../src/crypto/pki.js';
import { signSod } from '../src/crypto/sod-sign.js';
import { parseCitizenRecord } from '../src/issuance/citizen.js';
import { buildDocumentSet } from '../src/issuance/document-set.js';
import { decodeSod } from '../src/lds/sod.js';
import { dataGroupsOf } from '../src/reader/document-dir.js';
import { passiveAuthentication } from '../src/reader/passive-auth.js';
import { TrustStore } from '../src/reader/trust-store.js';
import { packageRoot } from '../bin/commands/package-root.js';
import { rate, rateAsync, round } from './measure.js';

const SUITES: readonly { suite: SignatureSuite; speed: string; pattern: RegExp }[] = [
  { suite: 'ecdsa-p256', speed: 'ecdsap256', pattern: /256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)/ },
  { suite: 'rsa-pss-3072', speed: 'rsa3072', pattern: /rsa 3072 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)/ },
];

/** OpenSSL's verify/s for one algorithm on one core. */
function opensslVerifyRate(speed: string, pattern: RegExp): number {
  const out = execFileSync('openssl', ['speed', '-seconds', '2', speed], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const m = pattern.exec(out);
  if (m === null) throw new Error(`cannot read openssl speed ${speed}`);
  return Number(m[2]);
}

/** Verify options for Node, as the SOD's SignerInfo asks (PSS: SHA-256, salt 32, as cancuoc signs). */
function nodeOptions(key: KeyObject, suite: SignatureSuite) {
  return suite === 'rsa-pss-3072' ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : { key, dsaEncoding: 'der' as const };
}

/**
 * Node's own one-shot verify of one signature with an imported key: the ceiling for any verifier
 * built on Node's crypto, measured beside `openssl speed` to show what Node's binding costs.
 */
async function nodeVerifyRate(spki: Uint8Array, sign: (d: Uint8Array) => Promise<Uint8Array>, suite: SignatureSuite): Promise<number> {
  const data = new Uint8Array(120).fill(7); // about the size of the SOD's signed attributes
  const signature = await sign(data);
  const options = nodeOptions(createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), suite);
  return rate(() => {
    if (!verify('sha256', data, options, signature)) throw new Error('bench signature does not verify');
  });
}

/** Node's verify of each SOD's signature plus the SHA-256 of eContent and of every DG: work PA cannot skip. */
function floorRate(sods: readonly Uint8Array[], dataGroups: ReadonlyMap<number, Uint8Array>, spki: Uint8Array, suite: SignatureSuite): number {
  const options = nodeOptions(createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), suite);
  const parts = sods.map((sod) => {
    const sd = decodeSod(sod).signedData;
    return { signedAttrs: sd.signerInfos[0]!.signedAttrsDer!, signature: sd.signerInfos[0]!.signature, content: sd.content };
  });
  const groups = [...dataGroups.values()];
  let i = 0;
  return rate(() => {
    const p = parts[i++ % parts.length]!;
    nodeHash('sha256', p.content, 'buffer');
    for (const g of groups) nodeHash('sha256', g, 'buffer');
    if (!verify('sha256', p.signedAttrs, options, p.signature)) throw new Error('bench SOD signature does not verify');
  });
}

/** Distinct SODs over the same DGs (fresh signatures), so no run verifies the same bytes twice in a row. */
const SOD_COUNT = 16;

export async function runSodBench(): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const root = packageRoot();
  const record = parseCitizenRecord(readFileSync(join(root, 'fixtures/citizens/citizen-01.json'), 'utf8'));
  const photo = new Uint8Array(readFileSync(join(root, 'fixtures/faces/face-01.jpg')));
  for (const { suite, speed, pattern } of SUITES) {
    const dir = await mkdtemp(join(tmpdir(), 'cancuoc-bench-'));
    try {
      await initPki({ dir, suite, country: 'VN', insecurePlainKeys: true });
      const pki = await loadPki(dir);
      const set = await buildDocumentSet({ record, photo, dsSigner: pki.signers.ds, dsCertificate: pki.certificates.ds });
      const dataGroups = dataGroupsOf(set.files);
      const sod = set.files.get('SOD')!;
      const trust = new TrustStore();
      trust.addCertificates(pki.certificates.csca);
      trust.addCrl(pki.crl);
      results[`sod.sign_per_s.${suite}`] = await rateAsync(() =>
        signSod({ dataGroups, hash: 'sha256', signer: pki.signers.ds, dsCertificate: pki.certificates.ds }),
      );
      const sods = [sod];
      while (sods.length < SOD_COUNT) sods.push(await signSod({ dataGroups, hash: 'sha256', signer: pki.signers.ds, dsCertificate: pki.certificates.ds }));
      let i = 0;
      results[`pa.verify_per_s.${suite}`] = rate(() => {
        const input = { sod: sods[i++ % SOD_COUNT]!, dataGroups, trust };
        if (passiveAuthentication(input).verdict !== 'valid') throw new Error('bench SOD does not verify');
      });
      results[`pa.floor_per_s.${suite}`] = floorRate(sods, dataGroups, pki.signers.ds.publicKeySpki, suite);
      results[`node.verify_per_s.${suite}`] = await nodeVerifyRate(pki.signers.ds.publicKeySpki, (d) => pki.signers.ds.sign(d, 'sha256'), suite);
      results[`openssl.verify_per_s.${suite}`] = opensslVerifyRate(speed, pattern);
      const openssl = results[`openssl.verify_per_s.${suite}`]!;
      results[`pa.vs_openssl.${suite}`] = round(results[`pa.verify_per_s.${suite}`]! / openssl);
      results[`pa.floor_vs_openssl.${suite}`] = round(results[`pa.floor_per_s.${suite}`]! / openssl);
      results[`pa.vs_floor.${suite}`] = round(results[`pa.verify_per_s.${suite}`]! / results[`pa.floor_per_s.${suite}`]!);
      pki.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return results;
}
