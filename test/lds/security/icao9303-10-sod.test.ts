/**
 * ICAO 9303-10 (8th ed.) §4.6.2 EF.SOD and the LDSSecurityObject (src/lds/sod.ts). Expected
 * hashes: the values listed in icao-worked-examples.md §6.3, and the data group files hashed here
 * with node's crypto; structure cross-checked with openssl asn1parse.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../src/lds/bytes.js';
import { encodeSignedAttributes, encodeSignedData } from '../../../src/lds/cms.js';
import { encodeAlgorithmIdentifier, encodeInteger } from '../../../src/lds/der.js';
import { encodeOid, OID } from '../../../src/lds/oid.js';
import {
  dataGroupHash,
  decodeLdsSecurityObject,
  decodeSod,
  encodeLdsSecurityObject,
  wrapSod,
  type DataGroupHash,
} from '../../../src/lds/sod.js';
import { encodeTlv } from '../../../src/lds/tlv.js';
import { expectOnlyParseErrors, mutations, NOT_BYTES, openssl, randomInputs, sample, truncations } from './fixtures.js';

const sha = (alg: string, path: string): string => createHash(alg).update(sample(path)).digest('hex');

/**
 * icao-worked-examples.md §6.3: the published hash prefixes and the DG files they must match; the
 * etsi SOD also lists DG2–DG4 with the BSI 2008 images' hashes (seen in openssl asn1parse).
 */
const CASES = [
  {
    path: 'bsi-tr03105/EF_SOD.bin',
    alg: OID.sha256,
    order: [1, 2, 3, 14, 4],
    prefixes: { 1: '4170CA87', 2: 'A9A1B09D', 3: '403E4D17', 4: '4C7A0F0D', 14: 'CF5004FF' },
    files: {
      1: sha('sha256', 'bsi-tr03105/Datagroup1.bin'),
      2: sha('sha256', 'bsi2008/Datagroup2.bin'),
      3: sha('sha256', 'bsi2008/Datagroup3.bin'),
      4: sha('sha256', 'bsi2008/Datagroup4.bin'),
      14: sha('sha256', 'bsi-tr03105/Datagroup14.bin'),
    },
  },
  {
    path: 'bsi2008/EF_SOD.bin',
    alg: OID.sha1,
    order: [1, 2, 3, 14],
    prefixes: { 1: 'FB1BC192', 2: '0F34E1E1', 3: '5D14A5FB', 14: '0C023A95' },
    files: {
      1: sha('sha1', 'bsi2008/Datagroup1.bin'),
      2: sha('sha1', 'bsi2008/Datagroup2.bin'),
      3: sha('sha1', 'bsi2008/Datagroup3.bin'),
      14: sha('sha1', 'bsi2008/Datagroup14.bin'),
    },
  },
  {
    path: 'etsi/EF_SOD.bin',
    alg: OID.sha256,
    order: [1, 2, 3, 14, 15, 4],
    prefixes: { 1: '51B6FC0E', 14: 'A1A7B228', 15: '5265ECB2' },
    files: {
      1: sha('sha256', 'bsi2008/Datagroup1.bin'),
      2: sha('sha256', 'bsi2008/Datagroup2.bin'),
      3: sha('sha256', 'bsi2008/Datagroup3.bin'),
      4: sha('sha256', 'bsi2008/Datagroup4.bin'),
      14: sha('sha256', 'etsi/EF_DG14.bin'),
      15: sha('sha256', 'etsi/EF_DG15.bin'),
    },
  },
  {
    path: 'loes2006/ef011D.bin',
    alg: OID.sha256,
    order: [1, 2, 15],
    prefixes: { 1: '9C2432BC', 2: 'D419C73F', 15: 'CB54D8B2' },
    files: {
      1: sha('sha256', 'loes2006/ef0101.bin'),
      2: sha('sha256', 'loes2006/ef0102.bin'),
      15: sha('sha256', 'loes2006/ef010F.bin'),
    },
  },
] as const;

