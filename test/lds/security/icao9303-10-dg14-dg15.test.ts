/**
 * ICAO 9303-10 (8th ed.) §4.7.14 DG14 and §4.7.15 DG15 (src/lds/dg14.ts, src/lds/dg15.ts) on the
 * published samples (bsi2008, bsi-tr03105, etsi, loes2006) and the real DG14 / DG15 dumps of
 * icao-worked-examples.md §4.1 and §5.3, cross-checked with openssl asn1parse.
 */
import { describe, expect, it } from 'vitest';
import { compareDer } from '../../../src/lds/der.js';
import { fromHex, hex } from '../../../src/lds/bytes.js';
import { activeAuthenticationInfo, chipAuthenticationOptions, decodeDg14, encodeDg14 } from '../../../src/lds/dg14.js';
import { decodeDg15, encodeDg15 } from '../../../src/lds/dg15.js';
import { OID } from '../../../src/lds/oid.js';
import { encodePublicKey } from '../../../src/lds/public-key.js';
import { describeProtocol } from '../../../src/lds/security-infos.js';
import { decodeTlv } from '../../../src/lds/tlv.js';
import { expectOnlyParseErrors, mutations, NOT_BYTES, openssl, randomInputs, sample, truncations } from './fixtures.js';

const AT_DG14 = fromHex(
  '6E82017E3182017A300D060804007F0007020202020101300F060A04007F000702020302020201013012060A04007F0007020204020202010202010D30820142060904007F000702020102308201333081EC06072A8648CE3D02013081E0020101302C06072A8648CE3D0101022100A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377304404207D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9042026DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B60441048BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997022100A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7020101034200041983917269AC877C0B61544C2C022000D2A5ABA723E2D80141E648B40911DC3459761F27480E4B57181A53D8FE1190EA86C939AC14363178CAFFC621F0F905C3',
);

/** OIDs at depth 3 (the protocol of each SecurityInfo), as openssl asn1parse prints them. */
function protocolsOf(ef: Uint8Array): string[] {
  return openssl(['asn1parse', '-inform', 'DER'], ef)
    .split('\n')
    .filter((l) => /d=3 .*OBJECT/.test(l))
    .map((l) => /:([\d.]+)\s*$/.exec(l)![1]!);
}

describe('ICAO 9303-10 §4.7.14 DG14: published samples', () => {
  for (const path of ['bsi-tr03105/Datagroup14.bin', 'bsi2008/Datagroup14.bin', 'etsi/EF_DG14.bin']) {
    it(`${path}: CA public key (ECDH, explicit brainpoolP224r1), CA ECDH-3DES v1, TA v1`, () => {
      const ef = sample(path);
      const dg14 = decodeDg14(ef, 'der');
      const infos = dg14.securityInfos.infos;
      expect(infos.map((i) => i.protocol)).toEqual(protocolsOf(ef));
      expect(infos.map((i) => describeProtocol(i.protocol)!.name)).toEqual(['id-PK-ECDH', 'id-CA-ECDH-3DES-CBC-CBC', 'id-TA']);
      const [opt] = chipAuthenticationOptions(dg14);
      expect(opt!.publicKey.publicKey.kind).toBe('ec');
      expect(opt!.info).toMatchObject({ version: 1, keyId: undefined });
      expect(activeAuthenticationInfo(dg14)).toBeUndefined();
      // these files list the SET OF unsorted: 'given' reproduces them, 'der' writes the X.690 order
      expect(hex(encodeDg14(infos, 'given'))).toBe(hex(ef));
      const sorted = encodeDg14(infos);
      expect(hex(sorted)).not.toBe(hex(ef));
      expect(sorted.length).toBe(ef.length);
      const parts = decodeDg14(sorted).securityInfos.infos.map((i) => i.raw);
      for (let i = 1; i < parts.length; i++) expect(compareDer(parts[i - 1]!, parts[i]!)).toBeLessThan(0);
      expect(hex(dg14.raw)).toBe(hex(ef));
    });
  }

  it('AT passport DG14 (§5.3): TA, CA-ECDH-AES-128, PACE, CA key with explicit brainpoolP256r1', () => {
    const dg14 = decodeDg14(AT_DG14, 'der');
    expect(dg14.securityInfos.infos.map((i) => i.kind)).toEqual(['terminalAuthentication', 'chipAuthentication', 'pace', 'chipAuthenticationPublicKey']);
    expect(dg14.securityInfos.infos.map((i) => i.protocol)).toEqual(protocolsOf(AT_DG14));
    const [opt] = chipAuthenticationOptions(dg14);
    expect(describeProtocol(opt!.info!.protocol)!.name).toBe('id-CA-ECDH-AES-CBC-CMAC-128');
    expect(opt!.publicKey.keyId).toBeUndefined();
    expect(hex(encodeDg14(dg14.securityInfos.infos))).toBe(hex(AT_DG14));
  });

  it('keys are paired with their ChipAuthenticationInfo by keyId', () => {
    const key = decodeDg14(AT_DG14).securityInfos.infos[3]!;
    if (key.kind !== 'chipAuthenticationPublicKey') throw new Error('fixture');
    const ef = encodeDg14([
      { ...key, keyId: 7 },
      { ...key, keyId: 9 },
      { kind: 'chipAuthentication', protocol: '0.4.0.127.0.7.2.2.3.2.4', version: 1, keyId: 9 },
      { kind: 'chipAuthentication', protocol: '0.4.0.127.0.7.2.2.3.2.2', version: 1, keyId: 7 },
      { kind: 'activeAuthentication', protocol: OID.aaProtocolObject, version: 1, signatureAlgorithm: OID.ecdsaPlainSignatures + '.3' },
    ]);
    const dg14 = decodeDg14(ef);
    const pairs = chipAuthenticationOptions(dg14).map((o) => [o.publicKey.keyId, describeProtocol(o.info!.protocol)!.cipher]);
    expect(pairs.sort()).toEqual([
      [7, 'AES-128'],
      [9, 'AES-256'],
    ]);
    expect(activeAuthenticationInfo(dg14)!.signatureAlgorithm).toBe('0.4.0.127.0.7.1.1.4.1.3');
    // openssl sees the four keyId INTEGERs (two keys, two CA infos)
    expect(openssl(['asn1parse', '-inform', 'DER'], ef).match(/d=3 .*INTEGER\s+:0[79]/g)).toHaveLength(4);
  });
});

