/**
 * `verify.card_ms`: a checkpoint's whole verification of one card on the virtual chip in-process —
 * PACE with the CAN, reading every file, passive authentication, Active Authentication and Chip
 * Authentication with the DG1 re-read (src/reader/verify.ts) — median of N runs. The baseline in
 * the same run is `verify.dump_ms`: the same checks on the same files without the chip (no PACE,
 * no secure messaging, no AA or CA), so the difference is the cost of talking to the chip.
 * `verify.card_apdus` is the number of APDUs one verification sends.
 * `verify.card_eac_ms`: the same on a card with a fingerprint and a CVCA trust point, verified
 * with an inspection system (docs/eac.md): Terminal Authentication after CA, then DG3 read and
 * hashed; `verify.card_eac_apdus` its APDUs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { issueCertificate } from '../src/crypto/certificates.js';
import { createCvca, issueUnder } from '../src/crypto/cv-pki.js';
import { generateSoftwareKey, type Signer } from '../src/crypto/signer.js';
import type { VirtualChip } from '../src/card/chip.js';
import { fingerInputToIso } from '../src/issuance/finger-input.js';
import { cvDate } from '../src/lds/cvc.js';
import { parseCitizenRecord, type CitizenRecord } from '../src/issuance/citizen.js';
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

interface BenchDocument {
  readonly set: DocumentSet;
  readonly cscaCert: Uint8Array;
  readonly trust: TrustStore;
  /** What the set was made from, for sets made beside it (the EAC card). */
  readonly inputs: { readonly now: Date; readonly root: string; readonly record: CitizenRecord; readonly photo: Uint8Array; readonly ds: Signer; readonly dsCert: Uint8Array };
}

/** A genuine document set under a fresh CSCA, and a trust store with that CSCA (also for bench/serve.ts). */
export async function benchDocument(): Promise<BenchDocument> {
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
  return { set, cscaCert, trust, inputs: { now, root, record, photo, ds: ds.signer, dsCert } };
}

export async function runVerifyBench(): Promise<Record<string, number>> {
  const { set, trust, inputs } = await benchDocument();
  const { now, root, record, photo, ds, dsCert } = inputs;
  const chip = await personalizedChip({ set });

  const cvcaKey = generateSoftwareKey('ecdsa-bp256').signer;
  const dvKey = generateSoftwareKey('ecdsa-bp256').signer;
  const isKey = generateSoftwareKey('ecdsa-bp256').signer;
  const cvca = await createCvca({ signer: cvcaKey, country: 'VN', now });
  const rights = { readDg3: true, readDg4: true };
  const dv = await issueUnder({ issuer: cvca, issuerSigner: cvcaKey, subject: dvKey, role: 'dv-domestic', chr: 'VNDV00001', rights, now, days: 90 });
  const is = await issueUnder({ issuer: dv, issuerSigner: dvKey, subject: isKey, role: 'terminal', chr: 'VNIS00001', rights, now, days: 30 });
  const finger = fingerInputToIso(new Uint8Array(await readFile(join(root, 'fixtures/fingers/finger-01.json')))).iso;
  const eacSet = await buildDocumentSet({
    record,
    photo,
    fingers: [finger],
    dsSigner: ds,
    dsCertificate: dsCert,
    eac: { trustPoints: [cvca.raw], currentDate: cvDate(now) },
  });
  const eacChip = await personalizedChip({ set: eacSet });
  const terminal = { chain: [dv, is], is, signer: isKey };

  // Interleaved, so both see the same machine load and the same JIT warmth.
  const one = async (target: VirtualChip, can: string, options: { terminal?: typeof terminal }): Promise<{ ms: number; apdus: number }> => {
    const start = performance.now();
    const report = await verifyCard(InProcessTransport.open(target), { trust, access: { can }, ...options });
    const ms = performance.now() - start;
    if (report.verdict !== 'VALID') throw new Error(`bench card verified ${report.verdict}`);
    return { ms, apdus: report.apdus ?? 0 };
  };
  const card: number[] = [];
  const cardEac: number[] = [];
  let plainApdus = 0;
  let eacApdus = 0;
  for (let i = 0; i < RUNS + 2; i++) {
    const p = await one(chip, set.can, {});
    const e = await one(eacChip, eacSet.can, { terminal });
    [plainApdus, eacApdus] = [p.apdus, e.apdus];
    if (i >= 2) {
      // the first runs warm caches and the JIT
      card.push(p.ms);
      cardEac.push(e.ms);
    }
  }
  const plain = { ms: median(card), apdus: plainApdus };
  const eac = { ms: median(cardEac), apdus: eacApdus };
  const apdus = plain.apdus;
  const dump: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const start = performance.now();
    verifyDump(set.files, { trust });
    if (i >= 2) dump.push(performance.now() - start);
  }
  process.stderr.write(`verify: ${apdus} APDUs per card verification, ${eac.apdus} with Terminal Authentication and DG3\n`);
  return {
    'verify.card_ms': plain.ms,
    'verify.card_eac_ms': eac.ms,
    'verify.dump_ms': median(dump),
    'verify.card_apdus': apdus,
    'verify.card_eac_apdus': eac.apdus,
  };
}
