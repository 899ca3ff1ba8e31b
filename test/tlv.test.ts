import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../src/lds/bytes.js';
import { ParseError } from '../src/lds/errors.js';
import { childrenOf, decodeTlv, encodeLength, encodeTlv, readTlv, readTlvList } from '../src/lds/tlv.js';

describe('BER-TLV (ISO 7816-4 §5.2, X.690 §8.1)', () => {
  it('reads the EF.COM of ICAO 9303-11 App. D.4 with multi-byte tags', () => {
    const com = decodeTlv(fromHex('60145F0104303130365F36063034303030305C026175'));
    expect(com.tag).toBe(0x60);
    const kids = childrenOf(com);
    expect(kids.map((k) => k.tag)).toEqual([0x5f01, 0x5f36, 0x5c]);
    expect(kids[2]!.offset).toBe(18);
    expect(hex(kids[2]!.value)).toBe('6175');
  });

  it('encodes long-form lengths minimally', () => {
    expect(hex(encodeLength(0x7f))).toBe('7f');
    expect(hex(encodeLength(0x80))).toBe('8180');
    expect(hex(encodeLength(0x1234))).toBe('821234');
    const big = encodeTlv(0x5f2e, new Uint8Array(300));
    expect(hex(big.subarray(0, 5))).toBe('5f2e82012c');
    expect(decodeTlv(big).value.length).toBe(300);
  });

  it('rejects non-minimal lengths in DER and accepts them leniently', () => {
    const bytes = fromHex('04810101');
    expect(() => decodeTlv(bytes, 'der')).toThrow(ParseError);
    expect(decodeTlv(bytes, 'lenient').value).toEqual(Uint8Array.of(1));
  });

  it('accepts indefinite length and padding only in lenient mode', () => {
    const indefinite = fromHex('30800201050000');
    expect(() => decodeTlv(indefinite, 'der')).toThrow(/indefinite/);
    expect(hex(decodeTlv(indefinite, 'lenient').value)).toBe('020105');
    const padded = fromHex('020105000000');
    expect(() => decodeTlv(padded, 'der')).toThrow(/after the object/);
    expect(readTlvList(padded, 'lenient')).toHaveLength(1);
  });

  it('names tag and offset when a value runs past the end', () => {
    try {
      decodeTlv(fromHex('6109' + '5f1f04414243'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      const err = e as ParseError;
      expect(err.code).toBe('TLV_TRUNCATED');
      expect(err.place.offset).toBe(0);
    }
  });

  it('bounds children by their parent: a child running past it is truncated, though bytes follow', () => {
    // 30 04 [04 05 41 42] 43 44 45: the OCTET STRING claims 5 bytes, its parent leaves it 2
    const outer = readTlv(fromHex('30040405414243444545'));
    expect(hex(outer.raw)).toBe('300404054142');
    try {
      childrenOf(outer);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      expect((e as ParseError).code).toBe('TLV_TRUNCATED');
      expect((e as ParseError).place.offset).toBe(2);
      expect((e as ParseError).message).toMatch(/2 left/);
    }
  });

  it('never throws anything but ParseError on random bytes', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let n = 0; n < 5000; n++) {
      const bytes = Uint8Array.from({ length: rand() % 40 }, rand);
      for (const mode of ['der', 'lenient'] as const) {
        try {
          const list = readTlvList(bytes, mode);
          for (const t of list) if (t.constructed) childrenOf(t, mode);
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
        }
      }
    }
  });
});
