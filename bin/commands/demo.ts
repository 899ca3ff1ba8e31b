import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { initPki, loadPki } from '../../src/crypto/pki.js';
import { parseCitizenRecord } from '../../src/issuance/citizen.js';
import { buildDocumentSet } from '../../src/issuance/document-set.js';
import { dataGroupsOf } from '../../src/reader/document-dir.js';
import { passiveAuthentication } from '../../src/reader/passive-auth.js';
import { TrustStore } from '../../src/reader/trust-store.js';
import { packageRoot } from './package-root.js';
import { printPassiveAuth, verdictExitCode } from './report.js';

/** Runs the whole chain on embedded defaults with a throwaway PKI in a temporary directory. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('throwaway PKI → sample citizen → signed document set → offline verification')
    .option('--keep <dir>', 'keep the PKI in this directory instead of a temporary one')
    .action(async (opts: { keep?: string }) => {
      const started = performance.now();
      const step = (text: string): void => {
        process.stdout.write(`[${((performance.now() - started) / 1000).toFixed(2)} s] ${text}\n`);
      };
      const root = packageRoot();
      const work = opts.keep ?? (await mkdtemp(join(tmpdir(), 'cancuoc-demo-')));
      try {
        await initPki({ dir: join(work, 'pki'), suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true });
        const pki = await loadPki(join(work, 'pki'));
        step(`throwaway PKI (ECDSA P-256, plaintext keys) in ${join(work, 'pki')}`);
        const record = parseCitizenRecord(await readFile(join(root, 'fixtures/citizens/citizen-01.json'), 'utf8'));
        const photo = new Uint8Array(await readFile(join(root, 'fixtures/faces/face-01.jpg')));
        const set = await buildDocumentSet({ record, photo, dsSigner: pki.signers.ds, dsCertificate: pki.certificates.ds });
        pki.close();
        step(`document set of sample citizen ${record.id}: ${[...set.files.keys()].join(', ')} (SOD signed by the DS)`);
        const trust = new TrustStore();
        trust.addCertificates(pki.certificates.csca);
        trust.addCrl(pki.crl);
        const report = passiveAuthentication({ sod: set.files.get('SOD')!, dataGroups: dataGroupsOf(set.files), trust });
        step('passive authentication against the CSCA and its CRL');
        printPassiveAuth(report);
        process.exitCode = verdictExitCode(report.verdict);
      } finally {
        if (opts.keep === undefined) await rm(work, { recursive: true, force: true });
      }
    });
}
