import type { Command } from 'commander';
import { SIGNATURE_SUITES, isSignatureSuite } from '../../src/crypto/algorithms.js';
import { PBKDF2_ITERATIONS } from '../../src/crypto/key-encryption.js';
import { MIN_PASSPHRASE, PASSPHRASE_ENV } from '../../src/crypto/keystore.js';
import { initPki, loadPki, rekeyPki } from '../../src/crypto/pki.js';
import { rolloverCvca } from '../../src/crypto/cvca-rollover.js';
import { issueTerminal } from '../../src/crypto/terminal-pki.js';
import { ValidationError } from '../../src/lds/errors.js';

/** ICAO 9303-3 three-letter codes to the ISO 3166-1 alpha-2 codes certificate names use. */
const ALPHA3: Readonly<Record<string, string>> = Object.freeze({ VNM: 'VN', UTO: 'UT', D: 'DE', NLD: 'NL', FRA: 'FR' });

function countryCode(value: string): string {
  const upper = value.toUpperCase();
  if (/^[A-Z]{2}$/.test(upper)) return upper;
  const mapped = ALPHA3[upper];
  if (mapped === undefined) {
    throw new ValidationError('CLI_COUNTRY', `unknown country code ${value}: give the ISO 3166 two-letter code`, { field: '--country' });
  }
  return mapped;
}

const KEY_FILES_HELP =
  `\nKey files: encrypted PKCS#8, PBES2 with PBKDF2-HMAC-SHA256 (${PBKDF2_ITERATIONS.toLocaleString('en')} iterations) and AES-256-CBC,` +
  ` readable by \`openssl pkcs8\`. Passphrase from ${PASSPHRASE_ENV} or a prompt, at least ${MIN_PASSPHRASE} characters.\n`;

