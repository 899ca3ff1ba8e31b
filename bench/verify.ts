/**
 * `verify.card_ms`: a checkpoint's whole verification of one card on the virtual chip in-process —
 * PACE with the CAN, reading every file, passive authentication, Active Authentication and Chip
 * Authentication with the DG1 re-read (src/reader/verify.ts) — median of N runs. The baseline in
 * the same run is `verify.dump_ms`: the same checks on the same files without the chip (no PACE,
 * no secure messaging, no AA or CA), so the difference is the cost of talking to the chip.
 * `verify.card_apdus` is the number of APDUs one verification sends.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { issueCertificate } from '../src/crypto/certificates.js';
import { generateSoftwareKey } from '../src/crypto/signer.js';
import { parseCitizenRecord } from '../src/issuance/citizen.js';
import { buildDocumentSet, type DocumentSet } from '../src/issuance/document-set.js';
import { InProcessTransport } from '../src/reader/in-process.js';
import { TrustStore } from '../src/reader/trust-store.js';
import { verifyCard, verifyDump } from '../src/reader/verify.js';
import { packageRoot } from '../bin/commands/package-root.js';
import { personalizedChip } from '../test/verify/cards.js';
import { round } from './measure.js';

const RUNS = 15;
const YEAR = 365 * 86_400_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.floor(sorted.length / 2)]!);
}

/** A genuine document set under a fresh CSCA, and a trust store with that CSCA (also for bench/serve.ts). */
export async function benchDocument(): Promise<{ set: DocumentSet; cscaCert: Uint8Array; trust: TrustStore }> {
  const now = new Date();
  const csca = generateSoftwareKey('ecdsa-p256');
  const ds = generateSoftwareKey('ecdsa-p256');
  const validity = { notBefore: now, notAfter: new Date(now.getTime() + 10 * YEAR) };
  const cscaCert = await issueCertificate({ role: 'csca', subject: { country: 'VN', commonName: 'CSCA bench' }, signer: csca.signer, ...validity });
  const dsCert = await issueCertificate({
    role: 'ds',
    subject: { country: 'VN', commonName: 'DS bench' },
    subjectPublicKey: ds.signer.publicKeySpki,
    issuerCertificate: cscaCert,
    signer: csca.signer,
    documentTypes: ['ID'],
    ...validity,
  });
  const root = packageRoot();
  const record = parseCitizenRecord(await readFile(join(root, 'fixtures/citizens/citizen-01.json'), 'utf8'));
  const photo = new Uint8Array(await readFile(join(root, 'fixtures/faces/face-01.jpg')));
  const set = await buildDocumentSet({ record, photo, dsSigner: ds.signer, dsCertificate: dsCert });

  const trust = new TrustStore();
  trust.addCertificates(cscaCert);
  return { set, cscaCert, trust };
}

export async function runVerifyBench(): Promise<Record<string, number>> {
  const { set, trust } = await benchDocument();
  const chip = await personalizedChip({ set });

  const card: number[] = [];
  let apdus = 0;
  for (let i = 0; i < RUNS + 2; i++) {
    const start = performance.now();
    const report = await verifyCard(InProcessTransport.open(chip), { trust, access: { can: set.can } });
    const ms = performance.now() - start;
    if (report.verdict !== 'VALID') throw new Error(`bench card verified ${report.verdict}`);
    apdus = report.apdus ?? 0;
    if (i >= 2) card.push(ms); // the first runs warm caches and the JIT
  }
  const dump: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const start = performance.now();
    verifyDump(set.files, { trust });
    if (i >= 2) dump.push(performance.now() - start);
  }
  process.stderr.write(`verify: ${apdus} APDUs per card verification\n`);
  return { 'verify.card_ms': median(card), 'verify.dump_ms': median(dump), 'verify.card_apdus': apdus };
}
