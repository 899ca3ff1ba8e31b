/**
 * Active Authentication (ICAO 9303-11 (8th ed.) §6.1, App. F; ISO/IEC 9796-2 scheme 1; BSI
 * TR-03111 §5.2.1) against the published vectors of icao-worked-examples.md §4: App. F's F, the
 * real RSA-1024/SHA-1 passport signatures and the BouncyCastle vector (pymrtd), the real
 * RSA-1792/SHA-256 signature (gmrtd). Chip-side signatures are checked with the openssl CLI.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../src/lds/bytes.js';
import { CancuocError } from '../../../src/lds/errors.js';
import { OID } from '../../../src/lds/oid.js';
import { aaEcdsaHash, aaSign, aaVerify, type AaPublicKey } from '../../../src/crypto/active-auth.js';
import { domainParameters, ecDomainByOid, type EcDomain } from '../../../src/crypto/curves.js';
import { decodeRepresentative, encodeRepresentative, HASH_IDENTIFIERS } from '../../../src/crypto/iso9796-2.js';

const h = (s: string) => fromHex(s);

/** RSA public key from DG15 (6F L SubjectPublicKeyInfo), parsed by Node, not by cancuoc. */
function rsaFromDg15(dg15: string): AaPublicKey {
  const bytes = Buffer.from(dg15, 'hex');
  const spki = bytes.subarray(bytes[1] === 0x82 ? 4 : 3);
  const jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' });
  return { kind: 'rsa', modulus: new Uint8Array(Buffer.from(jwk.n!, 'base64url')), exponent: new Uint8Array(Buffer.from(jwk.e!, 'base64url')) };
}
function rsaFromKey(key: KeyObject): AaPublicKey {
  const jwk = key.export({ format: 'jwk' });
  return { kind: 'rsa', modulus: new Uint8Array(Buffer.from(jwk.n!, 'base64url')), exponent: new Uint8Array(Buffer.from(jwk.e!, 'base64url')) };
}

const APP_F = {
  m2: 'F173589974BF40C6',
  m1: '9D2784A67F8E7C659973EA1AEA25D95B6C8F91E5002F369F0FBDCE8A3CEC1991B543F1696546C5524CF23A5303CD6C98599F40B79F377B5F3A1406B3B4D8F96784D23AA88DB7E1032A405E69325FA91A6E86F5C71AEA978264C4A207446DAD4E7292E2DCDA3024B47DA8',
  f: '6A9D2784A67F8E7C659973EA1AEA25D95B6C8F91E5002F369F0FBDCE8A3CEC1991B543F1696546C5524CF23A5303CD6C98599F40B79F377B5F3A1406B3B4D8F96784D23AA88DB7E1032A405E69325FA91A6E86F5C71AEA978264C4A207446DAD4E7292E2DCDA3024B47DA8C063AA1E6D22FBD976AB0FE73D94D2D9C6D88127BC',
};

describe('ISO/IEC 9796-2 message representative — ICAO 9303-11 App. F', () => {
  it('encodes F = 6A ‖ M1 ‖ SHA-1(M1 ‖ M2) ‖ BC for a 1024-bit modulus', () => {
    expect(hex(encodeRepresentative(128, h(APP_F.m1), h(APP_F.m2), 'sha1')).toUpperCase()).toBe(APP_F.f);
  });
  it('recovers M1 from F and checks the hash against M2', () => {
    const r = decodeRepresentative(h(APP_F.f), h(APP_F.m2));
    expect(hex(r.m1).toUpperCase()).toBe(APP_F.m1);
    expect(r.hash).toBe('sha1');
    expect(() => decodeRepresentative(h(APP_F.f), h('F173589974BF40C7'))).toThrow(expect.objectContaining({ code: 'ISO9796_HASH_MISMATCH' }));
  });
  it('uses the ISO/IEC 10118-3 hash identifiers in the two-byte trailer', () => {
    expect(HASH_IDENTIFIERS).toEqual({ sha1: 0x33, sha256: 0x34, sha512: 0x35, sha384: 0x36, sha224: 0x38 });
  });
  it('refuses bad headers, padding and trailers', () => {
    const f = h(APP_F.f);
    const mutate = (i: number, v: number) => {
      const g = f.slice();
      g[i] = v;
      return g;
    };
    expect(() => decodeRepresentative(mutate(0, 0x4a), h(APP_F.m2))).toThrow(expect.objectContaining({ code: 'ISO9796_NOT_PARTIAL' }));
    expect(() => decodeRepresentative(mutate(0, 0x2a), h(APP_F.m2))).toThrow(expect.objectContaining({ code: 'ISO9796_HEADER_INVALID' }));
    expect(() => decodeRepresentative(mutate(0, 0x6c), h(APP_F.m2))).toThrow(expect.objectContaining({ code: 'ISO9796_PADDING_INVALID' }));
    expect(() => decodeRepresentative(mutate(127, 0xcc), h(APP_F.m2))).toThrow(expect.objectContaining({ code: 'ISO9796_HASH_UNKNOWN' }));
    expect(() => decodeRepresentative(mutate(127, 0xbd), h(APP_F.m2))).toThrow(expect.objectContaining({ code: 'ISO9796_TRAILER_INVALID' }));
    expect(() => decodeRepresentative(h('6ABC'), h(APP_F.m2))).toThrow(CancuocError);
  });
});

