/**
 * PACE-CAM against ICAO 9303-11 (8th ed.) Appendix I.1 (ECDH-CAM, brainpoolP256r1, AES-128),
 * values from test/vectors/icao-worked-examples.md §2.5.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../src/lds/bytes.js';
import { ValidationError } from '../../../src/lds/errors.js';
import { domainParameters } from '../../../src/crypto/curves.js';
import {
  paceChipKeyAgreement,
  paceChipMap,
  paceChipMutualAuth,
  paceChipStart,
  paceTerminalFinish,
  paceTerminalKeyAgreement,
  paceTerminalMap,
  paceTerminalMutualAuth,
  paceTerminalStart,
  paceVerifyChipAuthenticationData,
  type PaceSetup,
} from '../../../src/crypto/pace.js';

const h = (s: string) => fromHex(s);
const up = (b: Uint8Array) => hex(b).toUpperCase();

const I1 = {
  setup: { protocol: '0.4.0.127.0.7.2.2.4.6.2', parameterId: 13, password: { kind: 'mrz', mrzInformation: 'C11T002JM496081222310314' } } as PaceSetup,
  z: 'CB60E8E0D85B76A9BD304747C2AD42E2',
  s: '658B860BC94DF6F044FCE6D5C82CF8E5',
  skMapIfd: '5D8BB87BD74D985A4B7D4325B9F7B976FE835122773400798914AA22738135CC',
  pkMapIfd: '047F1D410ADB7DDB3B84BF1030800981A9105D7457B4A3ADE002384F3086C67EDE1AB889104A27DB6D842B019020FBF3CEACB0DC627F7BDCAC29969E19D0E553C1',
  skMapIc: '9E56A6B59C95D06ECE5CD10F983BB2F4F1943528E577F23881D89D8C3BBEE0AA',
  pkMapIc: '04A234236AA9B9621E8EFB73B5245C0E09D2576E5277183C1208BDD55280CAE8B304F365713A356E65A451E165ECC9AC0AC46E3771342C8FE5AEDD092685338E23',
  gHat: '0489F0B5EABF3BE293C75903A3986131925C9F5B515CA95AF485DC7E886F03245D44BEFB2DD3A0DBD71CB5E618971CF4747F12B79E548379A40E45963BAAF3E829',
  skIfd: '76ECFDAA9841C323A3F5FC5E88B88DB3EFF7E35EBF57A7E6946CB630006C2120',
  pkIfd: '04446C934084D9DAB863944F219520076C29EE3F7AE6722B11FF319EC1C7728F955483400BFF60BF0C5929270009277DC2A515E12575010AD9BA916CF1BF86FEFC',
  skIc: 'CD626EF3C256E235FE8912CAC28279E626008EDA6B3A05C4CF862A3BDAB79E78',
  pkIc: '0402AD566F3C6EC7F9324509AD50A51FA52030782A4968FCFEDF737DAEA993333111C3B9B4C2287789BD137E7F8AA882E2A3C633CCD6ECC2C63C57AD401A09C2E1',
  ksEnc: '0A9DA4DB03BDDE39FC5202BC44B2E89E',
  ksMac: '4B1C06491ED5140CA2B537D344C6C0B1',
  tIfd: 'E86BD06018A1CD3B',
  tIc: '8596CF055C67C1A3',
  aIc: '1EEA964DAAE372AC990E3EFDE6333353BFC89A6704D93DA8798CF77F5B7A54BD10CBA372B42BE0B9B5F28AA8DE2F4F92',
  staticPk: '041872709494399E7470A6431BE25E83EEE24FEA568C2ED28DB48E05DB3A610DC884D256A40E35EFCB59BF6753D3A489D28C7A4D973C2DA138A6E7A4A08F68E16F',
  staticSk: '86C88A4579CE48135878E6348A734B5D47CE5BC1E54C0E8978687B49FDE2E2C2',
};

describe('ICAO 9303-11 App. I.1 — PACE ECDH-CAM, brainpoolP256r1, AES-128', () => {
  function terminalRun() {
    const m = paceTerminalMap(paceTerminalStart(I1.setup), h(I1.z), { mappingKey: h(I1.skMapIfd) });
    expect(up(m.mappingPublicKey)).toBe(I1.pkMapIfd);
    const a = paceTerminalKeyAgreement(m.state, h(I1.pkMapIc), { ephemeralKey: h(I1.skIfd) });
    expect(up(a.state.mappedGenerator!)).toBe(I1.gHat);
    expect(up(a.ephemeralPublicKey)).toBe(I1.pkIfd);
    const t = paceTerminalMutualAuth(a.state, h(I1.pkIc));
    expect(up(t.token)).toBe(I1.tIfd);
    return paceTerminalFinish(t.state, h(I1.tIc));
  }

  it('terminal side reproduces the keys and tokens and accepts A_IC against the static PK_IC', () => {
    const r = terminalRun();
    expect(up(r.ksEnc)).toBe(I1.ksEnc);
    expect(up(r.ksMac)).toBe(I1.ksMac);
    expect(() => paceVerifyChipAuthenticationData(r, domainParameters(13), h(I1.aIc), h(I1.staticPk))).not.toThrow();
  });

  it('terminal side rejects A_IC checked against another static key, or altered', () => {
    const r = terminalRun();
    const otherKey = h(I1.pkIfd);
    expect(() => paceVerifyChipAuthenticationData(r, domainParameters(13), h(I1.aIc), otherKey)).toThrow(ValidationError);
    const bad = h(I1.aIc);
    bad[5]! ^= 1;
    try {
      paceVerifyChipAuthenticationData(r, domainParameters(13), bad, h(I1.staticPk));
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toMatch(/PACE_CAM_INVALID|PADDING_INVALID/);
    }
    expect(() => paceVerifyChipAuthenticationData(r, domainParameters(13), bad.subarray(0, 40), h(I1.staticPk))).toThrow(
      expect.objectContaining({ code: 'PACE_CAM_DATA_LENGTH' }),
    );
  });

  it('chip side with the static SK_IC reproduces z, PK_map,IC, PK_IC, T_IC and A_IC', () => {
    const c0 = paceChipStart(I1.setup, { nonce: h(I1.s) });
    expect(up(c0.encryptedNonce)).toBe(I1.z);
    const m = paceChipMap(c0.state, h(I1.pkMapIfd), { mappingKey: h(I1.skMapIc) });
    expect(up(m.mappingPublicKey)).toBe(I1.pkMapIc);
    const a = paceChipKeyAgreement(m.state, h(I1.pkIfd), { ephemeralKey: h(I1.skIc) });
    expect(up(a.ephemeralPublicKey)).toBe(I1.pkIc);
    const f = paceChipMutualAuth(a.state, h(I1.tIfd), { chipAuthenticationKey: h(I1.staticSk) });
    expect(up(f.token)).toBe(I1.tIc);
    expect(up(f.encryptedChipAuthenticationData!)).toBe(I1.aIc);
  });
});