describe('ICAO 9303-10 §4.6.2: the published EF.SOD samples', () => {
  for (const c of CASES) {
    describe(c.path, () => {
      const ef = sample(c.path);
      const sod = decodeSod(ef);
      const so = sod.securityObject;

      it('DG hash list matches icao-worked-examples.md §6.3 and the hashes of the DG files', () => {
        expect(sod.signedData.contentType).toBe(OID.ldsSecurityObject);
        expect(sod.legacyContentType).toBe(false);
        expect(so.hashAlgorithm.oid).toBe(c.alg);
        expect(so.version).toBe(0);
        expect(so.ldsVersion).toBeUndefined();
        for (const [dg, prefix] of Object.entries(c.prefixes)) {
          expect(hex(dataGroupHash(so, Number(dg))!).toUpperCase().startsWith(prefix)).toBe(true);
        }
        for (const [dg, digest] of Object.entries(c.files)) expect(hex(dataGroupHash(so, Number(dg))!)).toBe(digest);
        // file order, as openssl asn1parse shows the eContent
        expect(so.dataGroupHashes.map((h) => h.dg)).toEqual(c.order);
      });

      it('structure agrees with openssl asn1parse: LDSSecurityObject = the OCTET STRING at depth 6', () => {
        const lines = openssl(['asn1parse', '-inform', 'DER'], ef).split('\n');
        const octet = lines.find((l) => /d=6 .*OCTET STRING\s+\[HEX DUMP\]:/.test(l))!;
        expect(hex(so.raw).toUpperCase()).toBe(/\[HEX DUMP\]:([0-9A-F]+)/.exec(octet)![1]);
        const version = lines.find((l) => /d=4 .*INTEGER/.test(l))!;
        expect(Number(/:(\d+)\s*$/.exec(version)![1])).toBe(sod.signedData.version);
      });

      it('decode → encode reproduces the LDSSecurityObject, the ContentInfo and the EF', () => {
        expect(
          hex(encodeLdsSecurityObject({ hashAlgorithm: so.hashAlgorithm, dataGroupHashes: so.dataGroupHashes })),
        ).toBe(hex(so.raw));
        expect(hex(wrapSod(sod.signedData.raw))).toBe(hex(ef));
        expect(hex(sod.raw)).toBe(hex(ef));
      });

      it('decodes the same in der and lenient mode', () => {
        const strict = decodeSod(ef, 'der');
        expect(strict.securityObject.dataGroupHashes.map((h) => hex(h.hash))).toEqual(so.dataGroupHashes.map((h) => hex(h.hash)));
      });
    });
  }
});

const H32 = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const HASHES: DataGroupHash[] = [
  { dg: 1, hash: H32(1) },
  { dg: 2, hash: H32(2) },
];

/** A complete EF.SOD around `lso` (signature bytes are dummies: only the structure matters here). */
function sodAround(lso: Uint8Array, contentType: string = OID.ldsSecurityObject): Uint8Array {
  return wrapSod(
    encodeSignedData({
      contentType,
      content: lso,
      digestAlgorithm: { oid: OID.sha256, params: undefined },
      certificates: [],
      signerInfo: {
        sid: { kind: 'subjectKeyIdentifier', keyIdentifier: Uint8Array.of(1, 2, 3) },
        digestAlgorithm: { oid: OID.sha256, params: undefined },
        signedAttrsDer: encodeSignedAttributes([{ type: OID.contentType, values: [encodeTlv(0x06, encodeOid(contentType))] }]),
        signatureAlgorithm: { oid: OID.ecdsaWithSha256, params: undefined },
        signature: Uint8Array.of(0x30, 0),
      },
    }),
  );
}

function lsoRaw(version: number, alg: Uint8Array, hashes: readonly Uint8Array[], info?: Uint8Array): Uint8Array {
  return encodeTlv(0x30, encodeInteger(version), alg, encodeTlv(0x30, ...hashes), ...(info ? [info] : []));
}
const dgh = (dg: number, hash: Uint8Array): Uint8Array => encodeTlv(0x30, encodeInteger(dg), encodeTlv(0x04, hash));
const SHA256_ABSENT = encodeAlgorithmIdentifier({ oid: OID.sha256, params: undefined });