const PYMRTD_KEY = rsaFromDg15(
  '6F81A230819F300D06092A864886F70D010101050003818D0030818902818100BD8620D45693E1CD8678639F22E9553F09E3AFD87BD26000113CE2798B7A02A2E0AB6B7525D09072109D938D6708167E8FAFAF83F17BFBA36CECCE26058C7ED9AE29516755B19F78CE0E73DA02340B117B8AB2ECA007F1390E93E896016335EB5C1E330B961C03E253D17874F7ABEE8D4962C49FFE578D46954FF23B26F5E5550203010001',
);
const PYMRTD = [
  {
    nonce: '47E4EE7F211F7326',
    sig: '8AECE4E0AB1A6B9E06B31ACBA51AE316D0B7B48E2F5FE13E575060F6B9DC27A2F9D03DCF67A141F466EEC753879106BE0992F46F5EAAD075EB1886D2ACE90D60C2EDA69880780CE4FA36EF27AB01C47527BD23B178EC8F213307281572C219487FC11B2C3D9C144DC98D96D1A79A7478449D692D3D14E8C044F81B3ADF0047E0',
    m1: '60735d54c4fc7759a2093c4b6f6f09dac2ddb103bd14b512e5683aed8ed7eb8fd3dd6bf122dadf8c2c43d359f8f6e6537dadec03d21b385a9b3bf6111751558f860ce3701574d742962110ad81d08f13e5e9439d912ac2b3f61d60cc48700f5260a82ca06362dd077e75',
  },
  {
    nonce: '5DD17658F6E21C13',
    sig: '97251259E9EB453A8DC2D9CD85D5A49D2E83F31D6465CB1FBD09C5E7800D4F0FB9FF7312343CD3955CA3BE6768AD7938F3D36B0C9E2205923786949B5F48FBF1C94D01B5BC9DA88C8293E118F87E14E4CC409D52AA7ED266E20248AB3C04949838540DEB24588436607EA620B4825D002C5FAB4F07B618D72C0A9EC247653FE7',
    m1: '51d3acac47e1f3b2f438218d4deb5386f6a53d74271c4c2498c86c721f485f0332ff4d1ab94b559fbf4c6c73917647eaa09ff5d179fb7a5e84327b6ded162a967ef0fd78d8f3f05cb360a4aa78651f4464c830a62575d4fbea6fe56f6021e50970925c7447b7d0274f68',
  },
  {
    nonce: '18BD6C81F37598E2',
    sig: '12C0972DFE9E1DDB42B46130D64339E0845578D85E5F0ED7C9E12036AE0C3D417BBAAA6CA5579E782DDEADA825E432C2AE9593B8DB5806327E22B18CD0AB86353C314925A01390806A1D6E8DDE2CD0D82D9671457139241E93BC308E5573C335D14EF6182A5171A443A82A2568D6B1373A1F227377C584ABA7B1E8B1F47E393F',
    m1: '097d0235b982189b854a80e67ad9087b22590b49279727d471c12fa40412c499aefc6a38faacb1e5042b9fb06826c678dca36e61e16ea3a7c17ead774a28f66a6a21d2277355ce134b59d8953dda7ce37ea836210aa3a2abed9159e91ea047223dcb16578537864642b2',
  },
  {
    nonce: '0A2756299542EFCF',
    sig: '0854CF7B69FB54286F97FC8B396722E21156DFEEC38CF5C63035B09A59C4EA7FCA79865D5EE166548AAE5AE1F629A57459B46F5D1D1E4EFE9369C0075903D3CA282D6B2CF5843E62CE53BEA33E3D6AA7A48147CC38C9B534437FD0DCD0F0C787BE74061DFA844435253D651E7986BA47F49FA49D7041BD1FE72B5E5D09221FD1',
    m1: '6ed132d3836b72e561edfb1948b8cfc6049de6d00a724a9747f13fb2ad26676455bf1bf2a7b29a5b27b34c893bdabee203e1c8a20ffb277971363fc74543ac6419916ae2179360252519e25e4f2e5534810071072a34c25b92773e61f6ab75c35da4238bd78eb6cbbdde',
  },
];

