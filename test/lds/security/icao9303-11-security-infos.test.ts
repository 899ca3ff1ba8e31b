/**
 * ICAO 9303-11 (8th ed.) §9.2 SecurityInfos, EF.CardAccess (src/lds/security-infos.ts,
 * src/lds/card-access.ts). Vectors: the CCCD EF.CardAccess in cccd-profile.md, the EF.CardAccess,
 * PACEInfo and ActiveAuthenticationInfo examples of icao-worked-examples.md §2.1, §4.2, §5.1, §6.4.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../src/lds/bytes.js';
import { decodeCardAccess, encodeCardAccess, paceOptions } from '../../../src/lds/card-access.js';
import { encodeOid, OID } from '../../../src/lds/oid.js';
import {
  decodeSecurityInfos,
  describeProtocol,
  encodeSecurityInfo,
  encodeSecurityInfos,
  infosOfKind,
  protocolOid,
  standardizedDomainParameters,
} from '../../../src/lds/security-infos.js';
import { encodeTlv } from '../../../src/lds/tlv.js';
import { expectOnlyParseErrors, mutations, NOT_BYTES, openssl, randomInputs, truncations } from './fixtures.js';

const CCCD = '3134300d060804007f0007020202020101300f060a04007f000702020302020201013012060a04007f0007020204020202010202010d';

/** [hex, [protocol name, version, parameterId] of each PACEInfo] — icao-worked-examples.md §6.4. */
const CARD_ACCESS: readonly [string, readonly (readonly [string, number, number])[]][] = [
  ['31143012060A04007F0007020204020202010202010D', [['id-PACE-ECDH-GM-AES-CBC-CMAC-128', 2, 13]]],
  [
    '31283012060A04007F0007020204020202010202010D3012060A04007F0007020204060202010202010D',
    [
      ['id-PACE-ECDH-GM-AES-CBC-CMAC-128', 2, 13],
      ['id-PACE-ECDH-CAM-AES-CBC-CMAC-128', 2, 13],
    ],
  ],
  ['31143012060A04007F0007020204020102010202010D', [['id-PACE-ECDH-GM-3DES-CBC-CBC', 2, 13]]],
  [
    '31283012060a04007f000702020402040201020201103012060a04007f00070202040604020102020110',
    [
      ['id-PACE-ECDH-GM-AES-CBC-CMAC-256', 2, 16],
      ['id-PACE-ECDH-CAM-AES-CBC-CMAC-256', 2, 16],
    ],
  ],
];

describe('ICAO 9303-11 §9.2.1: EF.CardAccess', () => {
  it('the CCCD card: TA v1, CA ECDH AES-128 v1, PACE ECDH-GM AES-128 v2 with brainpoolP256r1 (cccd-profile.md)', () => {
    const bytes = fromHex(CCCD);
    const ca = decodeCardAccess(bytes);
    expect(ca.infos.map((i) => [i.kind, describeProtocol(i.protocol)?.name])).toEqual([
      ['terminalAuthentication', 'id-TA'],
      ['chipAuthentication', 'id-CA-ECDH-AES-CBC-CMAC-128'],
      ['pace', 'id-PACE-ECDH-GM-AES-CBC-CMAC-128'],
    ]);
    expect(ca.infos[0]).toMatchObject({ version: 1, efCVCA: undefined });
    expect(ca.infos[1]).toMatchObject({ version: 1, keyId: undefined });
    const [opt] = paceOptions(ca.infos);
    expect(opt).toMatchObject({ keyAgreement: 'ECDH', mapping: 'GM', cipher: 'AES-128', domainParameter: undefined });
    expect(opt!.standardized).toMatchObject({ id: 13, curve: OID.brainpoolP256r1 });
    expect(hex(encodeCardAccess(ca.infos))).toBe(CCCD);
    // openssl sees the same three SEQUENCEs with the same OIDs
    const oids = openssl(['asn1parse', '-inform', 'DER'], bytes).match(/OBJECT\s+:([\d.]+)/g)!.map((l) => l.split(':')[1]);
    expect(oids).toEqual(ca.infos.map((i) => i.protocol));
  });

  for (const [h, pace] of CARD_ACCESS) {
    it(`§6.4 example ${h.slice(0, 24)}…: PACEInfos and identical re-encoding`, () => {
      const ca = decodeCardAccess(fromHex(h), 'der');
      expect(infosOfKind(ca.infos, 'pace').map((p) => [describeProtocol(p.protocol)!.name, p.version, p.parameterId])).toEqual(pace);
      expect(hex(encodeCardAccess(ca.infos))).toBe(h.toLowerCase());
      expect(hex(encodeCardAccess(ca.infos, 'given'))).toBe(h.toLowerCase());
    });
  }

  it('§2.1 PACEInfo of Appendix G.1: id-PACE-ECDH-GM-AES-CBC-CMAC-128, v2, paramId 13', () => {
    const info = fromHex('3012060A04007F0007020204020202010202010D');
    const ca = decodeSecurityInfos(encodeTlv(0x31, info));
    expect(ca.infos[0]).toMatchObject({ kind: 'pace', protocol: '0.4.0.127.0.7.2.2.4.2.2', version: 2, parameterId: 13 });
    expect(hex(encodeSecurityInfo(ca.infos[0]!))).toBe(hex(info));
  });

  it('explicit PACE domain parameters resolve by parameterId', () => {
    const domain = { oid: OID.ecPublicKey, params: fromHex('06092b2403030208010107') };
    const bytes = encodeCardAccess([
      { kind: 'pace', protocol: '0.4.0.127.0.7.2.2.4.2.2', version: 2, parameterId: 32 },
      { kind: 'paceDomainParameter', protocol: '0.4.0.127.0.7.2.2.4.2', domainParameter: domain, parameterId: 32 },
    ]);
    const infos = decodeCardAccess(bytes).infos;
    expect(infos.map((i) => i.kind).sort()).toEqual(['pace', 'paceDomainParameter']);
    const [opt] = paceOptions(infos);
    expect(opt!.standardized).toBeUndefined();
    expect(hex(opt!.domainParameter!.params!)).toBe('06092b2403030208010107');
  });
});

