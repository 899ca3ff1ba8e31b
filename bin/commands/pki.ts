import type { Command } from 'commander';
import { SIGNATURE_SUITES, isSignatureSuite } from '../../src/crypto/algorithms.js';
import { PBKDF2_ITERATIONS } from '../../src/crypto/key-encryption.js';
import { MIN_PASSPHRASE, PASSPHRASE_ENV } from '../../src/crypto/keystore.js';
import { initPki, rekeyPki } from '../../src/crypto/pki.js';
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
        `PKI (${manifest.suite}, ${manifest.country}) written to ${opts.out}: ${f.csca}, ${f.ds}, ${f.seal}, ${f.crl}, ${f.masterList}\n`,
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
}
