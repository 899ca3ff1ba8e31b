/** ICAO 9303-10 §4.7.1 DG1 with the sample files of test/vectors/samples (icao-worked-examples.md §6.5). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hex } from '../../src/lds/bytes.js';
import { decodeDg1, encodeDg1 } from '../../src/lds/dg1.js';
import { ParseError } from '../../src/lds/errors.js';

const sample = (p: string): Uint8Array => new Uint8Array(readFileSync(`test/vectors/samples/${p}`));

describe('ICAO 9303-10 §4.7.1 DG1', () => {
  it.each([
    ['bsi2008/Datagroup1.bin', 'P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<C11T002JM4D<<9608122F1310317<<<<<<<<<<<<<<<6'],
    ['bsi-tr03105/Datagroup1.bin', 'P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<C11T002JM4D<<9608122F2310314<<<<<<<<<<<<<<<4'],
  ])('decodes %s, all check digits valid, and re-encodes byte for byte', (file, mrz) => {
    const bytes = sample(file);
    const dg1 = decodeDg1(bytes);
    expect(dg1.mrz.lines.join('')).toBe(mrz);
    expect(dg1.mrz.valid).toBe(true);
    expect(dg1.mrz.primaryIdentifier).toBe('MUSTERMANN');
    expect(hex(encodeDg1(dg1.mrz))).toBe(hex(bytes));
    expect(dg1.raw).toEqual(bytes);
  });

  it('decodes the Dutch 2006 test passport DG1 (loes2006/ef0101.bin)', () => {
    const bytes = sample('loes2006/ef0101.bin');
    const dg1 = decodeDg1(bytes);
    expect(dg1.mrz.documentNumber).toBe('XX0001328');
    expect(dg1.mrz.valid).toBe(true);
    expect(hex(encodeDg1(dg1.mrz))).toBe(hex(bytes));
  });

  it('writes the TD1 prefix 615D5F1F5A of §6.5 for the vn-cccd example', () => {
    const bytes = encodeDg1(['IDVNM0990123459001099012345<<0', '9901018M2401014VNM<<<<<<<<<<<2', 'NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<']);
    expect(hex(bytes.subarray(0, 5))).toBe('615d5f1f5a');
    expect(decodeDg1(bytes).mrz.valid).toBe(true);
  });

  it('places a bad MRZ byte at its absolute offset with tag 5F1F', () => {
    const bytes = sample('bsi2008/Datagroup1.bin').slice();
    bytes[5 + 10] = 0xe9; // inside the name
    try {
      decodeDg1(bytes);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      expect((e as ParseError).code).toBe('MRZ_CHARACTER');
      expect((e as ParseError).place).toMatchObject({ offset: 15, tag: 0x5f1f, file: 'DG1', field: 'name' });
    }
  });

  it('rejects a DG1 without 5F1F or with the wrong outer tag', () => {
    expect(() => decodeDg1(Uint8Array.of(0x61, 0x03, 0x5f, 0x20, 0x00))).toThrow(ParseError);
    expect(() => decodeDg1(Uint8Array.of(0x62, 0x00))).toThrow(ParseError);
  });
});
