import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { VirtualChip } from '../../src/card/chip.js';
import { blankImage } from '../../src/card/image.js';
import { connectVpcd, type VpcdConnection } from '../../src/card/vpcd.js';
import { initPki, loadPki } from '../../src/crypto/pki.js';
import { parseCitizenRecord } from '../../src/issuance/citizen.js';
import { buildDocumentSet } from '../../src/issuance/document-set.js';
import { personalizationSet } from '../../src/issuance/document-set-files.js';
import { fingerInputToIso } from '../../src/issuance/finger-input.js';
import { InProcessTransport } from '../../src/reader/in-process.js';
import { connect, watchReader } from '../../src/reader/pcsc.js';
import { personalize } from '../../src/reader/personalize.js';
import type { Transport } from '../../src/reader/transport.js';
import { TrustStore } from '../../src/reader/trust-store.js';
import { verifyCard } from '../../src/reader/verify.js';
import { packageRoot } from './package-root.js';
import { eacOption } from './options.js';
import { humanReport, verificationExitCode } from './verify.js';

/** vpcd's two readers and the TCP ports the driver listens on for them (docs/pcsc.md). */
const VPCD_READERS: readonly { reader: string; port: number }[] = [
  { reader: 'Virtual PCD 00 00', port: 35963 },
  { reader: 'Virtual PCD 00 01', port: 35964 },
];

interface ChipLink {
  readonly transport: Transport;
  readonly how: string;
  close(): Promise<void>;
}

/** The chip on a free vpcd reader through pcscd, or in-process when no PC/SC stack answers. */
async function linkChip(chip: VirtualChip, onlyPort: number | undefined): Promise<ChipLink> {
  let why = 'no free vpcd reader';
  for (const { reader, port } of VPCD_READERS.filter((r) => onlyPort === undefined || r.port === onlyPort)) {
    let vpcd: VpcdConnection | undefined;
    try {
      const watch = await watchReader(reader, { timeoutMs: 1000 });
      try {
        if (watch.present) continue;
        vpcd = await connectVpcd(chip, { port });
        await watch.waitForCard(5000);
      } finally {
        await watch.close();
      }
      const transport = await connect(reader, { share: 'exclusive', disposition: 'reset' });
      const link = vpcd;
      return { transport, how: `through pcscd + vpcd on "${reader}"`, close: async () => (await transport.close(), await link.close()) };
    } catch (e) {
      await vpcd?.close();
      why = e instanceof Error ? e.message : String(e);
    }
  }
  const transport = await InProcessTransport.open(chip);
  return { transport, how: `IN-PROCESS, not through PC/SC (fallback: ${why}; start pcscd with the vpcd driver for the real stack)`, close: () => transport.close() };
}

/** The whole chain on embedded defaults: PKI, enrollment, personalization, verification. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('throwaway PKI → sample citizen → virtual chip personalized and locked → read back and verified')
    .option('--in-process', 'do not try pcscd + vpcd; talk to the virtual chip directly')
    .option('--vpcd-port <port>', 'use only the vpcd reader on this port (35963 or 35964)')
    .action(async (opts: { inProcess?: boolean; vpcdPort?: string }) => {
      const started = performance.now();
      const step = (text: string): void => {
        process.stdout.write(`[${((performance.now() - started) / 1000).toFixed(2)} s] ${text}\n`);
      };
      const root = packageRoot();
      // The path first: a demo that fell back to the in-process chip must say so before anything else.
      const chip = new VirtualChip(blankImage());
      const port = opts.vpcdPort === undefined ? undefined : Number(opts.vpcdPort);
      const link = opts.inProcess === true ? await inProcess(chip) : await linkChip(chip, port);
      step(`blank virtual chip connected ${link.how}`);
      const work = await mkdtemp(join(tmpdir(), 'cancuoc-demo-'));
      try {
        await initPki({ dir: join(work, 'pki'), suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true });
        const pki = await loadPki(join(work, 'pki'));
        pki.close();
        step('throwaway PKI: CSCA, Document Signer, CRL (ECDSA P-256, plaintext keys in a temporary directory)');

        const fixture = (p: string): Promise<Buffer> => readFile(join(root, 'fixtures', p));
        const record = parseCitizenRecord((await fixture('citizens/citizen-01.json')).toString('utf8'));
        const finger = fingerInputToIso(new Uint8Array(await fixture('fingers/finger-01.json')));
        const set = await buildDocumentSet({
          record,
          photo: new Uint8Array(await fixture('faces/face-01.jpg')),
          fingers: [finger.iso],
          dsSigner: pki.signers.ds,
          dsCertificate: pki.certificates.ds,
          ...eacOption(pki),
        });
        step(`enrolled sample citizen ${record.id}: ${[...set.files.keys()].join(', ')}, SOD signed`);

        const perso = await personalize(link.transport, personalizationSet(set), { lock: true });
        step(
          `personalized (${perso.commands} commands), ${perso.filesVerified.length} files read back and compared, ` +
            `AA ${perso.activeAuthentication ? 'ok' : 'FAILED'}, CA ${perso.chipAuthentication ? 'ok' : 'FAILED'}, ${perso.locked ? 'locked' : 'NOT locked'}`,
        );
        const trust = new TrustStore();
        trust.addCertificates(pki.certificates.csca);
        trust.addCrl(pki.crl);
        const report = await verifyCard(link.transport, { trust, access: { can: set.can } });
        step(`read back through PACE with the CAN and verified: passive, active and chip authentication`);
        process.stdout.write(humanReport(report, undefined));
        process.exitCode = verificationExitCode(report.verdict);
      } finally {
        await link.close();
        await rm(work, { recursive: true, force: true });
      }
    });
}

async function inProcess(chip: VirtualChip): Promise<ChipLink> {
  const transport = await InProcessTransport.open(chip);
  return { transport, how: 'in-process (as asked)', close: () => transport.close() };
}