export function registerPki(program: Command): void {
  const pki = program
    .command('pki')
    .description('the country PKI: CSCA, Document Signer, seal signer, CRL, master list')
    .addHelpText('after', KEY_FILES_HELP);
  pki
    .command('init')
    .description('create a new PKI in a directory')
    .requiredOption('--out <dir>', 'directory to create the PKI in')
    .option('--alg <suite>', `signature suite: ${SIGNATURE_SUITES.join(', ')}`, 'ecdsa-p256')
    .option('--country <code>', 'issuing state (VNM or a two-letter code)', 'VNM')
    .option('--insecure-plain-keys', 'write the private keys unencrypted (a throwaway test PKI only)')
    .option('--pkcs11-module <path>', 'generate the keys on a PKCS#11 token through this module')
    .option('--pkcs11-token <label>', 'label of the PKCS#11 token (PIN from CANCUOC_PKCS11_PIN)')
    .addHelpText('after', KEY_FILES_HELP)
    .action(async (opts: { out: string; alg: string; country: string; insecurePlainKeys?: boolean; pkcs11Module?: string; pkcs11Token?: string }) => {
      if (!isSignatureSuite(opts.alg)) {
        throw new ValidationError('CLI_ALG', `unknown --alg ${opts.alg}; one of ${SIGNATURE_SUITES.join(', ')}`, { field: '--alg' });
      }
      if ((opts.pkcs11Module === undefined) !== (opts.pkcs11Token === undefined)) {
        throw new ValidationError('CLI_PKCS11', '--pkcs11-module and --pkcs11-token go together', { field: '--pkcs11-token' });
      }
      const manifest = await initPki({
        dir: opts.out,
        suite: opts.alg,
        country: countryCode(opts.country),
        insecurePlainKeys: opts.insecurePlainKeys === true,
        ...(opts.pkcs11Module === undefined ? {} : { pkcs11: { module: opts.pkcs11Module, tokenLabel: opts.pkcs11Token! } }),
      });
      const f = manifest.files;
      process.stdout.write(
        `PKI (${manifest.suite}, ${manifest.country}) written to ${opts.out}: ${f.csca}, ${f.ds}, ${f.seal}, ${f.crl}, ${f.masterList}, ${manifest.eac?.cvca}\n`,
      );
    });
  pki
    .command('rekey')
    .description('re-encrypt the key files of a PKI with the current KDF setting (same passphrase); files already up to date are left alone')
    .requiredOption('--pki <dir>', 'the PKI directory (with pki.json)')
    .addHelpText('after', KEY_FILES_HELP)
    .action(async (opts: { pki: string }) => {
      const outcomes = await rekeyPki(opts.pki);
      if (outcomes.length === 0) process.stdout.write(`${opts.pki}: no encrypted key files (plaintext or PKCS#11 keys are left as they are)\n`);
      for (const o of outcomes) {
        const was = o.before.kdf === 'pbkdf2' ? `PBKDF2 ${o.before.prf} ${o.before.iterations} iterations` : o.before.kdf;
        const now = o.after === undefined ? 'already up to date' : `re-encrypted with PBKDF2 ${o.after.prf} ${o.after.iterations} iterations`;
        process.stdout.write(`${o.file}: ${was}, ${now}\n`);
      }
    });
  pki
    .command('terminal')
    .description('issue an EAC inspection system: a DV certificate under the CVCA, an IS certificate and key (docs/eac.md)')
    .requiredOption('--pki <dir>', 'PKI made by `cancuoc pki init` (keys: CANCUOC_PASSPHRASE)')
    .requiredOption('--out <dir>', 'directory to write dv.cvcert, is.cvcert, the IS key and terminal.json to')
    .option('--rights <list>', 'read rights: dg3, dg4, both (dg3,dg4) or none', 'dg3,dg4')
    .option('--days <n>', 'validity of the IS certificate in days', '30')
    .option('--foreign', 'make the DV a foreign DV (its certificates never move the chip date)')
    .option('--insecure-plain-keys', 'write the IS key unencrypted (a throwaway test terminal only)')
    .action(async (opts: { pki: string; out: string; rights: string; days: string; foreign?: boolean; insecurePlainKeys?: boolean }) => {
      const rights = parseRights(opts.rights);
      const days = Number(opts.days);
      if (!/^\d+$/.test(opts.days) || days < 1 || days > 3653) throw new ValidationError('CLI_DAYS', `--days ${opts.days}: expected 1 to 3653`, { field: '--days' });
      const pki = await loadPki(opts.pki);
      try {
        const { dv, is } = await issueTerminal({ pki, out: opts.out, rights, days, foreign: opts.foreign === true, insecurePlainKeys: opts.insecurePlainKeys === true });
        process.stdout.write(`terminal ${is.chr} (DV ${dv.chr} under ${dv.car}, until ${is.expirationDate}) written to ${opts.out}\n`);
      } finally {
        pki.close();
      }
    });
  registerCvcaRollover(pki);
}

function registerCvcaRollover(pki: Command): void {
  pki
    .command('cvca-rollover')
    .description('a new CVCA key: a link certificate signed by the old one and a new self-signed CVCA (docs/eac.md)')
    .requiredOption('--pki <dir>', 'PKI made by `cancuoc pki init` (keys: CANCUOC_PASSPHRASE or the token PIN)')
    .action(async (opts: { pki: string }) => {
      const r = await rolloverCvca(opts.pki);
      process.stdout.write(`new CVCA ${r.chr} in ${opts.pki}: ${r.cvca}, link certificate ${r.link}\n`);
    });
}

function parseRights(text: string): { readDg3: boolean; readDg4: boolean } {
  const items = text === 'none' ? [] : text.split(',').map((s) => s.trim().toLowerCase());
  if (items.some((i) => i !== 'dg3' && i !== 'dg4')) {
    throw new ValidationError('CLI_RIGHTS', `--rights ${text}: expected dg3, dg4, dg3,dg4 or none`, { field: '--rights' });
  }
  return { readDg3: items.includes('dg3'), readDg4: items.includes('dg4') };
}
