/**
 * Active Authentication (ICAO 9303-11 (8th ed.) §6.1) and Chip Authentication v1 (§6.2) on the
 * chip. No published vector gives a chip's private key, so the keys come from Node's OpenSSL and
 * every answer is checked with it, independently of the code under test: the RSA signature is
 * opened with the public key (no padding) and its ISO/IEC 9796-2 structure and SHA-1 checked by
 * hand; ECDSA is verified by OpenSSL; the CA shared secret is OpenSSL's ECDH.
 */
import { constants, createECDH, createHash, generateKeyPairSync, publicDecrypt, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VirtualChip } from '../../src/card/chip.js';
import { decodeTlv, encodeTlv, readTlvList } from '../../src/lds/tlv.js';
import { kdf } from '../../src/crypto/kdf.js';
import { SecureMessaging } from '../../src/crypto/secure-messaging.js';
import { apdu, h, LOCK, mrzSeedApdu, ok, pace, send, SELECT_LDS1, Terminal, writeFile } from './helpers.js';

const CARD_ACCESS = h('31143012060A04007F0007020204020202010202010D');
const DG1 = encodeTlv(0x61, encodeTlv(0x5f1f, new TextEncoder().encode('I<UTOL898902C<3<<<<<<<<<<<<<<<6908061F9406236UTO<<<<<<<<<<<2ERIKSSON<<ANNA<MARIA<<<<<<<<<<')));
const BRAINPOOL_P256R1 = h('2B2403030208010107');
const RND_IFD = h('F173589974BF40C6'); // App. F's RND.IFD

function brainpoolKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' });
  // RFC 5915 ECPrivateKey: 30 { 02 01 01, 04 d, A0 { curve }, A1 { 03 00‖Q } }
  const items = readTlvList(decodeTlv(new Uint8Array(privateKey.export({ format: 'der', type: 'sec1' }))).value);
  const d = items[1]!.value;
  const q = readTlvList(items.find((i) => i.tag === 0xa1)!.value)[0]!.value.subarray(1);
  return { privateKey, publicKey, d, q };
}

function locked(setup: (chip: VirtualChip) => void): VirtualChip {
  const chip = new VirtualChip();
  ok(chip, SELECT_LDS1);
  ok(chip, mrzSeedApdu('L898902C', '690806', '940623'));
  ok(chip, '00DA0065' + '0A65080406313233343536');
  writeFile(chip, 0x011c, CARD_ACCESS);
  writeFile(chip, 0x0101, DG1);
  setup(chip);
  ok(chip, LOCK);
  chip.powerOn();
  return chip;
}

function paced(chip: VirtualChip): Terminal {
  const t = pace(chip, '0.4.0.127.0.7.2.2.4.2.2', 13, { kind: 'can', can: '123456' });
  if (!(t instanceof Terminal)) throw new Error(`PACE failed ${t}`);
  return t.selectApplication();
}

describe('ICAO 9303-11 §6.1 Active Authentication on the chip', () => {
  it('RSA-1024 (JMRTD PUT DATA 60/61): σ opens to 6A ‖ M1 ‖ SHA-1(M1 ‖ RND.IFD) ‖ BC', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = privateKey.export({ format: 'jwk' });
    const chip = locked((c) => {
      ok(c, apdu(0x00, 0xda, 0x00, 0x60, encodeTlv(0x60, encodeTlv(0x04, new Uint8Array(Buffer.from(jwk.n!, 'base64url'))))));
      ok(c, apdu(0x00, 0xda, 0x00, 0x61, encodeTlv(0x61, encodeTlv(0x04, new Uint8Array(Buffer.from(jwk.d!, 'base64url'))))));
    });
    expect(send(chip, '00880000' + '08F173589974BF40C600')).toBe('6982');
    const r = paced(chip).send(0x00, 0x88, 0x00, 0x00, RND_IFD, 256);
    expect(r.sw).toBe(0x9000);
    expect(r.data.length).toBe(128);
    const f = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, r.data);
    expect(f[0]).toBe(0x6a);
    expect(f[127]).toBe(0xbc);
    const m1 = f.subarray(1, 127 - 20);
    const digest = createHash('sha1').update(m1).update(RND_IFD).digest();
    expect(f.subarray(127 - 20, 127).equals(digest)).toBe(true);
  });

  it('ECDSA brainpoolP256r1 (PUT DATA 00 66): plain r ‖ s over RND.IFD with SHA-256 verifies with OpenSSL', () => {
    const key = brainpoolKey();
    const chip = locked((c) => {
      ok(c, apdu(0x00, 0xda, 0x00, 0x66, encodeTlv(0x66, encodeTlv(0x06, BRAINPOOL_P256R1), encodeTlv(0x81, key.d), encodeTlv(0x82, key.q))));
    });
    const r = paced(chip).send(0x00, 0x88, 0x00, 0x00, RND_IFD, 256);
    expect(r.sw).toBe(0x9000);
    expect(r.data.length).toBe(64);
    expect(verify('sha256', RND_IFD, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, r.data)).toBe(true);
  });

  it('refusals: wrong public point 6A80, no key 6A88, wrong length 6700, wrong P1-P2 6A86', () => {
    const key = brainpoolKey();
    const other = brainpoolKey();
    const chip = locked((c) => {
      const wrongPoint = encodeTlv(0x66, encodeTlv(0x06, BRAINPOOL_P256R1), encodeTlv(0x81, key.d), encodeTlv(0x82, other.q));
      expect(toHex(c.transmit(apdu(0x00, 0xda, 0x00, 0x66, wrongPoint)))).toBe('6A80');
    });
    const t = paced(chip);
    expect(t.send(0x00, 0x88, 0x00, 0x00, RND_IFD, 256).sw).toBe(0x6a88);
    expect(t.send(0x00, 0x88, 0x00, 0x00, RND_IFD.subarray(1), 256).sw).toBe(0x6700);
    expect(t.send(0x00, 0x88, 0x01, 0x00, RND_IFD, 256).sw).toBe(0x6a86);
  });
});

