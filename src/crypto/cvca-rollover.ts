/**
 * `pki cvca-rollover`: a new CVCA key (BSI TR-03110-3 v2.21 §2.2.1, CVCA link certificates). The
 * old key signs a link certificate for the new one, so chips that trust the old CVCA learn the
 * new one from a terminal's chain; the new key signs its own self-signed certificate, the trust
 * point for chips personalized from now on. pki.json then names the new CVCA and key and lists
 * the links, oldest first; the old certificate and key stay where they were.
 */
import { join } from 'node:path';
import { ValidationError } from '../lds/errors.js';
import { createCvca, createCvcaLink } from './cv-pki.js';
import { writeFileAtomic } from './file-io.js';
import { PIN_ENV, resolvePassphrase, savePrivateKey, type KeyRef, type SecretOptions } from './keystore.js';
import { openPkcs11Token } from './pkcs11.js';
import { loadPki, type PkiManifest } from './pki.js';
import { generateSoftwareKey, type Signer } from './signer.js';

export interface RolloverResult {
  readonly cvca: string;
  readonly link: string;
  readonly chr: string;
}

/** Rolls the CVCA of the PKI in `dir` over to a new key. */
export async function rolloverCvca(dir: string, secrets: SecretOptions = {}, now: Date = new Date()): Promise<RolloverResult> {
  const pki = await loadPki(dir, secrets);
  try {
    const eac = pki.eac;
    const old = pki.manifest.eac;
    if (eac === undefined || old === undefined) throw new ValidationError('PKI_NO_CVCA', 'this PKI has no CVCA to roll over: create a new one with `pki init`', { file: dir });
    const sequence = Number(eac.cvca.chr.slice(-5)) + 1;
    if (!Number.isSafeInteger(sequence) || sequence > 99999) throw new ValidationError('CVCA_SEQUENCE', `cannot number a CVCA after ${eac.cvca.chr}`, { field: 'chr' });
    const tag = String(sequence).padStart(5, '0');
    const next = await nextKey(dir, old.key, tag, secrets);
    try {
      const link = await createCvcaLink({ old: eac.cvca, oldSigner: eac.signer, next: next.signer, sequence, now });
      const self = await createCvca({ signer: next.signer, country: pki.manifest.country, sequence, now });
      const files = { cvca: `cvca-${tag}.cvcert`, link: `cvca-link-${tag}.cvcert` };
      await writeFileAtomic(join(dir, files.link), link.raw, 0o644);
      await writeFileAtomic(join(dir, files.cvca), self.raw, 0o644);
      const manifest: PkiManifest = { ...pki.manifest, eac: { cvca: files.cvca, key: next.ref, links: [...(old.links ?? []), files.link] } };
      await writeFileAtomic(join(dir, 'pki.json'), JSON.stringify(manifest, null, 2) + '\n', 0o600);
      return Object.freeze({ ...files, chr: self.chr });
    } finally {
      next.close();
    }
  } finally {
    pki.close();
  }
}

/** A new key where the old one lives: a file encrypted like it, or a key on the same token. */
async function nextKey(dir: string, old: KeyRef, tag: string, secrets: SecretOptions): Promise<{ ref: KeyRef; signer: Signer; close(): void }> {
  if (old.kind === 'pkcs11') {
    const token = openPkcs11Token({ module: old.module, tokenLabel: old.tokenLabel, pin: secrets.pin ?? process.env[PIN_ENV] });
    try {
      const keyLabel = `${old.keyLabel}-${tag}`;
      const signer = token.generateKeyPair(keyLabel, old.suite);
      return { ref: { ...old, keyLabel }, signer, close: () => token.close() };
    } catch (e) {
      token.close();
      throw e;
    }
  }
  const { privateKey, signer } = generateSoftwareKey(old.suite);
  const passphrase = old.encrypted ? await resolvePassphrase(secrets.passphrase) : undefined;
  const ref = await savePrivateKey(dir, `cvca-${tag}`, privateKey, old.suite, {
    insecurePlainKeys: !old.encrypted,
    ...(passphrase === undefined ? {} : { passphrase }),
  });
  return { ref, signer, close: () => undefined };
}
