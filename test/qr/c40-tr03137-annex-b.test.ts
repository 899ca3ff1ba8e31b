/**
 * C40 as BSI TR-03137-1 (v2.5) Annex B / ICAO 9303-13 §2.2 define it; expected bytes are the
 * TR's own examples (test/vectors/vds/README.md §3.5).
 */
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../src/lds/bytes.js';
import { ParseError } from '../../src/lds/errors.js';
import { c40Length, decodeC40, encodeC40 } from '../../src/qr/c40.js';

const EXAMPLES: readonly [string, string, string][] = [
  // text, bytes, decoded ('<' comes back as space)
  ['XK<CD', 'eb0466a9', 'XK CD'], // Table 6, padding rule 1
  ['XKCD', 'eb11fe45', 'XKCD'], // Table 7, padding rule 2
  ['BSI01', '62d719c9', 'BSI01'],
  ['D<<', '6abc', 'D  '],
  ['DETS00027', '6d32c8a519fc', 'DETS00027'],
  ['DETS0232', '6d32c8a72cb1', 'DETS0232'],
];

describe('C40 (TR-03137 Annex B)', () => {
  it.each(EXAMPLES)('encodes %s as the TR shows', (text, bytes, decoded) => {
    expect(hex(encodeC40(text))).toBe(bytes);
    expect(decodeC40(fromHex(bytes))).toBe(decoded);
  });

  it('has the corrected length rule 2·⌊L/3⌋ (+2), not "least even number ≥ L" (erratum)', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 9, 12].map(c40Length)).toEqual([0, 2, 2, 2, 4, 4, 4, 6, 8]);
    for (let n = 0; n < 40; n++) expect(encodeC40('7'.repeat(n)).length).toBe(c40Length(n));
  });

  it('decodes the one-letter country "D" written with the unlatch byte (fe 45)', () => {
    expect(decodeC40(fromHex('fe45'))).toBe('D');
  });

  it('rejects characters outside the basic set when encoding', () => {
    expect(() => encodeC40('abc')).toThrow(RangeError);
    expect(() => encodeC40('Ư')).toThrow(RangeError);
  });

  it.each([
    ['odd length', '6a', 'C40_ODD_LENGTH', 0],
    ['value 0', '0000', 'C40_INVALID', 0],
    ['value above 64000', 'fa01', 'C40_INVALID', 0],
    ['unlatch not last', 'fe456abc', 'C40_INVALID', 0],
    ['unlatch with a non-C40 character', 'fe62', 'C40_INVALID', 0], // 'a'
    ['shift value inside', '0001', 'C40_INVALID', 0], // (0,0,0)+1
    ['shift in the middle place', '6abc0029', 'C40_INVALID', 2], // (0,1,0)+1 = 41
  ])('rejects %s with a ParseError at its offset', (_name, bytes, code, offset) => {
    const err = (() => {
      try {
        decodeC40(fromHex(bytes), 0);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).code).toBe(code);
    expect((err as ParseError).place.offset).toBe(offset);
  });

  it('never throws anything but ParseError on random bytes, and round-trips what it accepts', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from({ length: rnd() % 12 }, rnd);
      try {
        const text = decodeC40(bytes);
        expect(hex(encodeC40(text))).toBe(hex(bytes));
      } catch (e) {
        expect(e).toBeInstanceOf(ParseError);
      }
    }
  });
});