describe('ICAO 9303-10 §4.6.2: LDSSecurityObject rules', () => {
  it('v1 iff LDSVersionInfo: PrintableStrings checked with openssl asn1parse', () => {
    const der = encodeLdsSecurityObject({ hashAlgorithm: { oid: OID.sha256, params: undefined }, dataGroupHashes: HASHES, ldsVersion: '0108', unicodeVersion: '040000' });
    const parsed = openssl(['asn1parse', '-inform', 'DER'], der);
    expect(parsed).toMatch(/d=1 .*INTEGER\s+:01/);
    expect(parsed).toMatch(/PRINTABLESTRING\s+:0108/);
    expect(parsed).toMatch(/PRINTABLESTRING\s+:040000/);
    const so = decodeLdsSecurityObject(der);
    expect([so.version, so.ldsVersion, so.unicodeVersion]).toEqual([1, '0108', '040000']);
    const v0 = encodeLdsSecurityObject({ hashAlgorithm: { oid: OID.sha256, params: undefined }, dataGroupHashes: HASHES });
    expect(openssl(['asn1parse', '-inform', 'DER'], v0)).toMatch(/d=1 .*INTEGER\s+:00/);
  });

  it('hash parameters absent or NULL are both accepted; anything else is not', () => {
    const withNull = encodeAlgorithmIdentifier({ oid: OID.sha256, params: fromHex('0500') });
    expect(decodeLdsSecurityObject(lsoRaw(0, SHA256_ABSENT, [dgh(1, H32(1)), dgh(2, H32(2))])).hashAlgorithm.params).toBeUndefined();
    expect(hex(decodeLdsSecurityObject(lsoRaw(0, withNull, [dgh(1, H32(1)), dgh(2, H32(2))])).hashAlgorithm.params!)).toBe('0500');
    const withInt = encodeAlgorithmIdentifier({ oid: OID.sha256, params: fromHex('020100') });
    expect(() => decodeLdsSecurityObject(lsoRaw(0, withInt, [dgh(1, H32(1)), dgh(2, H32(2))]))).toThrow(
      expect.objectContaining({ code: 'SOD_BAD_HASH_PARAMS', place: expect.objectContaining({ offset: 5 }) }),
    );
  });

  it('data group numbers 1..16, no repeats, 2..16 entries, hash length of the algorithm', () => {
    const ok = (n: number): Uint8Array => dgh(n, H32(n));
    expect(() => decodeLdsSecurityObject(lsoRaw(0, SHA256_ABSENT, [ok(1), ok(0)]))).toThrow(expect.objectContaining({ code: 'SOD_BAD_DG_NUMBER' }));
    expect(() => decodeLdsSecurityObject(lsoRaw(0, SHA256_ABSENT, [ok(1), ok(17)]))).toThrow(expect.objectContaining({ code: 'SOD_BAD_DG_NUMBER' }));
    expect(() => decodeLdsSecurityObject(lsoRaw(0, SHA256_ABSENT, [ok(2), ok(2)]))).toThrow(expect.objectContaining({ code: 'SOD_BAD_DG_NUMBER' }));
    expect(() => decodeLdsSecurityObject(lsoRaw(0, SHA256_ABSENT, [ok(1)]))).toThrow(expect.objectContaining({ code: 'SOD_HASH_COUNT' }));
    expect(() => decodeLdsSecurityObject(lsoRaw(0, SHA256_ABSENT, [ok(1), dgh(2, new Uint8Array(20))]))).toThrow(
      expect.objectContaining({ code: 'SOD_BAD_HASH_LENGTH' }),
    );
    expect(decodeLdsSecurityObject(lsoRaw(0, SHA256_ABSENT, [ok(16), ok(1)])).dataGroupHashes.map((h) => h.dg)).toEqual([16, 1]);
  });

  it('version and LDSVersionInfo must agree', () => {
    const info = encodeTlv(0x30, encodeTlv(0x13, fromHex('30313038')), encodeTlv(0x13, fromHex('303430303030')));
    const two = [dgh(1, H32(1)), dgh(2, H32(2))];
    expect(() => decodeLdsSecurityObject(lsoRaw(1, SHA256_ABSENT, two))).toThrow(expect.objectContaining({ code: 'SOD_BAD_VERSION' }));
    expect(() => decodeLdsSecurityObject(lsoRaw(0, SHA256_ABSENT, two, info))).toThrow(expect.objectContaining({ code: 'SOD_BAD_VERSION' }));
    expect(() => decodeLdsSecurityObject(lsoRaw(2, SHA256_ABSENT, two))).toThrow(expect.objectContaining({ code: 'SOD_BAD_VERSION' }));
    const badChar = encodeTlv(0x30, encodeTlv(0x13, fromHex('30312a38')), encodeTlv(0x13, fromHex('303430303030')));
    expect(() => decodeLdsSecurityObject(lsoRaw(1, SHA256_ABSENT, two, badChar))).toThrow(
      expect.objectContaining({ code: 'SOD_BAD_STRING', place: expect.objectContaining({ offset: 104 }) }),
    );
  });

  it('the encoder refuses what the decoder would reject', () => {
    const alg = { oid: OID.sha256, params: undefined };
    expect(() => encodeLdsSecurityObject({ hashAlgorithm: alg, dataGroupHashes: [HASHES[0]!] })).toThrow(RangeError);
    expect(() => encodeLdsSecurityObject({ hashAlgorithm: alg, dataGroupHashes: [HASHES[0]!, { dg: 17, hash: H32(0) }] })).toThrow(RangeError);
    expect(() => encodeLdsSecurityObject({ hashAlgorithm: alg, dataGroupHashes: [HASHES[0]!, HASHES[0]!] })).toThrow(RangeError);
    expect(() => encodeLdsSecurityObject({ hashAlgorithm: alg, dataGroupHashes: HASHES, ldsVersion: '0108' })).toThrow(TypeError);
  });
});

