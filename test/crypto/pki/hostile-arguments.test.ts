/**
 * The noble-style table of hostile values run against every PKI export that takes bytes, names or
 * options: each must fail with a TypeError/RangeError (misuse) or a CancuocError (bad bytes),
 * never with anything else and never by succeeding.
 */
import { describe, expect, it } from 'vitest';
import { hashLength, hashOid, signatureAlgorithmIdentifier } from '../../../src/crypto/algorithms.js';
import { encodeDocumentTypeList, encodeName, fromPem, issuerAndSerialNumber, issuerOf, keyIdentifier, toPem } from '../../../src/crypto/certificates.js';
import { parseCertificate } from '../../../src/lds/x509.js';
import { parseKeyRef } from '../../../src/crypto/keystore.js';
import { decodeMasterList, encodeCscaMasterList } from '../../../src/crypto/masterlist.js';
import { ecdsaRawToDer, generateSoftwareKey, softwareSigner } from '../../../src/crypto/signer.js';
import { CancuocError } from '../../../src/lds/errors.js';

const HOSTILE: unknown[] = [
  undefined, null, NaN, Infinity, -1, 0, 1, 2 ** 53, -0, 1.5, '', 'VN', '0x30', 'ecdsa-p256 ', true, false,
  [], [0x30, 0x00], {}, { country: 'VN ' }, new Date(NaN), Symbol('x'), () => 0, new ArrayBuffer(4),
  new Uint16Array(2), new DataView(new ArrayBuffer(2)), Uint8Array.of(), Uint8Array.of(0x30), Uint8Array.of(0x30, 0x00),
  Uint8Array.of(0x30, 0x80, 0x00, 0x00), Uint8Array.of(0x31, 0x00), Uint8Array.of(0x02, 0x01, 0x00), new Uint8Array(65),
  Uint8Array.of(0xff, 0xff, 0xff, 0xff), Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff), 'sha3-256', BigInt(1), Object.create(null),
];

const TARGETS: Record<string, (v: unknown) => unknown> = {
  hashOid: (v) => hashOid(v as never),
  hashLength: (v) => hashLength(v as never),
  signatureAlgorithmIdentifier: (v) => signatureAlgorithmIdentifier(v as never),
  signatureAlgorithmIdentifierHash: (v) => signatureAlgorithmIdentifier('ecdsa-p256', v as never),
  generateSoftwareKey: (v) => generateSoftwareKey(v as never),
  softwareSigner: (v) => softwareSigner(v as never, 'ecdsa-p256'),
  ecdsaRawToDer: (v) => ecdsaRawToDer(v as never),
  parseCertificate: (v) => parseCertificate(v as never),
  issuerOf: (v) => issuerOf(v as never),
  issuerAndSerialNumber: (v) => issuerAndSerialNumber(v as never),
  keyIdentifier: (v) => keyIdentifier(v as never),
  encodeName: (v) => encodeName(v as never),
  encodeDocumentTypeList: (v) => encodeDocumentTypeList(v as never),
  toPem: (v) => toPem(v as never),
  fromPem: (v) => fromPem(v as never),
  parseKeyRef: (v) => parseKeyRef(v),
  decodeMasterList: (v) => decodeMasterList(v as never),
  encodeCscaMasterList: (v) => encodeCscaMasterList(v as never),
};

// values a function legitimately accepts
const ACCEPTS: Record<string, (v: unknown) => boolean> = {
  ecdsaRawToDer: (v) => v instanceof Uint8Array && v.length > 0 && v.length % 2 === 0,
  toPem: (v) => v instanceof Uint8Array,
  signatureAlgorithmIdentifierHash: (v) => v === undefined,
};

function show(value: unknown): string {
  try {
    return typeof value === 'symbol' ? 'symbol' : String(value);
  } catch {
    return typeof value;
  }
}

describe.each(Object.entries(TARGETS))('%s on hostile values', (name, fn) => {
  it('fails with TypeError, RangeError or a CancuocError', () => {
    for (const value of HOSTILE) {
      if (ACCEPTS[name]?.(value)) continue;
      let thrown: unknown;
      try {
        fn(value);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, `${name}(${show(value)})`).toBeDefined();
      const typed = thrown instanceof TypeError || thrown instanceof RangeError || thrown instanceof CancuocError;
      expect(typed, `${name}(${show(value)}): ${(thrown as Error).message}`).toBe(true);
    }
  });
});