describe('ICAO 9303-10 §4.7.15 DG15: published samples', () => {
  const samples = [
    ['loes2006/ef010F.bin', 'der'],
    ['bsi-tr03105/Datagroup15.bin', 'der'],
    ['etsi/EF_DG15.bin', 'der'],
    ['bsi2008/Datagroup15.bin', 'lenient'],
  ] as const;
  for (const [path, mode] of samples) {
    it(`${path}: RSA key, exponent 65537, file re-encodes identically`, () => {
      const ef = sample(path);
      const dg15 = decodeDg15(ef, mode);
      expect(dg15.publicKey.kind).toBe('rsa');
      expect(dg15.publicKey.kind === 'rsa' && dg15.publicKey.e).toBe(65537n);
      expect(hex(encodeDg15(dg15.publicKey.raw))).toBe(hex(ef));
      expect(hex(dg15.raw)).toBe(hex(ef));
    });
  }

  it('gmrtd DG15 (§4.1, RSA-1792) and pymrtd DG15 (RSA-1024): modulus size, re-encoding from n and e', () => {
    const gmrtd = fromHex(
      '6F8201023081FF300D06092A864886F70D01010105000381ED003081E90281E100BB8F93F4DC95E205CDA17C6927AB1E365B13065D03CD12E0FCE95D96840529453202F56CC4C13F77CD062930C8BC89A2873B257045C286E601CF3C09323A53103314902804AA10A314628CE222206A8866946A36B442041BB54AC81E6855DD1D6E16101833D65A191C20AC8B33B8A1A32920F46043F8031CF2BC17417030865FC5BE5A39DEE423BCBA3CA8177168EB23CFE01BA43EC87711B1CFFF85DB46F300DD8AE317B50D543B573E119E23AF7070D0B2FED6A3B2313A5EC02A531AAED1741F4390D1013E2A0F081EAC5DC8B0A1B2C6BDB1206F08D30E3643E1E5BDF536110203010001',
    );
    const pymrtd = fromHex(
      '6F81A230819F300D06092A864886F70D010101050003818D0030818902818100BD8620D45693E1CD8678639F22E9553F09E3AFD87BD26000113CE2798B7A02A2E0AB6B7525D09072109D938D6708167E8FAFAF83F17BFBA36CECCE26058C7ED9AE29516755B19F78CE0E73DA02340B117B8AB2ECA007F1390E93E896016335EB5C1E330B961C03E253D17874F7ABEE8D4962C49FFE578D46954FF23B26F5E5550203010001',
    );
    for (const [ef, bits] of [[gmrtd, 1792], [pymrtd, 1024]] as const) {
      const key = decodeDg15(ef, 'der').publicKey;
      if (key.kind !== 'rsa') throw new Error('expected RSA');
      expect(key.n.toString(2).length).toBe(bits);
      const text = openssl(['pkey', '-pubin', '-inform', 'DER', '-text', '-noout'], decodeTlv(ef).value);
      expect(text).toContain(`Public-Key: (${bits} bit)`);
      expect(hex(encodeDg15(encodePublicKey(key)))).toBe(hex(ef));
    }
  });

  it('an EC AA key (P-256, RFC 6979 A.2.5 public key of icao-worked-examples.md §4.2)', () => {
    const point = fromHex('04' + '60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6' + '7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299');
    const ef = encodeDg15(encodePublicKey({ kind: 'ec', namedCurve: OID.secp256r1, point }));
    const text = openssl(['pkey', '-pubin', '-inform', 'DER', '-text', '-noout'], decodeTlv(ef).value);
    expect(text).toContain('NIST CURVE: P-256');
    expect(text.replace(/[\s:]/g, '')).toContain(hex(point));
    const key = decodeDg15(ef, 'der').publicKey;
    expect(key).toMatchObject({ kind: 'ec', namedCurve: OID.secp256r1 });
  });
});

