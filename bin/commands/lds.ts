import { checkOutputDir, readInputFile, readInputText } from '../../src/crypto/file-io.js';
import { decodeMinutiaeRecord } from '../../src/lds/finger-minutiae.js';
import type { Command } from 'commander';
import { loadPki } from '../../src/crypto/pki.js';
import { parseCitizenRecord } from '../../src/issuance/citizen.js';
import { buildDocumentSet } from '../../src/issuance/document-set.js';
import { writeDocumentSet } from '../../src/issuance/document-set-files.js';
import { dataGroupsOf, readDocumentDir } from '../../src/reader/document-dir.js';
import { passiveAuthentication } from '../../src/reader/passive-auth.js';
import { CHIP_NOT_CHECKED, printPassiveAuth, verdictExitCode } from './report.js';
import { loadTrust, policyOf, policyOptions, refusedTrustLines } from './trust.js';
import { eacOption, fingerFiles, isoTimeOption, photoBudgetOption, sodHashOption } from './options.js';

interface BuildOptions {
  record: string;
  photo: string;
  finger?: string[];
  pki: string;
  out: string;
  hash: string;
  photoBudget: string;
  insecurePlainKeys?: boolean;
  force?: boolean;
}

export function registerLds(program: Command): void {
  const lds = program.command('lds').description('the document set: build and verify the files of a card');
  lds
    .command('build')
    .description('build and sign the data groups of one citizen')
    .requiredOption('--record <file>', 'citizen record (JSON)')
    .requiredOption('--photo <file>', 'face photo (JPEG or PNG)')
    .option('--finger <file...>', 'ISO/IEC 19794-2 minutiae record(s), one or two fingers')
    .requiredOption('--pki <dir>', 'PKI made by `cancuoc pki init`')
    .requiredOption('--out <dir>', 'directory for the document set')
    .option('--hash <name>', 'SOD hash: sha256, sha384 or sha512', 'sha256')
    .option('--photo-budget <bytes>', 'largest DG2 JPEG', '15000')
    .option('--insecure-plain-keys', 'write the chip keys unencrypted (throwaway test sets only)')
    .option('--force', 'replace an existing, non-empty output folder (the whole set)')
    .action(async (opts: BuildOptions) => {
      const hash = sodHashOption(opts.hash);
      await checkOutputDir(opts.out, opts.force === true); // before any work or passphrase prompt
      const budget = photoBudgetOption(opts.photoBudget);
      const record = parseCitizenRecord(await readInputText(opts.record, 'json'));
      const photo = await readInputFile(opts.photo, 'photo');
      const fingers = await fingerFiles(opts.finger, decodeMinutiaeRecord);
      const pki = await loadPki(opts.pki);
      try {
        const set = await buildDocumentSet({
          record,
          photo,
          fingers,
          dsSigner: pki.signers.ds,
          dsCertificate: pki.certificates.ds,
          hash,
          photoBudget: budget,
          ...eacOption(pki),
        });
        const manifest = await writeDocumentSet(opts.out, set, { insecurePlainKeys: opts.insecurePlainKeys === true, force: opts.force === true });
        process.stdout.write(
          `document set written to ${opts.out}: ${Object.values(manifest.files).join(', ')}, manifest.json ` +
            `(portrait ${set.portrait.width}×${set.portrait.height}, ${set.portrait.bytes} bytes)\n`,
        );
      } finally {
        pki.close();
      }
    });
  const ldsVerify = lds
    .command('verify')
    .description('passive authentication of a document set or dump, offline')
    .argument('<dir>', 'directory with SOD and data groups (DG1.bin, EF_SOD.bin, Datagroup1.bin, ef0101.bin, ...)')
    .requiredOption('--trust <path...>', 'CSCA certificates, master lists, CRLs, or directories of them')
    .option('--json', 'print the report as JSON (docs/report-schema.md)')
    .option('--at <time>', 'check validity at this ISO 8601 time instead of now');
  policyOptions(ldsVerify).action(async (dir: string, opts: { trust: string[]; json?: boolean; at?: string; requireCrl?: boolean; acceptStaleCrl?: boolean; strict?: boolean }) => {
    const at = isoTimeOption(opts.at);
    const { store, loaded } = await loadTrust(opts.trust, at);
    const { files } = await readDocumentDir(dir);
    const report = passiveAuthentication({ sod: files.get('SOD')!, dataGroups: dataGroupsOf(files), trust: store, at, policy: policyOf(opts) });
    // passive authentication of files: nothing shows they came from a genuine chip (ICAO 9303-11 §6)
    if (opts.json === true) process.stdout.write(`${JSON.stringify({ ...report, chipAuthenticity: CHIP_NOT_CHECKED, trust: loaded }, null, 2)}\n`);
    else printPassiveAuth(report, refusedTrustLines(loaded));
    process.exitCode = verdictExitCode(report.verdict);
  });
}
