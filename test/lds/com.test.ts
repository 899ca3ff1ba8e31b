/** ICAO 9303-10 §4.6.1 EF.COM: every hex of icao-worked-examples.md §6.2 and the sample files. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../src/lds/bytes.js';
import { decodeCom, encodeCom } from '../../src/lds/com.js';
import { ParseError } from '../../src/lds/errors.js';

describe('ICAO 9303-10 §4.6.1 EF.COM', () => {
  it.each([
    ['App. A.1 (DG1,2,4,12)', '60165F0104303130375F36063034303030305C046175766C', '0107', [1, 2, 4, 12]],
    ['BSI 2008 (DG1,2,3,14)', '60165F0104303130375F36063034303030305C046175636E', '0107', [1, 2, 3, 14]],
    ['BSI TR-03105-5', '60175F0104303130375F36063034303030305C05617563766E', '0107', [1, 2, 3, 4, 14]],
    ['Dutch loes2006', '60155F0104303130375F36063034303030305C0361756F', '0107', [1, 2, 15]],
    ['App. D.4', '60145F0104303130365F36063034303030305C026175', '0106', [1, 2]],
    ['AES trace', '60185F0104303130385F36063034303030305C06617563766D6E', '0108', [1, 2, 3, 4, 13, 14]],
  ])('%s decodes and re-encodes byte for byte', (_name, h, lds, dgs) => {
    const com = decodeCom(fromHex(h));
    expect(com.ldsVersion).toBe(lds);
    expect(com.unicodeVersion).toBe('040000');
    expect(com.dataGroups).toEqual(dgs);
    expect(hex(encodeCom({ ldsVersion: lds, unicodeVersion: '040000', dataGroups: dgs }))).toBe(h.toLowerCase());
    expect(hex(encodeCom(com))).toBe(h.toLowerCase());
  });

  it.each(['bsi2008/EF_COM.bin', 'bsi-tr03105/EF_COM.bin', 'loes2006/ef011E.bin'])('sample %s round-trips', (f) => {
    const bytes = new Uint8Array(readFileSync(`test/vectors/samples/${f}`));
    expect(hex(encodeCom(decodeCom(bytes)))).toBe(hex(bytes));
  });

  it('rejects objects out of order, bad version digits and unknown children', () => {
    expect(() => decodeCom(fromHex('60145F36063034303030305F0104303130365C026175'))).toThrow(ParseError);
    expect(() => decodeCom(fromHex('60145F0104303141365F36063034303030305C026175'))).toThrow(/ASCII digits/);
    expect(() => decodeCom(fromHex('60175F0104303130365F36063034303030305C0261755301FF'))).toThrow(ParseError);
  });
});