describe('RSA AA — real passport signatures', () => {
  it.each(PYMRTD)('RSA-1024 / SHA-1 (pymrtd), nonce $nonce: valid, M1 recovered', ({ nonce, sig, m1 }) => {
    const r = aaVerify(PYMRTD_KEY, h(nonce), h(sig));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.hash).toBe('sha1');
      expect(hex(r.value.recovered!)).toBe(m1);
    }
    const badNonce = h(nonce);
    badNonce[7]! ^= 1;
    const r2 = aaVerify(PYMRTD_KEY, badNonce, h(sig));
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.error.code).toBe('ISO9796_HASH_MISMATCH');
    for (const at of [0, 64, 127]) {
      const badSig = h(sig);
      badSig[at]! ^= 1;
      expect(aaVerify(PYMRTD_KEY, h(nonce), badSig).ok).toBe(false);
    }
  });

  it('BouncyCastle ISO9796Test vector (nonce 00…00)', () => {
    const key = createPublicKey({
      key: Buffer.from(
        '30819f300d06092a864886f70d010101050003818d0030818902818100CDCBDABBF93BE8E8294E32B055256BBD0397735189BF75816341BB0D488D05D627991221DF7D59835C76A4BB4808ADEEB779E7794504E956ADC2A661B46904CDC71337DD29DDDD454124EF79CFDD7BC2C21952573CEFBA485CC38C6BD2428809B5A31A898A6B5648CAA4ED678D9743B589134B7187478996300EDBA16271A8610203010001',
        'hex',
      ),
      format: 'der',
      type: 'spki',
    });
    const r = aaVerify(
      rsaFromKey(key),
      new Uint8Array(8),
      h(
        '482E20D1EDDED34359C38F5E7C01203F9D6B2641CDCA5C404D49ADAEDE034C7481D781D043722587761C90468DE69C6585A1E8B9C322F90E1B580EEDAB3F6007D0C366CF92B4DB8B41C8314929DCE2BE889C0129123484D2FD3D12763D2EBFD12AC8E51D7061AFCA1A53DEDEC7B9A617472A78C952CCC72467AE008E5F132994',
      ),
    );
    expect(r.ok && hex(r.value.recovered!)).toBe(
      '539bb29260e7bc226c8798b01af2caaadc3675e26065e1e3856615894d5baef7d97634278d6dd609cf9091b68b248cc2f817ccc2e98ad7efa3b730ee97afc20ad5c00e24f8a49b89cdb05613b5ce2094cc21c9afb84a23c771be5ca500e8fb5d75f40d93cab6ee019569',
    );
  });

  it('RSA-1792 / SHA-256, trailer 34CC (gmrtd TestDoActiveAuth)', () => {
    const key = rsaFromDg15(
      '6F8201023081FF300D06092A864886F70D01010105000381ED003081E90281E100BB8F93F4DC95E205CDA17C6927AB1E365B13065D03CD12E0FCE95D96840529453202F56CC4C13F77CD062930C8BC89A2873B257045C286E601CF3C09323A53103314902804AA10A314628CE222206A8866946A36B442041BB54AC81E6855DD1D6E16101833D65A191C20AC8B33B8A1A32920F46043F8031CF2BC17417030865FC5BE5A39DEE423BCBA3CA8177168EB23CFE01BA43EC87711B1CFFF85DB46F300DD8AE317B50D543B573E119E23AF7070D0B2FED6A3B2313A5EC02A531AAED1741F4390D1013E2A0F081EAC5DC8B0A1B2C6BDB1206F08D30E3643E1E5BDF536110203010001',
    );
    const sig = h(
      '474256306840c0ab1b63c10e1c26bdfef4a0dd843920283cc4e6e70a60f2bd25dc7725f9677bc1cde66379dc28b38e8490f33afb2d10f9980c44c0bfc175d2b6684218f535c92fdd3e18db770a9ccbf91db3c7f0138e6d9e94b9bc8371761e3abed5e5e9b260279cfb238b58ae0d6a01da51c74c2a3ecd62c448bd9f20127f7384587287fa971204234e55b1a856c3e5aaaa620bb799a68fbae08ee132bb61683eba9b0b40dc1e54641cad975b16991cab50af82e3f3985afd19e7427a125f5b4b9878b12a5d2e01c7eedca3bb41c6fc05dccd818bce379d04b1f2f5d43487d3',
    );
    const r = aaVerify(key, h('96302b0f3d7e7864'), sig);
    expect(r.ok && r.value.hash).toBe('sha256');
    expect(aaVerify(key, h('96302b0f3d7e7865'), sig).ok).toBe(false);
  });
});

