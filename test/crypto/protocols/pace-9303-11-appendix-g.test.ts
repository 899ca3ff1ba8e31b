/**
 * PACE Generic Mapping against ICAO 9303-11 (8th ed.) Appendix G.1 (ECDH, brainpoolP256r1) and
 * G.2 (DH, RFC 5114 1024/160), both roles, and the real New Zealand 3DES trace — every value
 * from test/vectors/icao-worked-examples.md §2.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../src/lds/bytes.js';
import { paceChipKeyAgreement, paceChipMap, paceChipMutualAuth, paceChipStart, paceTerminalFinish, paceTerminalKeyAgreement, paceTerminalMap, paceTerminalMutualAuth, paceTerminalStart, type PaceSetup } from '../../../src/crypto/pace.js';
import { decodeAuthData, encodeAuthData, encodePaceMseSetAt, PACE_GA } from '../../../src/crypto/pace-apdu.js';

const h = (s: string) => fromHex(s);
const up = (b: Uint8Array) => hex(b).toUpperCase();

const G1 = {
  setup: { protocol: '0.4.0.127.0.7.2.2.4.2.2', parameterId: 13, password: { kind: 'mrz', mrzInformation: 'T22000129364081251010318' } } as PaceSetup,
  z: '95A3A016522EE98D01E76CB6B98B42C3',
  s: '3F00C4D39D153F2B2A214A078D899B22',
  skMapIfd: '7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99',
  pkMapIfd: '047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D',
  skMapIc: '498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560',
  pkMapIc: '04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54',
  gHat: '048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E28C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522',
  skIfd: 'A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595',
  pkIfd: '042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462',
  skIc: '107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A',
  pkIc: '049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094',
  ksEnc: 'F5F0E35C0D7161EE6724EE513A0D9A7F',
  ksMac: 'FE251C7858B356B24514B3BD5F4297D1',
  tIfd: 'C2B0BD78D94BA866',
  tIc: '3ABB9674BCE93C08',
};

describe('ICAO 9303-11 App. G.1 — PACE ECDH-GM, brainpoolP256r1, AES-128', () => {
  it('terminal side reproduces PK_map,IFD, Ĝ, PK_IFD, KSenc/KSmac and T_IFD, and accepts T_IC', () => {
    const s0 = paceTerminalStart(G1.setup);
    const m = paceTerminalMap(s0, h(G1.z), { mappingKey: h(G1.skMapIfd) });
    expect(up(m.mappingPublicKey)).toBe(G1.pkMapIfd);
    const a = paceTerminalKeyAgreement(m.state, h(G1.pkMapIc), { ephemeralKey: h(G1.skIfd) });
    expect(up(a.state.mappedGenerator!)).toBe(G1.gHat);
    expect(up(a.ephemeralPublicKey)).toBe(G1.pkIfd);
    const t = paceTerminalMutualAuth(a.state, h(G1.pkIc));
    expect(up(t.token)).toBe(G1.tIfd);
    const r = paceTerminalFinish(t.state, h(G1.tIc));
    expect(up(r.ksEnc)).toBe(G1.ksEnc);
    expect(up(r.ksMac)).toBe(G1.ksMac);
    expect(up(r.chipEphemeralPublicKey)).toBe(G1.pkIc);
  });

  it('chip side reproduces z, PK_map,IC, PK_IC and T_IC', () => {
    const c0 = paceChipStart(G1.setup, { nonce: h(G1.s) });
    expect(up(c0.encryptedNonce)).toBe(G1.z);
    const m = paceChipMap(c0.state, h(G1.pkMapIfd), { mappingKey: h(G1.skMapIc) });
    expect(up(m.mappingPublicKey)).toBe(G1.pkMapIc);
    expect(up(m.state.mappedGenerator!)).toBe(G1.gHat);
    const a = paceChipKeyAgreement(m.state, h(G1.pkIfd), { ephemeralKey: h(G1.skIc) });
    expect(up(a.ephemeralPublicKey)).toBe(G1.pkIc);
    const f = paceChipMutualAuth(a.state, h(G1.tIfd));
    expect(up(f.token)).toBe(G1.tIc);
    expect(up(f.result.ksEnc)).toBe(G1.ksEnc);
    expect(up(f.result.ksMac)).toBe(G1.ksMac);
  });

  it('encodes the MSE:Set AT data and the four GENERAL AUTHENTICATE data fields of the trace', () => {
    expect(up(encodePaceMseSetAt({ protocol: G1.setup.protocol, password: 'mrz' }))).toBe('800A04007F00070202040202830101');
    expect(up(encodePaceMseSetAt({ protocol: G1.setup.protocol, password: 'mrz', parameterId: 13 }))).toBe(
      '800A04007F0007020204020283010184010D',
    );
    expect(up(encodeAuthData([]))).toBe('7C00');
    expect(up(decodeAuthData(h('7C12801095A3A016522EE98D01E76CB6B98B42C3'), PACE_GA.nonceResponse!)[0x80]!)).toBe(G1.z);
    expect(up(encodeAuthData([[0x81, h(G1.pkMapIfd)]]))).toBe('7C438141' + G1.pkMapIfd);
    expect(up(decodeAuthData(h('7C438241' + G1.pkMapIc), PACE_GA.mapResponse!)[0x82]!)).toBe(G1.pkMapIc);
    expect(up(encodeAuthData([[0x83, h(G1.pkIfd)]]))).toBe('7C438341' + G1.pkIfd);
    expect(up(encodeAuthData([[0x85, h(G1.tIfd)]]))).toBe('7C0A8508' + G1.tIfd);
    expect(up(decodeAuthData(h('7C0A86083ABB9674BCE93C08'), PACE_GA.mutualAuthResponse!)[0x86]!)).toBe(G1.tIc);
  });
});

const G2 = {
  setup: { protocol: '0.4.0.127.0.7.2.2.4.1.2', parameterId: 0, password: G1.setup.password } as PaceSetup,
  z: '854D8DF5827FA6852D1A4FA701CDDDCA',
  s: 'FA5B7E3E49753A0DB9178B7B9BD898C8',
  skMapIfd: '5265030F751F4AD18B08AC565FC7AC952E41618D',
  pkMapIfd:
    '23FB3749EA030D2A25B278D2A562047ADE3F01B74F17A15402CB7352CA7D2B3EB71C343DB13D1DEBCE9A3666DBCFC920B49174A602CB47965CAA73DC702489A44D41DB914DE9613DC5E98C94160551C0DF86274B9359BC0490D01B03AD54022DCB4F57FAD6322497D7A1E28D46710F461AFE710FBBBC5F8BA166F4311975EC6C',
  skMapIc: '66DDAFEAC1609CB5B963BB0CB3FF8B3E047F336C',
  pkMapIc:
    '78879F57225AA8080D52ED0FC890A4B25336F699AA89A2D3A189654AF70729E623EA5738B26381E4DA19E004706FACE7B235C2DBF2F38748312F3C98C2DD4882A41947B324AA1259AC22579DB93F7085655AF30889DBB845D9E6783FE42C9F2449400306254C8AE8EE9DD812A804C0B66E8CAFC14F84D8258950A91B44126EE6',
  gHat: '7C9CBFE98F9FBDDA8D143506FA7D9306F4CB17E3C71707AFF5E1C1A12370249684D64EE37AF44B8DBD9D45BF6023919CBAA027AB97ACC771666C8E98FF483301BFA4872DEDE9034EDFACB70814166B7F360676829B826BEA57291B5AD69FBC84EF1E779032A305803F74341793E869742D401325B37EE8565FFCDEE618342DC5',
  skIfd: '89CCD99B0E8D3B1F11E1296DCA68EC53411CF2CA',
  skIfdJmrtd:
    '4BD0E54740F9A028E6A515BFDAF967848C4F5F5FFF65AA0915947FFD1A0DF2FA6981271BC905F3551457B7E03AC3B8066DE4AA406C1171FB43DD939C4BA16175103BA3DEE16419AA248118F90CC36A3D6F4C373652E0C3CCE7F0F1D0C5425B3600F0F0D6A67F004C8BBA33F2B4733C7252445C1DFC4F1107203F71D2EFB28161',
  pkIfd:
    '907D89E2D425A178AA81AF4A7774EC8E388C115CAE67031E85EECE520BD911551B9AE4D04369F29A02626C86FBC6747CC7BC352645B6161A2A42D44EDA80A08FA8D61B76D3A154AD8A5A51786B0BC07147057871A922212C5F67F43173172236B7747D1671E6D692A3C7D40A0C3C5CE397545D015C175EB5130551EDBC2EE5D4',
  skIc: 'A5B780126B7C980E9FCEA1D4539DA1D27C342DFA',
  pkIc: '075693D9AE941877573E634B6E644F8E60AF17A0076B8B123D9201074D36152BD8B3A213F53820C42ADC79AB5D0AEEC3AEFB91394DA476BD97B9B14D0A65C1FC71A0E019CB08AF55E1F729005FBA7E3FA5DC41899238A250767A6D46DB974064386CD456743585F8E5D90CC8B4004B1F6D866C79CE0584E49687FF61BC29AEA1',
  ksEnc: '2F7F46ADCC9E7E521B45D192FAFA9126',
  ksMac: '805A1D27D45A5116F73C54469462B7D8',
  tIfd: 'B46DD9BD4D98381F',
  tIc: '917F37B5C0E6D8D1',
};

describe('ICAO 9303-11 App. G.2 — PACE DH-GM, RFC 5114 1024/160, AES-128', () => {
  it('terminal side reproduces every value', () => {
    const m = paceTerminalMap(paceTerminalStart(G2.setup), h(G2.z), { mappingKey: h(G2.skMapIfd) });
    expect(up(m.mappingPublicKey)).toBe(G2.pkMapIfd);
    const a = paceTerminalKeyAgreement(m.state, h(G2.pkMapIc), { ephemeralKey: h(G2.skIfd) });
    expect(up(a.state.mappedGenerator!)).toBe(G2.gHat);
    expect(up(a.ephemeralPublicKey)).toBe(G2.pkIfd);
    const t = paceTerminalMutualAuth(a.state, h(G2.pkIc));
    expect(up(t.token)).toBe(G2.tIfd);
    const r = paceTerminalFinish(t.state, h(G2.tIc));
    expect(up(r.ksEnc)).toBe(G2.ksEnc);
    expect(up(r.ksMac)).toBe(G2.ksMac);
  });

  it("JMRTD's 1024-bit SK_IFD (≡ SK_IFD mod q) gives the same PK_IFD", () => {
    const m = paceTerminalMap(paceTerminalStart(G2.setup), h(G2.z), { mappingKey: h(G2.skMapIfd) });
    const a = paceTerminalKeyAgreement(m.state, h(G2.pkMapIc), { ephemeralKey: h(G2.skIfdJmrtd) });
    expect(up(a.ephemeralPublicKey)).toBe(G2.pkIfd);
  });

  it('chip side reproduces z, PK_map,IC, PK_IC and T_IC', () => {
    const c0 = paceChipStart(G2.setup, { nonce: h(G2.s) });
    expect(up(c0.encryptedNonce)).toBe(G2.z);
    const m = paceChipMap(c0.state, h(G2.pkMapIfd), { mappingKey: h(G2.skMapIc) });
    expect(up(m.mappingPublicKey)).toBe(G2.pkMapIc);
    const a = paceChipKeyAgreement(m.state, h(G2.pkIfd), { ephemeralKey: h(G2.skIc) });
    expect(up(a.ephemeralPublicKey)).toBe(G2.pkIc);
    const f = paceChipMutualAuth(a.state, h(G2.tIfd));
    expect(up(f.token)).toBe(G2.tIc);
  });

  it('encodes the GA #2 command data with a 128-byte DO 81 and decodes the GA #4 response with a CAR', () => {
    expect(up(encodeAuthData([[0x81, h(G2.pkMapIfd)]]))).toBe('7C8183818180' + G2.pkMapIfd);
    const resp = decodeAuthData(h('7C1B8608917F37B5C0E6D8D1870F444554455354435643413030303033'), PACE_GA.mutualAuthResponse!);
    expect(up(resp[0x86]!)).toBe(G2.tIc);
    expect(Buffer.from(resp[0x87]!).toString('latin1')).toBe('DETESTCVCA00003');
  });
});

describe('real trace: PACE ECDH-GM 3DES (New Zealand passport, gmrtd)', () => {
  const setup: PaceSetup = {
    protocol: '0.4.0.127.0.7.2.2.4.2.1',
    parameterId: 13,
    password: { kind: 'mrz', mrzInformation: 'LM277954<178121452711151' },
  };
  it('terminal side reproduces KSenc, KSmac and the retail-MAC tokens', () => {
    const m = paceTerminalMap(paceTerminalStart(setup), h('b88382812290017af1cc906ff00e7f4d'), {
      mappingKey: h('2808272c0ec20e01a3450030ef32855e9feb5cb17719e985389b1cf47609e69f'),
    });
    const a = paceTerminalKeyAgreement(
      m.state,
      h('04780b4edec9b926f9f964fad826d9990a667608d96ba7b397ae8609b6533e0d036d148365ddf4e5ff6611c2b62aa17fc9899f327bc929db543e7abd0ee724e4be'),
      { ephemeralKey: h('8f89449052df6c7983750c7b042c3cea12b36819174424c7cd28153f7b70b402') },
    );
    const t = paceTerminalMutualAuth(
      a.state,
      h('042dbaf62e6fdfb31eb66f206493b9e7721586f0e5c93754d7bd5a884ca251ee4d720ab539a60561bc46812fa289b58ac69f0c6e32adbaf7241049a31211f80f5b'),
    );
    expect(hex(t.token)).toBe('8d7c617d43efe09e');
    const r = paceTerminalFinish(t.state, h('cb57047c809079f6'));
    expect(hex(r.ksEnc)).toBe('430e4c8c38dfefaed92067b919a897f8');
    expect(hex(r.ksMac)).toBe('c1bc1f075797b970b5a45e64a764b0cb');
  });
});
