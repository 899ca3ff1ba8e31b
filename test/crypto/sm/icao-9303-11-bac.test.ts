/** ICAO 9303-11 §4.3 Basic Access Control, replayed byte for byte from Appendix D.3. */
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../src/lds/bytes.js';
import { ParseError } from '../../../src/lds/errors.js';
import { encodeCommandApdu } from '../../../src/lds/apdu.js';
import {
  bacKeys,
  bacSession,
  chipAuthenticate,
  externalAuthenticateCommand,
  getChallengeCommand,
  parseChallenge,
  terminalAuthenticationData,
  terminalCompleteAuthentication,
} from '../../../src/crypto/bac.js';

const MRZ = 'L898902C<369080619406236';
const RND_IC = fromHex('4608F91988702212');
const RND_IFD = fromHex('781723860C06C226');
const K_IFD = fromHex('0B795240CB7049B01C19B33E32804F0B');
const K_IC = fromHex('0B4F80323EB3191CB04970CB4052790B');
const CMD_DATA = '72c29c2371cc9bdb65b779b8e8d37b29ecc154aa56a8799fae2f498f76ed92f25f1448eea8ad90a7';
const RESP_DATA = '46b9342a41396cd7386bf5803104d7cedc122b9132139baf2eedc94ee178534f2f2d235d074d7449';
const terminal = { rndIfd: RND_IFD, kIfd: K_IFD };

describe('ICAO 9303-11 App. D.3 BAC mutual authentication', () => {
  const keys = bacKeys(MRZ);

  it('derives the document basic access keys (D.2)', () => {
    expect(hex(keys.kEnc)).toBe('ab94fdecf2674fdfb9b391f85d7f76f2');
    expect(hex(keys.kMac)).toBe('7962d9ece03d1acd4c76089dce131543');
  });

  it('builds GET CHALLENGE and EXTERNAL AUTHENTICATE exactly as printed', () => {
    expect(hex(encodeCommandApdu(getChallengeCommand()))).toBe('0084000008');
    expect(hex(parseChallenge(fromHex('4608F91988702212')))).toBe(hex(RND_IC));
    const data = terminalAuthenticationData(keys, RND_IC, terminal);
    expect(hex(data)).toBe(CMD_DATA);
    expect(hex(encodeCommandApdu(externalAuthenticateCommand(data)))).toBe('0082000028' + CMD_DATA + '28');
  });

  it('chip side: checks the terminal cryptogram and answers with E_IC ‖ M_IC and the session', () => {
    const { responseData, session } = chipAuthenticate(keys, { rndIc: RND_IC, kIc: K_IC }, fromHex(CMD_DATA));
    expect(hex(responseData)).toBe(RESP_DATA);
    expect(hex(session.ksEnc)).toBe('979ec13b1cbfe9dcd01ab0fed307eae5');
    expect(hex(session.ksMac)).toBe('f1cb1f1fb5adf208806b89dc579dc1f8');
    expect(hex(session.ssc)).toBe('887022120c06c226');
  });

  it('terminal side: checks the chip answer and derives KS_Enc, KS_MAC and SSC', () => {
    const session = terminalCompleteAuthentication(keys, RND_IC, terminal, fromHex(RESP_DATA));
    expect(session.cipher).toBe('3DES');
    expect(hex(session.ksEnc)).toBe('979ec13b1cbfe9dcd01ab0fed307eae5');
    expect(hex(session.ksMac)).toBe('f1cb1f1fb5adf208806b89dc579dc1f8');
    expect(hex(session.ssc)).toBe('887022120c06c226');
    expect(Object.isFrozen(session)).toBe(true);
    expect(bacSession(K_IFD, K_IC, RND_IC, RND_IFD)).toEqual(session);
  });
});

describe('BAC rejects what §4.3.4.2 says to reject', () => {
  const keys = bacKeys(MRZ);

  it('a flipped bit anywhere in the chip answer → BAC_MAC_INVALID (MAC checked before decryption)', () => {
    const good = fromHex(RESP_DATA);
    for (let bit = 0; bit < good.length * 8; bit++) {
      const bad = good.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => terminalCompleteAuthentication(keys, RND_IC, terminal, bad)).toThrow(
        expect.objectContaining({ code: 'BAC_MAC_INVALID' }),
      );
    }
  });

  it('a chip that does not echo RND.IFD, or answers for another RND.IC, is refused', () => {
    // The chip authenticates correctly but for a different terminal nonce / its own other challenge.
    const otherIfd = { rndIfd: fromHex('0000000000000001'), kIfd: K_IFD };
    const cmd = terminalAuthenticationData(keys, RND_IC, otherIfd);
    const { responseData } = chipAuthenticate(keys, { rndIc: RND_IC, kIc: K_IC }, cmd);
    expect(() => terminalCompleteAuthentication(keys, RND_IC, terminal, responseData)).toThrow(
      expect.objectContaining({ code: 'BAC_RND_IFD_MISMATCH' }),
    );
    const otherIc = fromHex('0102030405060708');
    const cmd2 = terminalAuthenticationData(keys, otherIc, terminal);
    const chip2 = chipAuthenticate(keys, { rndIc: otherIc, kIc: K_IC }, cmd2);
    expect(() => terminalCompleteAuthentication(keys, RND_IC, terminal, chip2.responseData)).toThrow(
      expect.objectContaining({ code: 'BAC_RND_IC_MISMATCH' }),
    );
  });

  it('the chip refuses a cryptogram for a stale challenge and a wrong MAC', () => {
    expect(() => chipAuthenticate(keys, { rndIc: fromHex('0102030405060708'), kIc: K_IC }, fromHex(CMD_DATA))).toThrow(
      expect.objectContaining({ code: 'BAC_RND_IC_MISMATCH' }),
    );
    const bad = fromHex(CMD_DATA);
    bad[39]! ^= 1;
    expect(() => chipAuthenticate(keys, { rndIc: RND_IC, kIc: K_IC }, bad)).toThrow(
      expect.objectContaining({ code: 'BAC_MAC_INVALID' }),
    );
    const wrongMrz = bacKeys('L898902C<369080619406237');
    expect(() => chipAuthenticate(wrongMrz, { rndIc: RND_IC, kIc: K_IC }, fromHex(CMD_DATA))).toThrow(ParseError);
  });

  it('wrong lengths from the card are ParseErrors; the terminal own values are checked as arguments', () => {
    for (const n of [0, 8, 39, 41, 80]) {
      expect(() => terminalCompleteAuthentication(keys, RND_IC, terminal, new Uint8Array(n))).toThrow(
        expect.objectContaining({ code: 'BAC_LENGTH_INVALID' }),
      );
    }
    expect(() => parseChallenge(fromHex('0102'))).toThrow(expect.objectContaining({ code: 'BAC_CHALLENGE_INVALID' }));
    expect(() => terminalAuthenticationData(keys, RND_IC, { rndIfd: RND_IFD, kIfd: new Uint8Array(8) })).toThrow(
      /"kIfd" expected 16 bytes/,
    );
    expect(() => externalAuthenticateCommand(new Uint8Array(39))).toThrow(RangeError);
  });
});