function openssl(args: string[], input?: Buffer): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

describe('chip side, checked with the openssl CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cancuoc-aa-'));

  it('RSA-2048 / SHA-256: openssl recovers F = 6A ‖ M1 ‖ SHA-256(M1 ‖ RND.IFD) ‖ 34CC', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'rsa.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    const challenge = new Uint8Array(randomBytes(8));
    const sig = aaSign(privateKey, challenge, { hash: 'sha256' });
    writeFileSync(join(dir, 'rsa.sig'), sig);
    const f = openssl(['pkeyutl', '-verifyrecover', '-pubin', '-inkey', join(dir, 'rsa.pem'), '-pkeyopt', 'rsa_padding_mode:none', '-in', join(dir, 'rsa.sig')]);
    expect(f.length).toBe(256);
    expect(f[0]).toBe(0x6a);
    expect(f.subarray(254).toString('hex')).toBe('34cc');
    const m1 = f.subarray(1, 256 - 2 - 32);
    const digest = openssl(['dgst', '-sha256', '-binary'], Buffer.concat([m1, challenge]));
    expect(f.subarray(256 - 2 - 32, 254).toString('hex')).toBe(digest.toString('hex'));
    const r = aaVerify(rsaFromKey(publicKey), challenge, sig);
    expect(r.ok && hex(r.value.recovered!)).toBe(m1.toString('hex'));
  });

  it('RSA-1024 / SHA-1 default: trailer BC', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    writeFileSync(join(dir, 'rsa1.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    const sig = aaSign(privateKey, h('0102030405060708'));
    writeFileSync(join(dir, 'rsa1.sig'), sig);
    const f = openssl(['pkeyutl', '-verifyrecover', '-pubin', '-inkey', join(dir, 'rsa1.pem'), '-pkeyopt', 'rsa_padding_mode:none', '-in', join(dir, 'rsa1.sig')]);
    expect(f[127]).toBe(0xbc);
    expect(aaVerify(rsaFromKey(publicKey), h('0102030405060708'), sig).ok).toBe(true);
  });

  it.each([
    ['brainpoolP256r1', 'sha256', 64],
    ['secp384r1', 'sha384', 96],
    ['brainpoolP224r1', 'sha224', 56],
  ] as const)('ECDSA on %s: plain r ‖ s that openssl verifies (as DER) with %s', (curve, hash, length) => {
    openssl(['ecparam', '-name', curve, '-genkey', '-noout', '-out', join(dir, `${curve}.key`)]);
    openssl(['ec', '-in', join(dir, `${curve}.key`), '-pubout', '-out', join(dir, `${curve}.pub`)]);
    const privateKey = readFileSync(join(dir, `${curve}.key`));
    const key = createPrivateKey(privateKey);
    const challenge = new Uint8Array(randomBytes(8));
    const sig = aaSign(key, challenge);
    expect(sig.length).toBe(length);
    const der = plainToDer(sig);
    writeFileSync(join(dir, `${curve}.sig`), der);
    writeFileSync(join(dir, `${curve}.msg`), challenge);
    const out = openssl(['dgst', `-${hash}`, '-verify', join(dir, `${curve}.pub`), '-signature', join(dir, `${curve}.sig`), join(dir, `${curve}.msg`)]);
    expect(out.toString()).toContain('Verified OK');

    const spki = createPublicKey(readFileSync(join(dir, `${curve}.pub`))).export({ type: 'spki', format: 'der' });
    const point = new Uint8Array(spki.subarray(spki.length - (length + 1)));
    const domain = ecDomainByOid(curve === 'secp384r1' ? OID.secp384r1 : curve === 'brainpoolP224r1' ? OID.brainpoolP224r1 : OID.brainpoolP256r1)!;
    const pub: AaPublicKey = { kind: 'ec', domain, point };
    const plain = aaVerify(pub, challenge, sig);
    expect(plain.ok && plain.value.format).toBe('plain');
    const viaDer = aaVerify(pub, challenge, new Uint8Array(der));
    expect(viaDer.ok && viaDer.value.format).toBe('der');
    const other = challenge.slice();
    other[0]! ^= 1;
    const bad = aaVerify(pub, other, sig);
    expect(!bad.ok && bad.error.code).toBe('AA_SIGNATURE_INVALID');
  });
});