describe('DG14 / DG15: wrapper errors and hostile input', () => {
  it('wrong tags and extra content', () => {
    expect(() => decodeDg14(sample('loes2006/ef010F.bin'))).toThrow(expect.objectContaining({ code: 'TLV_UNEXPECTED_TAG', place: expect.objectContaining({ offset: 0 }) }));
    expect(() => decodeDg15(AT_DG14)).toThrow(expect.objectContaining({ code: 'TLV_UNEXPECTED_TAG', place: expect.objectContaining({ offset: 0 }) }));
    expect(() => decodeDg15(fromHex('6F04') as Uint8Array)).toThrow(expect.objectContaining({ code: 'TLV_TRUNCATED' }));
    expect(() => decodeDg14(fromHex('6E0431003100'))).toThrow(expect.objectContaining({ code: 'TLV_EXTRA_ELEMENT', place: expect.objectContaining({ offset: 4 }) }));
    for (const v of NOT_BYTES) {
      expect(() => decodeDg14(v as Uint8Array)).toThrow(TypeError);
      expect(() => decodeDg15(v as Uint8Array)).toThrow(TypeError);
      expect(() => encodeDg15(v as Uint8Array)).toThrow(TypeError);
    }
  });

  it('padding after the file is taken in lenient mode only', () => {
    const ef = sample('etsi/EF_DG15.bin');
    const padded = Uint8Array.from([...ef, 0xff, 0xff]);
    expect(hex(decodeDg15(padded).raw)).toBe(hex(ef));
    expect(() => decodeDg15(padded, 'der')).toThrow(expect.objectContaining({ code: 'TLV_TRAILING_BYTES', place: expect.objectContaining({ offset: ef.length }) }));
  });

  const dg14 = sample('bsi2008/Datagroup14.bin');
  const dg15 = sample('loes2006/ef010F.bin');
  it('every truncation fails', () => {
    expectOnlyParseErrors((b) => decodeDg14(b), truncations(dg14), { mustFail: true });
    expectOnlyParseErrors((b) => decodeDg15(b), truncations(dg15), { mustFail: true });
  });
  it('mutated and random bytes', () => {
    expect(expectOnlyParseErrors((b) => decodeDg14(b, 'der'), mutations(dg14, 1500, 50))).toBeGreaterThan(0);
    expectOnlyParseErrors((b) => decodeDg14(b), mutations(AT_DG14, 1500, 51));
    expect(expectOnlyParseErrors((b) => decodeDg15(b, 'der'), mutations(dg15, 1500, 52))).toBeGreaterThan(0);
    expectOnlyParseErrors((b) => decodeDg14(b), randomInputs(0x6e, 1000, 300, 53), { mustFail: true });
    expectOnlyParseErrors((b) => decodeDg15(b), randomInputs(0x6f, 1000, 300, 54), { mustFail: true });
  });
});
