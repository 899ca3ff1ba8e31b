/**
 * verify with a terminal (docs/eac.md): a card issued from a cancuoc PKI (CVCA trust point and
 * date on the chip, DG3 signed into the SOD), verified in process with and without an inspection
 * system from `issueTerminal`. With it DG3 is read, its SOD hash checks, the report summarises it
 * and says VALID; without it DG3 stays denied as before; a terminal lacking the DG3 right, an
 * expired one and one of another country's CVCA leave DG3 closed with a `ta` failure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualChip } from '../../src/card/chip.js';
import { initPki, loadPki, type Pki } from '../../src/crypto/pki.js';
import { issueTerminal, loadTerminal } from '../../src/crypto/terminal-pki.js';
import { chipEacFromPki, buildDocumentSet } from '../../src/issuance/document-set.js';
import { personalizationSet } from '../../src/issuance/document-set-files.js';
import { fingerInputToIso } from '../../src/issuance/finger-input.js';
import { parseCitizenRecord } from '../../src/issuance/citizen.js';
import { InProcessTransport } from '../../src/reader/in-process.js';
import { personalize } from '../../src/reader/personalize.js';
import type { TerminalCredentials } from '../../src/reader/terminal-auth.js';
import { TrustStore } from '../../src/reader/trust-store.js';
import { verifyCard, type VerificationReport } from '../../src/reader/verify.js';
import { tempDir } from '../crypto/pki/openssl.js';

const ROOT = join(import.meta.dirname, '..', '..');
const fixture = (p: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, 'fixtures', p)));

describe('verify --terminal, in process', () => {
  const dir = tempDir();
  let pki: Pki;
  let chip: VirtualChip;
  let can: string;
  let trust: TrustStore;
  const terminals = new Map<string, TerminalCredentials>();

  const terminalIn = async (name: string, from: Pki, o: { rights?: { readDg3: boolean; readDg4: boolean }; now?: Date; days?: number } = {}): Promise<TerminalCredentials> => {
    const out = join(dir, name);
    await issueTerminal({ pki: from, out, rights: o.rights ?? { readDg3: true, readDg4: true }, insecurePlainKeys: true, ...(o.now && { now: o.now }), ...(o.days && { days: o.days }) });
    return loadTerminal(out);
  };

  beforeAll(async () => {
    await initPki({ dir: join(dir, 'pki'), suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true, now: new Date(Date.now() - 2 * 86400000) });
    pki = await loadPki(join(dir, 'pki'));
    const record = parseCitizenRecord(Buffer.from(fixture('citizens/citizen-01.json')).toString('utf8'));
    const set = await buildDocumentSet({
      record,
      photo: fixture('faces/face-01.jpg'),
      fingers: [fingerInputToIso(fixture('fingers/finger-01.json')).iso],
      dsSigner: pki.signers.ds,
      dsCertificate: pki.certificates.ds,
      eac: chipEacFromPki(pki, new Date(Date.now() - 86400000))!,
    });
    can = set.can;
    chip = new VirtualChip();
    const t = InProcessTransport.open(chip);
    await personalize(t, personalizationSet(set));
    await t.close();
    trust = new TrustStore();
    trust.addCertificates(pki.certificates.csca);
    trust.addCrl(pki.crl);
    terminals.set('good', await terminalIn('good', pki));
    terminals.set('no-dg3', await terminalIn('no-dg3', pki, { rights: { readDg3: false, readDg4: true } }));
    terminals.set('expired', await terminalIn('expired', pki, { now: new Date(Date.now() - 40 * 86400000), days: 30 }));
    await initPki({ dir: join(dir, 'other'), suite: 'ecdsa-p256', country: 'UT', insecurePlainKeys: true });
    const other = await loadPki(join(dir, 'other'));
    terminals.set('other', await terminalIn('other-term', other));
    other.close();
  }, 120_000);

  const verify = (terminal?: string): Promise<VerificationReport> =>
    verifyCard(InProcessTransport.open(chip), { trust, access: { can }, ...(terminal && { terminal: terminals.get(terminal)! }) });
  const checkOf = (r: VerificationReport, id: string) => r.checks.find((c) => c.id === id);

  it('without a terminal DG3 is denied as before, and the report stays VALID', async () => {
    const r = await verify();
    expect(r.files.find((f) => f.name === 'DG3')?.status).toBe('denied');
    expect(checkOf(r, 'ta')).toBeUndefined();
    expect(r.fingerprints).toBeUndefined();
    expect(r.verdict).toBe('VALID');
  });

  it('with an IS of the PKI: TA passes, DG3 is read, its SOD hash checks, the report is VALID', async () => {
    const r = await verify('good');
    expect(checkOf(r, 'ta')).toMatchObject({ status: 'pass', code: 'OK' });
    expect(r.files.find((f) => f.name === 'DG3')?.status).toBe('read');
    expect(checkOf(r, 'dg.3.hash')?.status).toBe('pass');
    expect(r.fingerprints).toMatchObject({ templates: 1, formats: ['ISO19794-2:2005'] });
    expect(r.fingerprints!.fingers).toBeGreaterThan(0);
    expect(r.verdict).toBe('VALID');
  });

  it('an IS without the DG3 right, an expired IS, another country\'s IS: DG3 stays closed, ta fails', async () => {
    const noRight = await verify('no-dg3');
    expect(checkOf(noRight, 'ta')).toMatchObject({ status: 'fail', code: 'TA_RIGHT_MISSING' });
    const expired = await verify('expired');
    expect(checkOf(expired, 'ta')).toMatchObject({ status: 'fail', code: 'TA_CERTIFICATE_EXPIRED' });
    const foreign = await verify('other');
    expect(checkOf(foreign, 'ta')?.code).toBe('TA_REFUSED');
    expect(checkOf(foreign, 'ta')?.reason).toMatch(/6A88.*trust point/);
    for (const r of [noRight, expired, foreign]) {
      expect(r.files.find((f) => f.name === 'DG3')?.status).toBe('denied');
      expect(r.fingerprints).toBeUndefined();
      expect(r.verdict).toBe('INVALID');
      expect(r.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['ta']);
    }
  });
});
