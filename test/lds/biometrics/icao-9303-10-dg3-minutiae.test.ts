/**
 * DG3 for vn-cccd cards: one or two ISO/IEC 19794-2:2005 minutiae records in CBEFF (format owner
 * 0x0101, format type 0x0001 finger-minutiae-record-n / 0x0002 -x). The records are the published
 * vectors in test/vectors/fmr; the TLV structure is checked with `openssl asn1parse`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hex } from '../../../src/lds/bytes.js';
import { decodeDg3, dg3FromFingerRecords, fingerHeader, fingerSubtype } from '../../../src/lds/dg3.js';
import { attempt } from '../../../src/lds/errors.js';
import { decodeMinutiaeRecord, encodeMinutiaeRecord, type FingerMinutiaeRecord } from '../../../src/lds/finger-minutiae.js';

const fmr = (name: string): Uint8Array => new Uint8Array(readFileSync(`test/vectors/fmr/${name}.fmr`));
const spec = fmr('iso19794-2-2005_spec-sample');
const probe = fmr('iso19794-2-2005_sourceafis-probe');

describe('dg3FromFingerRecords', () => {
  it('two records: two templates, BDBs are the record bytes, openssl reads the structure', () => {
    const records = [decodeMinutiaeRecord(spec), decodeMinutiaeRecord(probe)];
    const bytes = dg3FromFingerRecords(records);
    const parsed = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: bytes }).toString();
    expect(parsed.split('\n')[0]).toMatch(/^\s*0:d=0 .* l=\s*\d+ cons: appl \[ 3 \]/);
    expect(parsed.match(/appl \[ 96 \]/g)).toHaveLength(2);
    const dg = decodeDg3(bytes);
    expect(dg.templates).toHaveLength(2);
    const [a, b] = dg.templates;
    // both vectors carry extended data: format type 0x0002
    for (const t of [a!, b!]) expect([t.header.biometricType, t.header.formatOwner, t.header.formatType]).toEqual([8, 0x0101, 0x0002]);
    // the spec sample holds two fingers (positions 7 and 2): no single subtype
    expect(a!.header.biometricSubtype).toBe(0);
    expect(a!.bdb.encoding === 'ISO19794' && hex(a!.bdb.record.raw)).toBe(hex(spec));
    // SourceAFIS's padding is part of the record bytes and survives
    expect(b!.bdb.encoding === 'ISO19794' && hex(b!.bdb.record.raw)).toBe(hex(probe));
  });

  it('one left-index record without extended data: subtype 0A, format type 0x0001', () => {
    const full = decodeMinutiaeRecord(spec);
    const one: FingerMinutiaeRecord = decodeMinutiaeRecord(
      encodeMinutiaeRecord({ ...full, recordLength: undefined, views: [{ ...full.views[0]!, extendedData: new Uint8Array(0) }] }),
    );
    expect(one.views[0]!.position).toBe(7);
    const header = fingerHeader(one);
    expect([header.biometricSubtype, header.formatType]).toEqual([0x0a, 0x0001]);
    const dg = decodeDg3(dg3FromFingerRecords([one]));
    expect(dg.templates[0]!.header.biometricSubtype).toBe(0x0a);
  });

  it('finger subtypes follow 7816-11 Table C.3', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0].map(fingerSubtype)).toEqual([0x05, 0x09, 0x0d, 0x11, 0x15, 0x06, 0x0a, 0x0e, 0x12, 0x16, 0]);
  });

  it('ANSI records are refused for DG3', () => {
    const ansi = decodeMinutiaeRecord(fmr('ansi378-2004_spec-sample'));
    expect(() => dg3FromFingerRecords([ansi])).toThrow(RangeError);
    expect(() => dg3FromFingerRecords([])).toThrow(RangeError);
  });

  it('a BDB that is neither FIR nor FMR: DG3_UNKNOWN_RECORD at the BDB', () => {
    const bytes = dg3FromFingerRecords([decodeMinutiaeRecord(spec)]);
    const at = Buffer.from(bytes).indexOf('FMR');
    const bad = bytes.slice();
    bad[at + 1] = 0x58;
    expect(attempt(() => decodeDg3(bad))).toMatchObject({ ok: false, error: { code: 'DG3_UNKNOWN_RECORD', place: { offset: at, tag: 0x5f2e } } });
  });
});
