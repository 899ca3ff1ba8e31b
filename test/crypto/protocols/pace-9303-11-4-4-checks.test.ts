/**
 * The checks ICAO 9303-11 (8th ed.) §4.4 demands of PACE, and hostile input: malformed 7C data
 * (§4.4.4.2), points off the curve, equal ephemeral keys (§4.4.3.3.2 / §4.4.3.4), wrong or
 * wrong-length tokens, a wrong password — plus chip ↔ terminal runs on parameter ids 0, 2, 12,
 * 15, 16 with 3DES and AES-128/192/256, whose session keys must agree.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../src/lds/bytes.js';
import { CancuocError, ParseError, ValidationError } from '../../../src/lds/errors.js';
import { PACE_PROTOCOLS, paceChipKeyAgreement, paceChipMap, paceChipMutualAuth, paceChipStart, paceProtocol, paceTerminalFinish, paceTerminalKeyAgreement, paceTerminalMap, paceTerminalMutualAuth, paceTerminalStart, type PaceSetup } from '../../../src/crypto/pace.js';
import { decodeAuthData, decodePaceMseSetAt, encodePaceMseSetAt, PACE_GA } from '../../../src/crypto/pace-apdu.js';

const h = (s: string) => fromHex(s);
const can = (c: string) => ({ kind: 'can', can: c }) as const;

function run(chipSetup: PaceSetup, terminalSetup: PaceSetup = chipSetup) {
  const c0 = paceChipStart(chipSetup);
  const t1 = paceTerminalMap(paceTerminalStart(terminalSetup), c0.encryptedNonce);
  const c1 = paceChipMap(c0.state, t1.mappingPublicKey);
  const t2 = paceTerminalKeyAgreement(t1.state, c1.mappingPublicKey);
  const c2 = paceChipKeyAgreement(c1.state, t2.ephemeralPublicKey);
  const t3 = paceTerminalMutualAuth(t2.state, c2.ephemeralPublicKey);
  const c3 = paceChipMutualAuth(c2.state, t3.token);
  const result = paceTerminalFinish(t3.state, c3.token);
  return { chip: c3.result, terminal: result };
}

describe('chip ↔ terminal runs', () => {
  it.each([
    ['0.4.0.127.0.7.2.2.4.2.1', 12],
    ['0.4.0.127.0.7.2.2.4.2.2', 15],
    ['0.4.0.127.0.7.2.2.4.2.3', 16],
    ['0.4.0.127.0.7.2.2.4.2.4', 13],
    ['0.4.0.127.0.7.2.2.4.1.1', 0],
    ['0.4.0.127.0.7.2.2.4.1.4', 2],
  ])('%s with parameter id %i: same session keys on both sides', (protocol, parameterId) => {
    const { chip, terminal } = run({ protocol, parameterId, password: can('123456') });
    const len = { '3DES': 16, 'AES-128': 16, 'AES-192': 24, 'AES-256': 32 }[terminal.cipher];
    expect(terminal.ksEnc.length).toBe(len);
    expect(hex(chip.ksEnc)).toBe(hex(terminal.ksEnc));
    expect(hex(chip.ksMac)).toBe(hex(terminal.ksMac));
    expect(hex(chip.chipEphemeralPublicKey)).toBe(hex(terminal.chipEphemeralPublicKey));
  });

  it('a wrong password fails at the token check with PACE_TOKEN_INVALID', () => {
    const setup: PaceSetup = { protocol: '0.4.0.127.0.7.2.2.4.2.2', parameterId: 13, password: can('123456') };
    expect(() => run(setup, { ...setup, password: can('654321') })).toThrow(expect.objectContaining({ code: 'PACE_TOKEN_INVALID' }));
  });
});

const setup: PaceSetup = { protocol: '0.4.0.127.0.7.2.2.4.2.2', parameterId: 13, password: can('123456') };

describe('§4.4 checks', () => {
  function toAgree() {
    const c0 = paceChipStart(setup);
    const t1 = paceTerminalMap(paceTerminalStart(setup), c0.encryptedNonce);
    const c1 = paceChipMap(c0.state, t1.mappingPublicKey);
    const t2 = paceTerminalKeyAgreement(t1.state, c1.mappingPublicKey);
    return { c1, t2 };
  }

  it('the terminal refuses a chip ephemeral key equal to its own', () => {
    const { t2 } = toAgree();
    expect(() => paceTerminalMutualAuth(t2.state, t2.ephemeralPublicKey)).toThrow(
      expect.objectContaining({ code: 'PACE_EPHEMERAL_KEYS_EQUAL' }),
    );
  });

  it('a mapping or ephemeral point off the curve is a ValidationError naming the step', () => {
    const { c1, t2 } = toAgree();
    const off = c1.mappingPublicKey.slice();
    off[10]! ^= 1;
    const t1 = paceTerminalMap(paceTerminalStart(setup), paceChipStart(setup).encryptedNonce);
    try {
      paceTerminalKeyAgreement(t1.state, off);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).code).toBe('EC_POINT_INVALID');
      expect((e as ValidationError).place.step).toBe('PACE map');
    }
    const bad = t2.ephemeralPublicKey.slice();
    bad[64]! ^= 1;
    expect(() => paceChipKeyAgreement(c1.state, bad)).toThrow(expect.objectContaining({ code: 'EC_POINT_INVALID' }));
    expect(() => paceChipMap(paceChipStart(setup).state, new Uint8Array(65))).toThrow(CancuocError);
  });

  it('wrong, short and long tokens are refused', () => {
    const c0 = paceChipStart(setup);
    const t1 = paceTerminalMap(paceTerminalStart(setup), c0.encryptedNonce);
    const c1 = paceChipMap(c0.state, t1.mappingPublicKey);
    const t2 = paceTerminalKeyAgreement(t1.state, c1.mappingPublicKey);
    const c2 = paceChipKeyAgreement(c1.state, t2.ephemeralPublicKey);
    const t3 = paceTerminalMutualAuth(t2.state, c2.ephemeralPublicKey);
    const flipped = t3.token.slice();
    flipped[7]! ^= 1;
    for (const tok of [flipped, t3.token.subarray(0, 7), new Uint8Array([...t3.token, 0]), new Uint8Array()]) {
      expect(() => paceChipMutualAuth(c2.state, tok)).toThrow(expect.objectContaining({ code: 'PACE_TOKEN_INVALID' }));
    }
    const c3 = paceChipMutualAuth(c2.state, t3.token);
    expect(() => paceTerminalFinish(t3.state, c3.token.subarray(1))).toThrow(expect.objectContaining({ code: 'PACE_TOKEN_INVALID' }));
    expect(paceTerminalFinish(t3.state, c3.token).cipher).toBe('AES-128');
  });

  it('an encrypted nonce that is not whole blocks is a ParseError', () => {
    for (const z of [new Uint8Array(), new Uint8Array(15), new Uint8Array(17)]) {
      expect(() => paceTerminalMap(paceTerminalStart(setup), z)).toThrow(expect.objectContaining({ code: 'PACE_NONCE_LENGTH' }));
    }
  });

  it('protocol, mapping and parameter checks', () => {
    expect(PACE_PROTOCOLS.length).toBe(19);
    expect(paceProtocol('0.4.0.127.0.7.2.2.4.6.4')).toMatchObject({ mapping: 'CAM', agreement: 'ECDH', cipher: 'AES-256' });
    expect(() => paceProtocol('0.4.0.127.0.7.2.2.4.6.1')).toThrow(expect.objectContaining({ code: 'PACE_PROTOCOL_UNKNOWN' }));
    expect(() => paceTerminalStart({ ...setup, protocol: '0.4.0.127.0.7.2.2.4.4.2' })).toThrow(
      expect.objectContaining({ code: 'PACE_MAPPING_UNSUPPORTED' }),
    );
    expect(() => paceTerminalStart({ ...setup, parameterId: 0 })).toThrow(expect.objectContaining({ code: 'PACE_PARAMETERS_MISMATCH' }));
    expect(() => paceTerminalStart({ ...setup, parameterId: 5 })).toThrow(expect.objectContaining({ code: 'DOMAIN_PARAMETERS_UNKNOWN' }));
  });

  it('steps refuse states of the wrong role or step (programmer misuse)', () => {
    const t0 = paceTerminalStart(setup);
    expect(() => paceChipMap(t0, new Uint8Array(65))).toThrow(TypeError);
    expect(() => paceTerminalFinish(t0, new Uint8Array(8))).toThrow(TypeError);
    expect(() => paceTerminalMap({ ...t0 }, new Uint8Array(16))).toThrow(TypeError);
  });

  it('the state object carries no secrets', () => {
    const t1 = paceTerminalMap(paceTerminalStart(setup), paceChipStart(setup).encryptedNonce);
    expect(Object.keys(t1.state).sort()).toEqual(['domain', 'mappingPublicKey', 'protocol', 'role', 'step']);
    expect(Object.isFrozen(t1.state)).toBe(true);
  });
});

describe('GENERAL AUTHENTICATE and MSE:Set AT data (§4.4.4)', () => {
  it('malformed 7C data gives ParseErrors with stable codes and offsets', () => {
    const cases: [string, string][] = [
      ['7D00', 'TLV_UNEXPECTED_TAG'],
      ['7C12801095A3A016522EE98D01E76CB6B98B42', 'TLV_TRUNCATED'],
      ['7C0480030102', 'TLV_TRUNCATED'],
      ['7C00FF', 'TLV_TRAILING_BYTES'],
      ['7C00', 'AUTH_DATA_MISSING_OBJECT'],
      ['7C03810100', 'AUTH_DATA_UNEXPECTED_OBJECT'],
      ['7C06800100800100', 'AUTH_DATA_DUPLICATE_OBJECT'],
      ['7C04A0028000', 'AUTH_DATA_UNEXPECTED_OBJECT'],
      ['7C8103800100', 'TLV_NON_MINIMAL_LENGTH'],
    ];
    for (const [data, code] of cases) {
      try {
        decodeAuthData(h(data), PACE_GA.nonceResponse!);
        expect.unreachable(data);
      } catch (e) {
        expect(e, data).toBeInstanceOf(ParseError);
        expect((e as ParseError).code, data).toBe(code);
      }
    }
    try {
      decodeAuthData(h('7C06800100800100'), PACE_GA.nonceResponse!);
    } catch (e) {
      expect((e as ParseError).place.offset).toBe(5);
    }
  });

  it('random bytes only ever give ParseErrors', () => {
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(randomBytes(i % 40));
      if (i % 2 === 0 && b.length > 1) {
        b[0] = 0x7c;
        b[1] = b.length - 2;
      }
      for (const spec of [PACE_GA.mutualAuthResponse!, PACE_GA.mapResponse!]) {
        try {
          decodeAuthData(b, spec);
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
        }
      }
      try {
        decodePaceMseSetAt(b);
      } catch (e) {
        expect(e).toBeInstanceOf(CancuocError);
      }
    }
  });

  it('MSE:Set AT data round-trips and refuses bad references', () => {
    const data = h('800A04007F0007020204020283010284010D');
    const m = decodePaceMseSetAt(data);
    expect(m).toEqual({ protocol: '0.4.0.127.0.7.2.2.4.2.2', password: 'can', parameterId: 13 });
    expect(hex(encodePaceMseSetAt(m))).toBe(hex(data));
    expect(() => decodePaceMseSetAt(h('800A04007F00070202040202830109'))).toThrow(
      expect.objectContaining({ code: 'PACE_PASSWORD_REFERENCE' }),
    );
    expect(() => decodePaceMseSetAt(h('830101'))).toThrow(expect.objectContaining({ code: 'AUTH_DATA_MISSING_OBJECT' }));
    expect(() => decodePaceMseSetAt(h('800A04007F00070202030202830101'))).toThrow(expect.objectContaining({ code: 'PACE_PROTOCOL_UNKNOWN' }));
  });
});
