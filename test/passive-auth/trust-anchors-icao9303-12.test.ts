/** ICAO 9303-12 §7.1.1: only CA certificates that may sign certificates become trust anchors. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initPki, loadPki } from '../../src/crypto/pki.js';
import { TrustStore } from '../../src/reader/trust-store.js';
import { parseCertificate } from '../../src/lds/x509.js';

const dir = mkdtempSync(join(tmpdir(), 'cancuoc-anchors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trust anchors', () => {
  it('a PKI directory yields the CSCA alone as anchor, not the DS, seal or master-list signer', async () => {
    await initPki({ dir, suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true });
    const pki = await loadPki(dir);
    const store = new TrustStore();
    const report = await store.loadDirectory(dir);
    expect(store.cscas.map((c) => c.der)).toEqual([parseCertificate(pki.certificates.csca).der]);
    const ds = report.find((r) => r.file === 'ds.pem');
    expect(ds?.ok).toBe(false);
    expect(ds?.detail).toMatch(/not usable CA certificates/);
    expect(store.signerCertificates.map((c) => c.subjectText).sort()).toEqual(
      ['C=VN, O=cancuoc, CN=Document Signer VN', 'C=VN, O=cancuoc, CN=Master List Signer VN', 'C=VN, O=cancuoc, CN=Seal Signer VN'],
    );
    expect(store.addCertificates(pki.certificates.seal)).toHaveLength(0);
    pki.close();
  });
});