describe('ICAO 9303-11 §9.2.6 ActiveAuthenticationInfo (icao-worked-examples.md §4.2)', () => {
  it('ecdsa-plain-SHA256', () => {
    const h = '311930170606678108010105020101060A04007F00070101040103';
    const infos = decodeSecurityInfos(fromHex(h)).infos;
    expect(infos[0]).toMatchObject({ kind: 'activeAuthentication', protocol: OID.aaProtocolObject, version: 1, signatureAlgorithm: '0.4.0.127.0.7.1.1.4.1.3' });
    expect(hex(encodeSecurityInfos(infos))).toBe(h.toLowerCase());
  });
});

describe('ICAO 9303-11 §9.2 protocol OIDs → readable parts (icao-worked-examples.md §5.1, §6.4)', () => {
  it('the DER values of the table decode to the named protocols', () => {
    const table: [string, string, string, string | undefined, string | undefined][] = [
      ['04007F000702020101', 'id-PK-DH', 'chipAuthenticationPublicKey', 'DH', undefined],
      ['04007F000702020102', 'id-PK-ECDH', 'chipAuthenticationPublicKey', 'ECDH', undefined],
      ['04007F0007020202', 'id-TA', 'terminalAuthentication', undefined, undefined],
      ['04007F00070202030101', 'id-CA-DH-3DES-CBC-CBC', 'chipAuthentication', 'DH', '3DES'],
      ['04007F00070202030201', 'id-CA-ECDH-3DES-CBC-CBC', 'chipAuthentication', 'ECDH', '3DES'],
      ['04007F00070202030204', 'id-CA-ECDH-AES-CBC-CMAC-256', 'chipAuthentication', 'ECDH', 'AES-256'],
      ['04007F00070202040202', 'id-PACE-ECDH-GM-AES-CBC-CMAC-128', 'pace', 'ECDH', 'AES-128'],
      ['04007F00070202040301', 'id-PACE-DH-IM-3DES-CBC-CBC', 'pace', 'DH', '3DES'],
      ['04007F00070202040603', 'id-PACE-ECDH-CAM-AES-CBC-CMAC-192', 'pace', 'ECDH', 'AES-192'],
      ['04007F000702020402', 'id-PACE-ECDH-GM', 'paceDomainParameter', 'ECDH', undefined],
    ];
    for (const [value, name, kind, ka, cipher] of table) {
      const oid = openssl(['asn1parse', '-inform', 'DER'], encodeTlv(0x06, fromHex(value))).match(/OBJECT\s+:([\d.]+)/)![1]!;
      const parts = describeProtocol(oid)!;
      expect(parts).toMatchObject({ name, kind, keyAgreement: ka, cipher });
      expect(protocolOid(parts.kind, parts.keyAgreement, parts.mapping, parts.cipher)).toBe(oid);
      expect(hex(encodeOid(oid)).toUpperCase()).toBe(value);
    }
    // §9.2.3: CAM exists with AES only; id-PACE arc 5 is unassigned
    expect(describeProtocol('0.4.0.127.0.7.2.2.4.6.1')).toBeUndefined();
    expect(describeProtocol('0.4.0.127.0.7.2.2.4.5.2')).toBeUndefined();
    expect(describeProtocol('0.4.0.127.0.7.2.2.4.3.2')!.mapping).toBe('IM');
  });

  it('standardized domain parameters, Table 12', () => {
    expect(standardizedDomainParameters(0)).toMatchObject({ keyAgreement: 'DH', curve: undefined });
    expect(standardizedDomainParameters(2)).toMatchObject({ keyAgreement: 'DH' });
    expect(standardizedDomainParameters(12)).toMatchObject({ curve: OID.secp256r1 });
    expect(standardizedDomainParameters(13)).toMatchObject({ curve: OID.brainpoolP256r1 });
    expect(standardizedDomainParameters(16)).toMatchObject({ curve: OID.brainpoolP384r1 });
    expect(standardizedDomainParameters(18)).toMatchObject({ curve: OID.secp521r1 });
    for (const rfu of [3, 7, 19, 31]) expect(standardizedDomainParameters(rfu)).toBeUndefined();
  });
});

