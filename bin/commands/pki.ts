import type { Command } from 'commander';
import { SIGNATURE_SUITES, isSignatureSuite } from '../../src/crypto/algorithms.js';
import { initPki } from '../../src/crypto/pki.js';
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

export function registerPki(program: Command): void {
  const pki = program.command('pki').description('the country PKI: CSCA, Document Signer, seal signer, CRL, master list');
  pki
    .command('init')
    .description('create a new PKI in a directory')
    .requiredOption('--out <dir>', 'directory to create the PKI in')
    .option('--alg <suite>', `signature suite: ${SIGNATURE_SUITES.join(', ')}`, 'ecdsa-p256')
    .option('--country <code>', 'issuing state (VNM or a two-letter code)', 'VNM')
    .option('--insecure-plain-keys', 'write the private keys unencrypted (a throwaway test PKI only)')
    .option('--pkcs11-module <path>', 'generate the keys on a PKCS#11 token through this module')
    .option('--pkcs11-token <label>', 'label of the PKCS#11 token (PIN from CANCUOC_PKCS11_PIN)')
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
}
