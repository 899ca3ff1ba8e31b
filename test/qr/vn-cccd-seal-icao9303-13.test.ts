/**
 * The vn-cccd VDS profile (docs/vds-profile.md) signed by the seal signer of a cancuoc PKI, on
 * a brainpool and a NIST curve. The signature is checked independently with `openssl dgst
 * -verify` against the seal certificate's key, over header ‖ message zone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toPem } from '../../src/crypto/certificates.js';
import { initPki, loadPki } from '../../src/crypto/pki.js';
import { ecdsaRawToDer } from '../../src/crypto/signer.js';
import { hex } from '../../src/lds/bytes.js';
import { ParseError } from '../../src/lds/errors.js';
import { parseCitizenRecord, type CitizenRecord } from '../../src/issuance/citizen.js';
import { cccdSeal } from '../../src/issuance/qr-payloads.js';
import { decodeVds, encodeVds } from '../../src/qr/vds.js';
import { verifyVds } from '../../src/qr/vds-sign.js';
import { readCccdSeal } from '../../src/qr/vds-profile.js';

const work = mkdtempSync(join(tmpdir(), 'cancuoc-vds-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const record = parseCitizenRecord(readFileSync('fixtures/citizens/citizen-01.json', 'utf8'));

async function makeSeal(suite: 'ecdsa-bp256' | 'ecdsa-p384', r: CitizenRecord, signatureDate?: string): Promise<{ seal: Uint8Array; cert: Uint8Array; csca: Uint8Array }> {
  const dir = join(work, `${suite}-${Math.random().toString(36).slice(2)}`);
  await initPki({ dir, suite, country: 'VN', insecurePlainKeys: true });
  const pki = await loadPki(dir);
  try {
    const seal = await cccdSeal(r, { signer: pki.signers.seal, signerCertificate: pki.certificates.seal, ...(signatureDate === undefined ? {} : { signatureDate }) });
    return { seal, cert: pki.certificates.seal, csca: pki.certificates.csca };
  } finally {
    pki.close();
  }
}

function opensslVerify(seal: Uint8Array, cert: Uint8Array, hash: string, sigStart: number, sigLen: number): string {
  const dir = mkdtempSync(join(work, 'ossl-'));
  writeFileSync(join(dir, 'cert.pem'), toPem(cert));
  const pub = execFileSync('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-pubkey', '-noout']);
  writeFileSync(join(dir, 'pub.pem'), pub);
  writeFileSync(join(dir, 'data.bin'), seal.subarray(0, sigStart));
  writeFileSync(join(dir, 'sig.der'), ecdsaRawToDer(seal.subarray(seal.length - sigLen)));
  return execFileSync('openssl', ['dgst', `-${hash}`, '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.der'), join(dir, 'data.bin')], {
    encoding: 'utf8',
  }).trim();
}

describe.each([
  ['ecdsa-bp256', 'sha256', 64],
  ['ecdsa-p384', 'sha384', 96],
] as const)('vn-cccd seal, %s', (suite, hash, sigLen) => {
  it('carries the record, verifies with openssl, and re-encodes to the same bytes', async () => {
    const { seal, cert } = await makeSeal(suite, record);
    const s = decodeVds(seal);
    expect(s.header).toMatchObject({ version: 4, issuingCountry: 'VNM', signerIdentifier: 'VNQR', featureDefinitionReference: 0x01, documentTypeCategory: 0x0c });
    expect(s.header.issueDate).toBe(record.dateOfIssue);
    expect(s.signature.length).toBe(sigLen);
    expect(readCccdSeal(s)).toEqual({
      personalId: record.id,
      fullName: record.fullName,
      dateOfBirth: record.dateOfBirth,
      sex: record.sex,
      nationality: record.nationality,
      placeOfOrigin: record.placeOfOrigin,
      placeOfResidence: record.placeOfResidence,
      dateOfIssue: record.dateOfIssue,
      dateOfExpiry: record.dateOfExpiry,
      oldIdNumber: record.oldIdNumber,
    });
    // signature zone: FF, length, r‖s — openssl judges the bytes before FF
    expect(seal[seal.length - sigLen - 2]).toBe(0xff);
    expect(opensslVerify(seal, cert, hash, seal.length - sigLen - 2, sigLen)).toBe('Verified OK');
    expect(hex(encodeVds(s))).toBe(hex(seal));
    // the serial number in the reference finds the certificate
    const v = verifyVds(s, { certificates: [cert], trust: () => ({ status: 'trusted', reason: 'test anchor' }) });
    expect(v.verdict).toBe('VALID');
  });

  it('is INVALID when signed on a date before the seal certificate was valid', async () => {
    const { seal, cert } = await makeSeal(suite, record, '2001-06-01');
    const v = verifyVds(decodeVds(seal), { certificates: [cert], trust: () => ({ status: 'trusted', reason: 'test anchor' }) });
    expect([v.verdict, v.code]).toEqual(['INVALID', 'SEAL_SIGNER_NOT_VALID']);
  });
});

describe('vn-cccd content rules', () => {
  it('omits the expiry feature for a card without expiry, and reads it back as null', async () => {
    const noExpiry = parseCitizenRecord({ ...JSON.parse(readFileSync('fixtures/citizens/citizen-01.json', 'utf8')), dateOfExpiry: null, oldIdNumber: null });
    const { seal } = await makeSeal('ecdsa-bp256', noExpiry);
    const s = decodeVds(seal);
    expect(s.features.map((f) => f.tag)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(readCccdSeal(s).dateOfExpiry).toBeNull();
    expect(readCccdSeal(s).oldIdNumber).toBeNull();
  });

  it('rejects a seal of another profile, and malformed vn-cccd content, with ParseErrors', async () => {
    const bsi = decodeVds(readFileSync(join(import.meta.dirname, '../vectors/vds/seals/bsi_tr03137__C_arrival_attestation.bin')));
    expect(() => readCccdSeal(bsi)).toThrow(ParseError);
    const { seal } = await makeSeal('ecdsa-bp256', record);
    const s = decodeVds(seal);
    const without = (tag: number) => decodeVds(encodeVds({ ...s, features: s.features.filter((f) => f.tag !== tag) }));
    expect(() => readCccdSeal(without(0x02))).toThrow(expect.objectContaining({ code: 'VDS_FEATURE_MISSING', place: expect.objectContaining({ field: 'fullName' }) }));
    const badUtf8 = decodeVds(encodeVds({ ...s, features: s.features.map((f) => (f.tag === 0x02 ? { ...f, value: Uint8Array.of(0xc3) } : f)) }));
    expect(() => readCccdSeal(badUtf8)).toThrow(expect.objectContaining({ code: 'VDS_FEATURE_UTF8' }));
    const dup = decodeVds(encodeVds({ ...s, features: [...s.features, s.features[0]!] }));
    expect(() => readCccdSeal(dup)).toThrow(expect.objectContaining({ code: 'VDS_FEATURE_DUPLICATE' }));
  });
});