describe('ICAO 9303-11 §9.2: unknown infos, order, and what the codec refuses', () => {
  it('an unknown SecurityInfo is kept as raw bytes and written back unchanged', () => {
    // id-CardInfoLocator-like entry from another arc: protocol + IA5String URL
    const unknown = encodeTlv(0x30, encodeTlv(0x06, encodeOid('0.4.0.127.0.7.3.1.2.1')), encodeTlv(0x16, fromHex('687474703a2f2f78')));
    const set = encodeTlv(0x31, fromHex('3012060A04007F0007020204020202010202010D'), unknown);
    const infos = decodeSecurityInfos(set).infos;
    expect(infos[1]).toMatchObject({ kind: 'unknown', protocol: '0.4.0.127.0.7.3.1.2.1' });
    expect(hex(encodeSecurityInfos(infos, 'given'))).toBe(hex(set));
  });

  it("'der' order sorts by encoding (X.690 §11.6), 'given' keeps the caller's order", () => {
    const infos = decodeCardAccess(fromHex(CCCD)).infos;
    const reversed = [...infos].reverse();
    expect(hex(encodeSecurityInfos(reversed))).toBe(CCCD);
    expect(hex(encodeSecurityInfos(reversed, 'given')).slice(4, 8)).toBe('3012');
  });

  it('malformed known infos are ParseErrors with the offset of the fault', () => {
    // PACEInfo without version
    expect(() => decodeSecurityInfos(fromHex('310e300c060a04007f00070202040202'))).toThrow(
      expect.objectContaining({ code: 'TLV_MISSING', place: expect.objectContaining({ offset: 2 }) }),
    );
    // PACEInfo with a string where the version belongs
    expect(() => decodeSecurityInfos(fromHex('3111300f060a04007f000702020402020c0132'))).toThrow(
      expect.objectContaining({ code: 'TLV_UNEXPECTED_TAG', place: expect.objectContaining({ offset: 16 }) }),
    );
    // PACEInfo with an extra element
    expect(() => decodeSecurityInfos(fromHex('31173015060a04007f00070202040202020102020101020101'))).toThrow(
      expect.objectContaining({ code: 'TLV_EXTRA_ELEMENT', place: expect.objectContaining({ offset: 22 }) }),
    );
    // an unknown protocol still needs requiredData
    expect(() => decodeSecurityInfos(fromHex('3105300306012a'))).toThrow(expect.objectContaining({ code: 'TLV_MISSING' }));
    // a negative version
    expect(() => decodeSecurityInfos(fromHex('3111300f060a04007f000702020402020201ff'))).toThrow(
      expect.objectContaining({ code: 'INTEGER_OUT_OF_RANGE', place: expect.objectContaining({ offset: 16 }) }),
    );
  });

  it('the encoder refuses a protocol that does not fit the kind, and non-bytes', () => {
    expect(() => encodeSecurityInfo({ kind: 'pace', protocol: OID.idTA, version: 2 })).toThrow(RangeError);
    for (const v of NOT_BYTES) {
      expect(() => decodeSecurityInfos(v as Uint8Array)).toThrow(TypeError);
      expect(() => decodeCardAccess(v as Uint8Array)).toThrow(TypeError);
    }
  });
});

describe('SecurityInfos decoder on hostile input: only ParseError, with code and offset', () => {
  const bytes = fromHex(CCCD);
  it('every truncation fails', () => {
    expectOnlyParseErrors((b) => decodeCardAccess(b), truncations(bytes), { mustFail: true });
  });
  it('mutated and random bytes', () => {
    expect(expectOnlyParseErrors((b) => decodeCardAccess(b, 'der'), mutations(bytes, 2000, 40))).toBeGreaterThan(0);
    expectOnlyParseErrors((b) => decodeCardAccess(b), mutations(bytes, 2000, 41));
    expectOnlyParseErrors((b) => decodeCardAccess(b), randomInputs(0x31, 1000, 200, 42), { mustFail: true });
  });
});
