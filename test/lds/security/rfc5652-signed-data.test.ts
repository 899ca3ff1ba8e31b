/**
 * RFC 5652 ContentInfo / SignedData (src/lds/cms.ts), checked against the published EF.SOD
 * samples, `openssl cms -cmsout -print`, node's crypto (signature over the signed attributes)
 * and `openssl cms -verify` on SignedData built by the encoder.
 */
import { createHash, verify as cryptoVerify, constants, X509Certificate, sign, createPrivateKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { equalBytes, fromHex, hex } from '../../../src/lds/bytes.js';
import { attributeValue, decodeSignedData, encodeSignedAttributes, encodeSignedData, type SignedData } from '../../../src/lds/cms.js';
import { compareDer, encodeAlgorithmIdentifier, encodeInteger, encodeSetOf, readInteger } from '../../../src/lds/der.js';
import { ParseError } from '../../../src/lds/errors.js';
import { encodeOid, OID } from '../../../src/lds/oid.js';
import { decodeTlv, encodeTlv } from '../../../src/lds/tlv.js';
import {
  dumpAfter,
  expectOnlyParseErrors,
  mutations,
  NOT_BYTES,
  openssl,
  randomInputs,
  sample,
  truncations,
} from './fixtures.js';

/** The ContentInfo inside a sample EF.SOD, cut by hand: every sample starts 77 82 hi lo. */
function contentInfoOf(path: string): Uint8Array {
  const ef = sample(path);
  expect(ef[0]).toBe(0x77);
  expect(ef[1]).toBe(0x82);
  expect(ef[2]! * 256 + ef[3]!).toBe(ef.length - 4);
  return ef.subarray(4);
}

const SODS = [
  // [file, digest used by the signer, signature verification parameters]
  { path: 'loes2006/ef011D.bin', hash: 'sha256', verify: { padding: constants.RSA_PKCS1_PADDING } },
  { path: 'bsi-tr03105/EF_SOD.bin', hash: 'sha256', verify: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
  { path: 'etsi/EF_SOD.bin', hash: 'sha256', verify: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
  { path: 'bsi2008/EF_SOD.bin', hash: 'sha1', verify: { dsaEncoding: 'der' as const } },
] as const;

function reencode(sd: SignedData): Uint8Array {
  const si = sd.signerInfos[0]!;
  return encodeSignedData({
    contentType: sd.contentType,
    content: sd.content,
    digestAlgorithm: sd.digestAlgorithms[0]!,
    certificates: sd.certificates,
    crls: sd.crls,
    signerInfo: {
      sid: si.sid,
      digestAlgorithm: si.digestAlgorithm,
      signedAttrsDer: si.signedAttrsDer!,
      signatureAlgorithm: si.signatureAlgorithm,
      signature: si.signature,
      ...(si.unsignedAttrsDer === undefined ? {} : { unsignedAttrsDer: si.unsignedAttrsDer }),
    },
  });
}

describe('RFC 5652 §5 SignedData: published EF.SOD samples against openssl cms', () => {
  for (const { path, hash, verify } of SODS) {
    describe(path, () => {
      const ci = contentInfoOf(path);
      const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER'], ci);
      const signerAt = printed.split('\n').findIndex((l) => l.includes('signerInfos:'));
      const sd = decodeSignedData(ci);

      it('§5.1 version, digest algorithms and eContentType match openssl', () => {
        expect(sd.version).toBe(Number(/d\.signedData: *\n\s+version: (\d+)/.exec(printed)![1]));
        const alg = /digestAlgorithms:\s*\n\s+algorithm: \S+ \(([\d.]+)\)/.exec(printed)![1];
        expect(sd.digestAlgorithms.map((a) => a.oid)).toEqual([alg]);
        expect(sd.contentType).toBe(/eContentType: .*\(([\d.]+)\)/.exec(printed)![1]);
        expect(equalBytes(sd.raw, ci)).toBe(true);
      });

      it('§5.2 eContent is the OCTET STRING openssl prints', () => {
        expect(hex(sd.content)).toBe(hex(dumpAfter(printed, 'eContent:')));
      });

      it('§5.3 SignerInfo: sid, signature and messageDigest match openssl; signature verifies over signedAttrsDer', () => {
        expect(sd.signerInfos).toHaveLength(1);
        const si = sd.signerInfos[0]!;
        expect(si.sid.kind).toBe('issuerAndSerialNumber');
        if (si.sid.kind !== 'issuerAndSerialNumber') return;
        const serial = /serialNumber: (\d+)/.exec(printed.split('\n').slice(signerAt).join('\n'))![1]!;
        expect(BigInt('0x' + hex(si.sid.serialNumber))).toBe(BigInt(serial));
        expect(hex(si.signature)).toBe(hex(dumpAfter(printed, 'signature:', signerAt)));

        // messageDigest (§11.2) = hash of eContent, computed here with node's crypto
        const md = attributeValue(si.signedAttrs, OID.messageDigest)!;
        expect(hex(md)).toBe('04' + (hash === 'sha1' ? '14' : '20') + createHash(hash).update(sd.content).digest('hex'));
        expect(hex(attributeValue(si.signedAttrs, OID.contentType)!)).toBe('06' + '06' + hex(encodeOid(OID.ldsSecurityObject)));

        // §5.4: the signature covers the signed attributes re-tagged as SET: if signedAttrsDer were
        // not the exact bytes, the Document Signer's signature would not verify
        expect(sd.certificates).toHaveLength(1);
        const cert = new X509Certificate(sd.certificates[0]!);
        expect(BigInt('0x' + cert.serialNumber)).toBe(BigInt(serial));
        expect(si.signedAttrsDer![0]).toBe(0x31);
        const ok = cryptoVerify(hash, si.signedAttrsDer!, { key: cert.publicKey, ...verify }, si.signature);
        expect(ok).toBe(true);
      });

      it('decode → encode from the parts reproduces the ContentInfo byte for byte', () => {
        expect(hex(reencode(sd))).toBe(hex(ci));
      });

      it('§5.4 / X.690 §11.6: the signer\'s attributes re-encode to the same DER SET, whatever their order', () => {
        const si = sd.signerInfos[0]!;
        expect(hex(encodeSignedAttributes([...si.signedAttrs!].reverse()))).toBe(hex(si.signedAttrsDer!));
      });

      it('the same bytes decode in lenient mode to the same parts', () => {
        const lenient = decodeSignedData(ci, 'lenient');
        expect(hex(lenient.content)).toBe(hex(sd.content));
        expect(hex(lenient.signerInfos[0]!.signedAttrsDer!)).toBe(hex(sd.signerInfos[0]!.signedAttrsDer!));
      });
    });
  }
});

describe('RFC 5652 §5: SignedData written by the encoder verifies with openssl cms', () => {
  it('EC P-256 signer, subjectKeyIdentifier and issuerAndSerialNumber forms', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cancuoc-cms-'));
    try {
      // throwaway signer made by openssl, not by the code under test
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=cancuoc test DS',
        '-days', '2', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'),
      ], { stdio: 'ignore' });
      const certDer = new Uint8Array(new X509Certificate(readFileSync(join(dir, 'c.pem'))).raw);
      const key = createPrivateKey(readFileSync(join(dir, 'k.pem')));
      // tbsCertificate children per openssl asn1parse: [0] version, serialNumber, signature, issuer, ...
      const tbs = openssl(['asn1parse', '-inform', 'DER'], certDer)
        .split('\n')
        .filter((l) => /d=2/.test(l))
        .map((l) => /^\s*(\d+):d=2\s+hl=(\d+) l=\s*(\d+)/.exec(l)!.slice(1).map(Number) as [number, number, number]);
      const slice = ([at, hl, l]: [number, number, number]): Uint8Array => certDer.subarray(at, at + hl + l);
      const serialTlv = slice(tbs[1]!);
      const skiText = openssl(['x509', '-noout', '-ext', 'subjectKeyIdentifier', '-in', join(dir, 'c.pem')]);
      const ski = fromHex(/([0-9A-F]{2}(:[0-9A-F]{2})+)/.exec(skiText)![1]!.replace(/:/g, ''));

      const content = Uint8Array.from({ length: 50 }, (_, i) => i);
      const signedAttrsDer = encodeSignedAttributes([
        { type: OID.messageDigest, values: [encodeTlv(0x04, createHash('sha256').update(content).digest())] },
        { type: OID.contentType, values: [encodeTlv(0x06, encodeOid(OID.ldsSecurityObject))] },
      ]);
      const signature = new Uint8Array(sign('sha256', signedAttrsDer, key));
      const sids = [
        { kind: 'subjectKeyIdentifier' as const, keyIdentifier: ski },
        {
          kind: 'issuerAndSerialNumber' as const,
          issuer: slice(tbs[3]!),
          serialNumber: serialTlv.subarray(2),
        },
      ];
      for (const sid of sids) {
        const der = encodeSignedData({
          contentType: OID.ldsSecurityObject,
          content,
          digestAlgorithm: { oid: OID.sha256, params: undefined },
          certificates: [certDer],
          signerInfo: {
            sid,
            digestAlgorithm: { oid: OID.sha256, params: undefined },
            signedAttrsDer,
            signatureAlgorithm: { oid: OID.ecdsaWithSha256, params: undefined },
            signature,
          },
        });
        writeFileSync(join(dir, 'sd.der'), der);
        // -noverify skips the chain, not the signature: a wrong byte anywhere signed makes this throw
        const out = execFileSync('openssl', ['cms', '-verify', '-noverify', '-binary', '-inform', 'DER', '-in', join(dir, 'sd.der')], {
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        expect(hex(new Uint8Array(out))).toBe(hex(content));
        const back = decodeSignedData(der);
        expect(back.signerInfos[0]!.version).toBe(sid.kind === 'subjectKeyIdentifier' ? 3 : 1);
        expect(back.signerInfos[0]!.sid).toEqual(sid);
        expect(hex(reencode(back))).toBe(hex(der));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('X.690 building blocks', () => {
  it('§8.3 INTEGER: minimal two\'s complement encodings', () => {
    const cases: [number | bigint, string][] = [
      [0, '020100'],
      [127, '02017f'],
      [128, '02020080'],
      [256, '02020100'],
      [-128, '020180'],
      [-129, '0202ff7f'],
      [2n ** 64n, '0209010000000000000000'],
    ];
    for (const [v, der] of cases) {
      expect(hex(encodeInteger(v))).toBe(der);
      expect(readInteger(decodeTlv(fromHex(der)), 'der', 'x')).toBe(BigInt(v));
    }
    expect(() => readInteger(decodeTlv(fromHex('02020001')), 'der', 'x')).toThrow(expect.objectContaining({ code: 'INTEGER_NON_MINIMAL' }));
    expect(readInteger(decodeTlv(fromHex('02020001')), 'lenient', 'x')).toBe(1n);
    expect(() => readInteger(decodeTlv(fromHex('0200')), 'lenient', 'x')).toThrow(expect.objectContaining({ code: 'INTEGER_EMPTY' }));
    expect(() => encodeInteger(1.5)).toThrow(RangeError);
  });

  it('§11.6 SET OF order: encodings compared as octet strings, the shorter padded with zeros', () => {
    expect(compareDer(fromHex('0401'), fromHex('040100'))).toBe(0);
    expect(compareDer(fromHex('0401'), fromHex('040101'))).toBeLessThan(0);
    expect(compareDer(fromHex('0502'), fromHex('04ff'))).toBeGreaterThan(0);
    expect(hex(encodeSetOf([fromHex('020105'), fromHex('0101ff'), fromHex('020104')]))).toBe('3109' + '0101ff' + '020104' + '020105');
  });

  it('RFC 5280 §4.1.1.2 AlgorithmIdentifier: parameters absent or as given', () => {
    expect(hex(encodeAlgorithmIdentifier({ oid: OID.sha256, params: undefined }))).toBe('300b0609608648016503040201');
    expect(hex(encodeAlgorithmIdentifier({ oid: OID.sha256, params: fromHex('0500') }))).toBe('300d06096086480165030402010500');
  });
});

describe('RFC 5652: what the decoder rejects', () => {
  const ci = contentInfoOf('loes2006/ef011D.bin');

  it('a ContentInfo that is not SignedData', () => {
    const data = encodeTlv(0x30, encodeTlv(0x06, encodeOid(OID.data)), encodeTlv(0xa0, encodeTlv(0x04, Uint8Array.of(1))));
    expect(() => decodeSignedData(data)).toThrow(expect.objectContaining({ code: 'CMS_NOT_SIGNED_DATA', place: expect.objectContaining({ offset: 2 }) }));
  });

  it('SignedData version 2 (§5.1 allows 1, 3, 4, 5)', () => {
    const bad = Uint8Array.from(ci);
    // loes2006: SignedData version INTEGER at file offset 27 (openssl asn1parse), value at 29 → ContentInfo offset 25
    expect(bad[25]).toBe(3);
    bad[25] = 2;
    expect(() => decodeSignedData(bad)).toThrow(expect.objectContaining({ code: 'CMS_BAD_VERSION', place: expect.objectContaining({ offset: 23 }) }));
  });

  it('detached content (no eContent)', () => {
    const sd = encodeTlv(
      0x30,
      encodeInteger(3),
      encodeTlv(0x31, encodeAlgorithmIdentifier({ oid: OID.sha256, params: undefined })),
      encodeTlv(0x30, encodeTlv(0x06, encodeOid(OID.ldsSecurityObject))),
      encodeTlv(0x31),
    );
    const der = encodeTlv(0x30, encodeTlv(0x06, encodeOid(OID.signedData)), encodeTlv(0xa0, sd));
    expect(() => decodeSignedData(der)).toThrow(expect.objectContaining({ code: 'CMS_NO_CONTENT' }));
  });

  it('non-minimal lengths in der mode, accepted in lenient mode', () => {
    // re-wrap the ContentInfo with a 3-byte long-form length where 2 bytes suffice
    const inner = decodeTlv(ci).value;
    const padded = Uint8Array.from([0x30, 0x83, 0, inner.length >> 8, inner.length & 0xff, ...inner]);
    expect(() => decodeSignedData(padded)).toThrow(expect.objectContaining({ code: 'TLV_NON_MINIMAL_LENGTH' }));
    expect(hex(decodeSignedData(padded, 'lenient').content)).toBe(hex(decodeSignedData(ci).content));
  });

  it('wrong argument types are a TypeError naming the argument', () => {
    for (const v of NOT_BYTES) expect(() => decodeSignedData(v as Uint8Array)).toThrow(/"contentInfo"/);
    const sd = decodeSignedData(ci);
    const si = sd.signerInfos[0]!;
    const input = {
      contentType: sd.contentType,
      content: sd.content,
      digestAlgorithm: sd.digestAlgorithms[0]!,
      certificates: sd.certificates,
      signerInfo: { ...si, signedAttrsDer: fromHex('a000') },
    };
    expect(() => encodeSignedData(input)).toThrow(/"signedAttrsDer" expected DER of a SET/);
  });
});

describe('RFC 5652 decoder on hostile input: only ParseError, with code and offset', () => {
  const ci = contentInfoOf('bsi2008/EF_SOD.bin');
  it('every truncation fails', () => {
    expect(expectOnlyParseErrors((b) => decodeSignedData(b), truncations(ci), { mustFail: true })).toBe(ci.length);
    expectOnlyParseErrors((b) => decodeSignedData(b, 'lenient'), truncations(ci), { mustFail: true });
  });
  it('mutated bytes', () => {
    const failed = expectOnlyParseErrors((b) => decodeSignedData(b), mutations(ci, 1500));
    expect(failed).toBeGreaterThan(0);
    expectOnlyParseErrors((b) => decodeSignedData(b, 'lenient'), mutations(ci, 1500, 2));
  });
  it('random bytes', () => {
    expectOnlyParseErrors((b) => decodeSignedData(b, 'lenient'), randomInputs(0x30, 1000), { mustFail: true });
  });
  it('errors are ParseError instances', () => {
    try {
      decodeSignedData(ci.subarray(0, 10));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
    }
  });
});
