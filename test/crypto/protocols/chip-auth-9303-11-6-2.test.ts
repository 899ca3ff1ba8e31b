/**
 * Chip Authentication v1 (ICAO 9303-11 (8th ed.) §6.2) against the real passport traces of
 * test/vectors/icao-worked-examples.md §5.3 (gmrtd chipauth tests: AT, DE, MY, FR) —
 * the chip static keys are the DG14 keys of those traces — plus both roles against each other,
 * with the shared secret checked independently through Node's ECDH / BigInt arithmetic.
 */
import { createECDH, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../src/lds/bytes.js';
import { ParseError, ValidationError } from '../../../src/lds/errors.js';
import {
  caChip,
  caTerminal,
  chipAuthProtocol,
  decodeCaGeneralAuthenticate,
  decodeCaGeneralAuthenticateResponse,
  decodeCaMseSetAt,
  decodeCaMseSetKat,
  encodeCaGeneralAuthenticate,
  encodeCaGeneralAuthenticateResponse,
  encodeCaMseSetAt,
  encodeCaMseSetKat,
  impliedChipAuthProtocol,
} from '../../../src/crypto/chip-auth.js';
import { domainParameters, ecDomainByParameters, i2os, os2i, type DhDomain } from '../../../src/crypto/curves.js';

const h = (s: string) => fromHex(s);
const low = (b: Uint8Array) => hex(b);
const BP256 = domainParameters(13);
const P256 = domainParameters(12);

describe('real traces (gmrtd chip_auth_test.go)', () => {
  it('AT: id-CA-ECDH-AES-CBC-CMAC-128 on explicit brainpoolP256r1 parameters', () => {
    // The explicit ECParameters of the AT DG14 resolve to Table 12 id 13.
    const dom = ecDomainByParameters({
      p: os2i(h('A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377')),
      a: os2i(h('7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9')),
      b: os2i(h('26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6')),
      gx: os2i(h('8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262')),
      gy: os2i(h('547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997')),
      n: os2i(h('A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7')),
      h: 1n,
    });
    expect(dom?.id).toBe(13);
    const protocol = chipAuthProtocol('0.4.0.127.0.7.2.2.3.2.2');
    const r = caTerminal(
      protocol,
      dom!,
      h('041983917269AC877C0B61544C2C022000D2A5ABA723E2D80141E648B40911DC3459761F27480E4B57181A53D8FE1190EA86C939AC14363178CAFFC621F0F905C3'),
      { ephemeralKey: h('80EBAFC8A51BECD4D90BB640EE38C9FD5C12748D28AAA37096B98C4533C4F5F5') },
    );
    const pkIfd =
      '044827C781BE1AC7A00B351214FD783AC76D99E831A6316C8FD6DE7BD96CFA31DA06B6B57BA380789729F4A028212A768C49BF5F97D98B1DB12BEEC1A1CD324FB2';
    expect(hex(r.ephemeralPublicKey).toUpperCase()).toBe(pkIfd);
    expect(hex(r.keys.ksEnc).toUpperCase()).toBe('C8E27260EFD3F318D18C080CBF11C7E6');
    expect(hex(r.keys.ksMac).toUpperCase()).toBe('A942190365204A21409EB28B52BF9160');
    expect(hex(encodeCaMseSetAt(protocol.oid)).toUpperCase()).toBe('800A04007F00070202030202');
    expect(hex(encodeCaGeneralAuthenticate(r.ephemeralPublicKey)).toUpperCase()).toBe('7C438041' + pkIfd);
  });

  it('DE: AES-128 with key id C3 in MSE:Set AT', () => {
    const protocol = chipAuthProtocol('0.4.0.127.0.7.2.2.3.2.2');
    const r = caTerminal(
      protocol,
      BP256,
      h('047036BC5D0BCF31913B59103BB6F2C0C98C99EF4C19B9517340B76BFE4EE2194C76C3F3314E021D4B092DB5A32AB7D6E297F2FBEAE45AA28DEFC4DA750FEAD54E'),
      { ephemeralKey: h('84A5145885678EE9307C28C52736896267511203B7B8009C5FE27ABCBAECDCAA') },
    );
    expect(hex(r.ephemeralPublicKey).toUpperCase()).toBe(
      '04897FA47C895D35949A8DB8F776A62D775BDF764A1AA1BDC2D8FC96CD5C2E80E39F631C67E84364DCF85F5C9F8CE79A752071896819A0D510CF9701652486817C',
    );
    expect(hex(r.keys.ksEnc).toUpperCase()).toBe('AF0EEDB52E87B945FC5503B1C6875C1C');
    expect(hex(r.keys.ksMac).toUpperCase()).toBe('CEB85BEDCECFF1DD1E25DFB672C4A5BF');
    expect(hex(encodeCaMseSetAt(protocol.oid, 0xc3)).toUpperCase()).toBe('800A04007F000702020302028401C3');
    const parsed = decodeCaMseSetAt(h('800A04007F000702020302028401C3'));
    expect(parsed.protocol.cipher).toBe('AES-128');
    expect(parsed.keyId).toBe(0xc3);
  });

  it('MY: id-CA-ECDH-3DES-CBC-CBC, parity-adjusted 3DES session keys', () => {
    const r = caTerminal(
      chipAuthProtocol('0.4.0.127.0.7.2.2.3.2.1'),
      BP256,
      h('04A04F85AFDFC316FB5E9F33F94CA45837D20D9D91AD5002307C3F124B6EF5B92565D018A6B7F69DB73976BFBB4278757405C64E96104D161649E8A94078EAEFCE'),
      { ephemeralKey: h('3a31f4e18418312fcb40f3efbe719182c046a9719e1ed8c376197aa9e8ed7465') },
    );
    expect(low(r.ephemeralPublicKey)).toBe(
      '043da6d3b923689b96aa65d744f1bd1537fcf1f8a5dd9bc6b01d7b30fc1812645b510cb66bed899c67a802a7881313e4bca87055cde3cf615efdbadbb64bc32462',
    );
    expect(low(r.keys.ksEnc)).toBe('75b95468910849cdf1a1a2ae5452ce9b');
    expect(low(r.keys.ksMac)).toBe('cd0bef85d5a82a7ae0fbc12368a41fef');
  });

  it('FR: no ChipAuthenticationInfo → 3DES implied from id-PK-ECDH; P-256; MSE:Set KAT data', () => {
    const protocol = impliedChipAuthProtocol('0.4.0.127.0.7.2.2.1.2');
    expect(protocol.oid).toBe('0.4.0.127.0.7.2.2.3.2.1');
    const r = caTerminal(
      protocol,
      P256,
      h('048367FC170D90AD53A28C6526A9C7EC4F5C59C4F7F5D992583F951A1654B4D1D6332163A33D82CBF245154887A8812ED9A55C15AD9D5C5C463851875BBA9AEABD'),
      { ephemeralKey: h('d9c3b06a4dcb735351429403fcb56db520dc882512d775971f724d6112f96586') },
    );
    const pkIfd = '04334f809c8842a4c9316c19e52a0d6ea0285996c40ff6db303cef72099198c8ad5d6b46e93482de899533d06eac54c289df5aa1436a846fb9154100c5322439ea';
    expect(low(r.ephemeralPublicKey)).toBe(pkIfd);
    expect(low(r.keys.ksEnc)).toBe('8ae910a12991fbfe5e37c2c726a2df29');
    expect(low(r.keys.ksMac)).toBe('1adac8970843d9bf8570737a04a8d50d');
    expect(low(encodeCaMseSetKat(r.ephemeralPublicKey))).toBe('9141' + pkIfd);
    expect(low(decodeCaMseSetKat(h('9141' + pkIfd)).ephemeralPublicKey)).toBe(pkIfd);
  });
});

describe('both roles agree; the shared secret matches an independent computation', () => {
  it('ECDH on P-256 with AES-256: chip keys = terminal keys = KDF over Node ECDH secret', () => {
    const chip = createECDH('prime256v1');
    chip.generateKeys();
    const protocol = chipAuthProtocol('0.4.0.127.0.7.2.2.3.2.4');
    const t = caTerminal(protocol, P256, new Uint8Array(chip.getPublicKey()));
    const c = caChip(protocol, P256, new Uint8Array(chip.getPrivateKey()), t.ephemeralPublicKey);
    const k = chip.computeSecret(Buffer.from(t.ephemeralPublicKey));
    const sha256 = (ctr: number) => createHash('sha256').update(k).update(Buffer.of(0, 0, 0, ctr)).digest('hex');
    expect(low(t.keys.ksEnc)).toBe(sha256(1));
    expect(low(t.keys.ksMac)).toBe(sha256(2));
    expect(low(c.ksEnc)).toBe(low(t.keys.ksEnc));
    expect(low(c.ksMac)).toBe(low(t.keys.ksMac));
  });

  it('DH on the RFC 5114 2048/256 group with AES-128: K = PK_IC^SK_IFD mod p', () => {
    const dom = domainParameters(2) as DhDomain;
    const modPow = (b: bigint, e: bigint, m: bigint) => {
      let r = 1n;
      for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
      return r;
    };
    const skIc = 0x1234567890abcdef1234567890abcdef1234567890abcdefn;
    const pkIc = i2os(modPow(dom.g, skIc, dom.p), dom.length);
    const skIfd = 0xfedcba0987654321fedcba0987654321n;
    const protocol = chipAuthProtocol('0.4.0.127.0.7.2.2.3.1.2');
    const t = caTerminal(protocol, dom, pkIc, { ephemeralKey: i2os(skIfd, 16) });
    expect(os2i(t.ephemeralPublicKey)).toBe(modPow(dom.g, skIfd, dom.p));
    const k = i2os(modPow(os2i(pkIc), skIfd, dom.p), dom.length);
    const sha1 = (ctr: number) => createHash('sha1').update(k).update(Buffer.of(0, 0, 0, ctr)).digest('hex').slice(0, 32);
    expect(low(t.keys.ksEnc)).toBe(sha1(1));
    expect(low(t.keys.ksMac)).toBe(sha1(2));
    const c = caChip(protocol, dom, i2os(skIc, 24), t.ephemeralPublicKey);
    expect(low(c.ksEnc)).toBe(sha1(1));
  });
});

describe('hostile input', () => {
  const protocol = chipAuthProtocol('0.4.0.127.0.7.2.2.3.2.2');
  const good = h('047036BC5D0BCF31913B59103BB6F2C0C98C99EF4C19B9517340B76BFE4EE2194C76C3F3314E021D4B092DB5A32AB7D6E297F2FBEAE45AA28DEFC4DA750FEAD54E');

  it('a chip key off the curve, compressed or truncated is a typed error naming the step', () => {
    const off = good.slice();
    off[64]! ^= 1;
    expect(() => caTerminal(protocol, BP256, off)).toThrow(expect.objectContaining({ code: 'EC_POINT_INVALID' }));
    expect(() => caTerminal(protocol, BP256, good.subarray(0, 33))).toThrow(ParseError);
    const compressed = Uint8Array.of(0x02, ...good.subarray(1, 33));
    expect(() => caTerminal(protocol, BP256, compressed)).toThrow(expect.objectContaining({ code: 'EC_POINT_ENCODING' }));
    try {
      caChip(protocol, BP256, h('01'), off);
      expect.unreachable();
    } catch (e) {
      expect((e as ValidationError).place.step).toBe('Chip Authentication');
    }
  });

  it('DH values 0, 1, p − 1 and outside the subgroup are refused', () => {
    const dom = domainParameters(0) as DhDomain;
    const dhProto = chipAuthProtocol('0.4.0.127.0.7.2.2.3.1.1');
    for (const y of [0n, 1n, dom.p - 1n, dom.p, 2n]) {
      expect(() => caChip(dhProto, dom, h('05'), i2os(y, dom.length))).toThrow(
        expect.objectContaining({ code: expect.stringMatching(/^DH_VALUE_(INVALID|ENCODING)$/) }),
      );
    }
  });

  it('protocol and parameter mismatches are ValidationErrors', () => {
    expect(() => chipAuthProtocol('0.4.0.127.0.7.2.2.3.2.9')).toThrow(expect.objectContaining({ code: 'CA_PROTOCOL_UNKNOWN' }));
    expect(() => caTerminal(chipAuthProtocol('0.4.0.127.0.7.2.2.3.1.2'), BP256, good)).toThrow(
      expect.objectContaining({ code: 'CA_PARAMETERS_MISMATCH' }),
    );
  });

  it('malformed command and response data are ParseErrors', () => {
    expect(() => decodeCaMseSetKat(h('9141'))).toThrow(ParseError);
    expect(() => decodeCaMseSetKat(h('8001AA'))).toThrow(expect.objectContaining({ code: 'AUTH_DATA_UNEXPECTED_OBJECT' }));
    expect(() => decodeCaMseSetAt(h('840101'))).toThrow(expect.objectContaining({ code: 'AUTH_DATA_MISSING_OBJECT' }));
    expect(() => decodeCaMseSetAt(h('800A04007F00070202030202840500000000C3'))).toThrow(
      expect.objectContaining({ code: 'CA_KEY_ID_LENGTH' }),
    );
    expect(() => decodeCaGeneralAuthenticate(h('7C03800104FF'))).toThrow(expect.objectContaining({ code: 'TLV_TRAILING_BYTES' }));
    expect(() => decodeCaGeneralAuthenticate(h('7D03800104'))).toThrow(expect.objectContaining({ code: 'TLV_UNEXPECTED_TAG' }));
    expect(low(decodeCaGeneralAuthenticate(encodeCaGeneralAuthenticate(good)))).toBe(low(good));
    expect(low(encodeCaGeneralAuthenticateResponse())).toBe('7c00');
    expect(() => decodeCaGeneralAuthenticateResponse(h('7C00'))).not.toThrow();
    expect(() => decodeCaGeneralAuthenticateResponse(h('7C03800100'))).toThrow(ParseError);
  });
});