// X9.62 Ecdsa-Sig-Value built by hand from r ‖ s.
function plainToDer(sig: Uint8Array): Buffer {
  const half = sig.length / 2;
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b[i]! & 0x80 ? Buffer.concat([Buffer.of(0), b.subarray(i)]) : Buffer.from(b.subarray(i));
    return Buffer.concat([Buffer.of(0x02, v.length), v]);
  };
  const body = Buffer.concat([int(sig.subarray(0, half)), int(sig.subarray(half))]);
  return Buffer.concat([body.length < 128 ? Buffer.of(0x30, body.length) : Buffer.of(0x30, 0x81, body.length), body]);
}

describe('ECDSA hash choice (9303-11 §6.1.2.3, ActiveAuthenticationInfo)', () => {
  const bp256 = domainParameters(13) as EcDomain;
  it('takes the hash from the signatureAlgorithm OID, else from the curve size', () => {
    expect(aaEcdsaHash(bp256, OID.ecdsaPlainSha256)).toBe('sha256');
    expect(aaEcdsaHash(bp256, OID.ecdsaPlainSha224)).toBe('sha224');
    expect(aaEcdsaHash(bp256, OID.ecdsaWithSha256)).toBe('sha256');
    expect(aaEcdsaHash(bp256)).toBe('sha256');
    expect(aaEcdsaHash(domainParameters(18) as EcDomain)).toBe('sha512');
  });
  it('refuses SHA-1, a hash longer than the key, and unknown OIDs', () => {
    expect(() => aaEcdsaHash(bp256, OID.ecdsaPlainSha1)).toThrow(expect.objectContaining({ code: 'AA_HASH_NOT_ALLOWED' }));
    expect(() => aaEcdsaHash(bp256, OID.ecdsaPlainSha512)).toThrow(expect.objectContaining({ code: 'AA_HASH_NOT_ALLOWED' }));
    expect(() => aaEcdsaHash(bp256, OID.sha256)).toThrow(expect.objectContaining({ code: 'AA_ALGORITHM_UNKNOWN' }));
  });
});

describe('hostile signatures never throw out of aaVerify', () => {
  it('random, empty, too long and ≥ n signatures give ok: false', () => {
    const n = PYMRTD_KEY.kind === 'rsa' ? PYMRTD_KEY.modulus : new Uint8Array();
    const cases = [new Uint8Array(), new Uint8Array(128), n, new Uint8Array(129).fill(0xff), new Uint8Array(1).fill(1)];
    for (let i = 0; i < 200; i++) cases.push(new Uint8Array(randomBytes(1 + (i % 130))));
    for (const sig of cases) {
      const r = aaVerify(PYMRTD_KEY, h('47E4EE7F211F7326'), sig);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toMatch(/^[A-Z0-9_]+$/);
    }
    const ec: AaPublicKey = { kind: 'ec', domain: domainParameters(13) as EcDomain, point: new Uint8Array(65).fill(4) };
    for (const sig of cases.slice(0, 50)) {
      const r = aaVerify(ec, h('47E4EE7F211F7326'), sig);
      expect(r.ok).toBe(false);
    }
  });
  it('a wrong-length challenge is programmer misuse: RangeError', () => {
    expect(() => aaVerify(PYMRTD_KEY, new Uint8Array(7), new Uint8Array(128))).toThrow(RangeError);
  });
});
