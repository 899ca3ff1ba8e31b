/**
 * EAC fixtures for the chip tests: a CVCA (brainpoolP256r1, as CCCD chips), DV and IS chains
 * under it, and a virtual chip personalized in process with trust points, a date and a DG3.
 */
import { VirtualChip, type VirtualChipOptions } from '../../src/card/chip.js';
import { createCvca, issueUnder, type ReadRights } from '../../src/crypto/cv-pki.js';
import type { SignatureSuite } from '../../src/crypto/algorithms.js';
import { generateSoftwareKey, type Signer } from '../../src/crypto/signer.js';
import type { CvCertificate } from '../../src/lds/cvc.js';
import { openCard, type CardSession } from '../../src/reader/card-session.js';
import { InProcessTransport } from '../../src/reader/in-process.js';
import { personalize, type DocumentSet } from '../../src/reader/personalize.js';
import type { TerminalCredentials } from '../../src/reader/terminal-auth.js';
import { buildDocumentSet, PERSON } from '../reader/document-set.fixture.js';

export const DAY = 86400000;
export const T0 = new Date('2026-06-01T12:00:00Z');
export const at = (days: number): Date => new Date(T0.getTime() + days * DAY);
export const DG3 = Uint8Array.of(0x63, 0x06, 0x02, 0x01, 0x01, 0x7f, 0x61, 0x00);
export const ALL: ReadRights = { readDg3: true, readDg4: true };
const MRZ = { documentNumber: PERSON.documentNumber, dateOfBirth: PERSON.dateOfBirth, dateOfExpiry: PERSON.dateOfExpiry };

export interface Cvca {
  readonly cert: CvCertificate;
  readonly key: Signer;
}

export async function cvca(country = 'VN', now = at(-30), suite: SignatureSuite = 'ecdsa-bp256'): Promise<Cvca> {
  const key = generateSoftwareKey(suite).signer;
  return { cert: await createCvca({ signer: key, country, now, days: 1095 }), key };
}

/** DV under `root`, IS under the DV; the IS signer is returned with the chain. */
export async function terminal(
  root: Cvca,
  o: { dvRights?: ReadRights; isRights?: ReadRights; foreign?: boolean; now?: Date; isDays?: number } = {},
): Promise<TerminalCredentials> {
  const dvKey = generateSoftwareKey(root.key.suite).signer;
  const isKey = generateSoftwareKey(root.key.suite).signer;
  const now = o.now ?? T0;
  const country = root.cert.chr.slice(0, 2);
  const dv = await issueUnder({ issuer: root.cert, issuerSigner: root.key, subject: dvKey, role: o.foreign ? 'dv-foreign' : 'dv-domestic', chr: `${country}DV00001`, rights: o.dvRights ?? ALL, now, days: 90 });
  const is = await issueUnder({ issuer: dv, issuerSigner: dvKey, subject: isKey, role: 'terminal', chr: `${country}IS00001`, rights: o.isRights ?? ALL, now, days: o.isDays ?? 30 });
  return { chain: [dv, is], is, signer: isKey };
}

export async function chipWith(trustPoints: readonly CvCertificate[], currentDate: string, options: VirtualChipOptions = {}): Promise<VirtualChip> {
  const base = buildDocumentSet();
  const set: DocumentSet = { ...base, files: new Map([...base.files, ['DG3', DG3]]), eac: { trustPoints: trustPoints.map((c) => c.raw), currentDate } };
  const chip = new VirtualChip(undefined, options);
  const t = InProcessTransport.open(chip);
  await personalize(t, set);
  await t.close();
  return chip;
}

export async function session(chip: VirtualChip, method: 'pace' | 'bac' = 'pace'): Promise<CardSession> {
  return method === 'pace' ? openCard(InProcessTransport.open(chip), { can: PERSON.can }) : openCard(InProcessTransport.open(chip), MRZ, { method: 'bac' });
}