describe('ICAO 9303-11 §6.2 Chip Authentication v1 on the chip', () => {
  const key = brainpoolKey();
  const chip = locked((c) => {
    // PUT DATA 00 67: keyId 1, parameter id 13 (brainpoolP256r1), d, Q
    ok(c, apdu(0x00, 0xda, 0x00, 0x67, encodeTlv(0x67, encodeTlv(0x02, h('01')), encodeTlv(0x84, h('0D')), encodeTlv(0x81, key.d), encodeTlv(0x82, key.q))));
  });

  function terminalKey() {
    const ecdh = createECDH('brainpoolP256r1');
    ecdh.generateKeys();
    return { pub: new Uint8Array(ecdh.getPublicKey()), shared: new Uint8Array(ecdh.computeSecret(key.q)) };
  }

  it('AES-128: MSE:Set AT + GENERAL AUTHENTICATE → 7C 00 under the old keys, then the new keys with SSC 0', () => {
    const t = paced(chip);
    const eph = terminalKey();
    expect(t.send(0x0, 0x22, 0x41, 0xa4, h('800A04007F00070202030202840101')).sw).toBe(0x9000);
    const ga = t.send(0x00, 0x86, 0x00, 0x00, encodeTlv(0x7c, encodeTlv(0x80, eph.pub)), 256);
    expect(ga.sw).toBe(0x9000);
    expect(toHex(ga.data)).toBe('7C00');
    t.sm = new SecureMessaging({ cipher: 'AES-128', ksEnc: kdf(eph.shared, 1, 'AES-128'), ksMac: kdf(eph.shared, 2, 'AES-128') });
    expect(t.readFile(0x0101)).toEqual(DG1);
  });

  it('3DES: MSE:Set KAT with 91 PK_IFD, then 3DES keys', () => {
    const t = paced(chip);
    const eph = terminalKey();
    expect(t.send(0x00, 0x22, 0x41, 0xa6, concatBytes(encodeTlv(0x91, eph.pub), h('840101'))).sw).toBe(0x9000);
    t.sm = new SecureMessaging({ cipher: '3DES', ksEnc: kdf(eph.shared, 1, '3DES'), ksMac: kdf(eph.shared, 2, '3DES') });
    expect(t.readFile(0x0101)).toEqual(DG1);
  });

  it('refusals: without a session 6982, unknown keyId 6A88, a point off the curve 6A80, GA without Set AT 6985', () => {
    chip.powerOn();
    expect(send(chip, '002241A40F800A04007F00070202030202840101')).toBe('6982');
    const t = paced(chip);
    expect(t.send(0x00, 0x22, 0x41, 0xa4, h('800A04007F00070202030202840102')).sw).toBe(0x6a88);
    expect(t.send(0x00, 0x86, 0x00, 0x00, encodeTlv(0x7c, encodeTlv(0x80, key.q)), 256).sw).toBe(0x6985);
    const bad = key.q.slice();
    bad[64] = bad[64]! ^ 1;
    expect(t.send(0x00, 0x22, 0x41, 0xa6, encodeTlv(0x91, bad)).sw).toBe(0x6a80);
    // the session survives refused commands
    expect(t.readFile(0x0101)).toEqual(DG1);
  });
});

function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex').toUpperCase();
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  return new Uint8Array([...a, ...b]);
}