describe('ICAO 9303-10 §4.6.2: eContentType', () => {
  const lso = encodeLdsSecurityObject({ hashAlgorithm: { oid: OID.sha256, params: undefined }, dataGroupHashes: HASHES });
  it('2.23.136.1.1.1 is the standard type', () => {
    const sod = decodeSod(sodAround(lso));
    expect(sod.legacyContentType).toBe(false);
    expect(sod.securityObject.dataGroupHashes).toHaveLength(2);
  });
  it('the legacy BE/FR and NL arcs are accepted and flagged', () => {
    for (const legacy of ['1.3.27.1.1.1', '1.2.528.1.1006.1.20.1']) {
      const sod = decodeSod(sodAround(lso, legacy));
      expect(sod.legacyContentType).toBe(true);
      expect(sod.signedData.contentType).toBe(legacy);
    }
  });
  it('any other type is SOD_BAD_CONTENT_TYPE', () => {
    expect(() => decodeSod(sodAround(lso, OID.data))).toThrow(expect.objectContaining({ code: 'SOD_BAD_CONTENT_TYPE' }));
  });
  it('padding after the EF is accepted in lenient mode only', () => {
    const ef = sample('loes2006/ef011D.bin');
    const padded = Uint8Array.from([...ef, 0, 0, 0, 0]);
    expect(hex(decodeSod(padded).raw)).toBe(hex(ef));
    expect(() => decodeSod(padded, 'der')).toThrow(expect.objectContaining({ code: 'TLV_TRAILING_BYTES', place: expect.objectContaining({ offset: ef.length }) }));
  });
  it('a file that is not tag 77', () => {
    expect(() => decodeSod(Uint8Array.of(0x60, 0))).toThrow(expect.objectContaining({ code: 'TLV_UNEXPECTED_TAG', place: expect.objectContaining({ offset: 0 }) }));
  });
  it('wrong argument types are a TypeError', () => {
    for (const v of NOT_BYTES) {
      expect(() => decodeSod(v as Uint8Array)).toThrow(TypeError);
      expect(() => decodeLdsSecurityObject(v as Uint8Array)).toThrow(TypeError);
    }
  });
});

describe('EF.SOD decoder on hostile input: only ParseError, with code and offset', () => {
  const ef = sample('etsi/EF_SOD.bin');
  const lso = decodeSod(ef).securityObject.raw;
  it('every truncation fails', () => {
    expectOnlyParseErrors((b) => decodeSod(b), truncations(ef), { mustFail: true });
    expectOnlyParseErrors((b) => decodeLdsSecurityObject(b), truncations(lso), { mustFail: true });
  });
  it('mutated bytes', () => {
    expect(expectOnlyParseErrors((b) => decodeSod(b), mutations(ef, 1500, 3))).toBeGreaterThan(0);
    expect(expectOnlyParseErrors((b) => decodeLdsSecurityObject(b, 'lenient'), mutations(lso, 1500, 4))).toBeGreaterThan(0);
  });
  it('random bytes', () => {
    expectOnlyParseErrors((b) => decodeSod(b), randomInputs(0x77, 1000, 300, 11), { mustFail: true });
    expectOnlyParseErrors((b) => decodeLdsSecurityObject(b), randomInputs(0x30, 1000, 200, 12), { mustFail: true });
  });
});
