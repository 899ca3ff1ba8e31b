/**
 * `pki cvca-rollover` (BSI TR-03110-3 v2.21 §2.2.1, docs/eac.md): the old CVCA signs a link
 * certificate for the new key. cvc-print verifies the link from the old CVCA; a terminal issued
 * after the rollover carries the link, so a chip personalized before it learns the new CVCA
 * (and keeps it in its image), and a chip personalized after it (trusting only the new CVCA)
 * accepts the same terminal.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initPki, loadPki } from '../../src/crypto/pki.js';
import { issueTerminal, loadTerminal } from '../../src/crypto/terminal-pki.js';
import { equalBytes } from '../../src/lds/bytes.js';
import { cvDate, decodeCvCertificate } from '../../src/lds/cvc.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../crypto/pki/openssl.js';
import { printed, trustDir } from '../crypto/cvc/openpace.js';
import { chipWith, DAY, DG3, session } from './eac-fixture.js';

describe('pki cvca-rollover', () => {
  it('links the new CVCA to the old; chips personalized before and after accept the new terminals', async () => {
    const dir = tempDir();
    const pkiDir = join(dir, 'pki');
    await initPki({ dir: pkiDir, suite: 'ecdsa-bp256', country: 'VN', insecurePlainKeys: true });
    const before = await loadPki(pkiDir);
    const oldCvca = before.eac!.cvca;
    before.close();
    const today = cvDate(new Date(Date.now() - DAY));
    const oldChip = await chipWith([oldCvca], today);

    const r = runCli(['pki', 'cvca-rollover', '--pki', pkiDir]);
    expect(r.status, r.stderr).toBe(0);
    const link = decodeCvCertificate(new Uint8Array(readFileSync(join(pkiDir, 'cvca-link-00002.cvcert'))));
    const next = decodeCvCertificate(new Uint8Array(readFileSync(join(pkiDir, 'cvca-00002.cvcert'))));
    expect([link.car, link.chr, next.car, next.chr]).toEqual(['VNCVCA00001', 'VNCVCA00002', 'VNCVCA00002', 'VNCVCA00002']);
    expect(printed(join(pkiDir, 'cvca-link-00002.cvcert'), 'cvc', trustDir(dir, [oldCvca])).verified).toBe(true);

    const after = await loadPki(pkiDir);
    expect(after.eac?.cvca.chr).toBe('VNCVCA00002');
    await issueTerminal({ pki: after, out: join(dir, 'term'), rights: { readDg3: true, readDg4: false }, insecurePlainKeys: true });
    after.close();
    const terminal = await loadTerminal(join(dir, 'term'));
    expect(terminal.chain.map((c) => c.car)).toEqual(['VNCVCA00001', 'VNCVCA00002', terminal.chain[1]!.chr]);
    const newChip = await chipWith([next], today);

    for (const chip of [oldChip, newChip]) {
      const s = await session(chip);
      await s.chipAuth();
      await s.terminalAuth(terminal);
      expect(equalBytes(await s.readFile('DG3'), DG3)).toBe(true);
      await s.close();
    }
    expect(oldChip.image().cvca.map((c) => decodeCvCertificate(c.body).chr)).toEqual(['VNCVCA00001', 'VNCVCA00002']);
    expect(newChip.image().cvca.map((c) => decodeCvCertificate(c.body).chr)).toEqual(['VNCVCA00002']);
    terminal.close();
  }, 120_000);
});
