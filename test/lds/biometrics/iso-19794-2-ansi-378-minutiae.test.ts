/**
 * ISO/IEC 19794-2:2005, ANSI INCITS 378-2004 and 378-2009 finger minutiae records. Every *.fmr in
 * test/vectors/fmr must decode to exactly its *.decoded.json (every minutia) and re-encode to
 * the same bytes; the JSON was produced by an independent decoder (see fmr/README.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { concat, fromHex, hex } from '../../../src/lds/bytes.js';
import { attempt } from '../../../src/lds/errors.js';
import {
  decodeMinutiaeRecord,
  detectMinutiaeFormat,
  encodeMinutiaeRecord,
  minutiaAngleDegrees,
  type FingerMinutiaeRecordFields,
  type MinutiaeFormat,
} from '../../../src/lds/finger-minutiae.js';
import { mutations, randomBytes, truncations } from './hostile.js';

const DIR = 'test/vectors/fmr/';
const names = readdirSync(DIR)
  .filter((f) => f.endsWith('.fmr'))
  .map((f) => f.slice(0, -4));

interface JsonMinutia {
  type_code: number;
  x: number;
  y: number;
  y_reserved_bits: number;
  angle_raw: number;
  angle_deg: number;
  quality: number;
  hex: string;
}
interface JsonView {
  finger_position_code: number;
  view_number: number;
  impression_type_code: number;
  finger_quality: number;
  minutiae_count: number;
  minutiae: JsonMinutia[];
  extended_data_block_length: number;
  extended_data_areas: { type: string; length_field: number; data_hex: string }[];
  quality_vendor?: string;
  quality_algorithm?: string;
  image_width?: number;
  image_height?: number;
  x_resolution_ppcm?: number;
  y_resolution_ppcm?: number;
  offset?: number;
}
interface JsonRecord {
  format: MinutiaeFormat;
  file_size: number;
  version: string;
  record_length: number;
  'cbeff_product_owner(vendor)'?: string;
  'cbeff_product_type(subformat)'?: string;
  capture_equipment_raw?: string;
  capture_equipment_compliance_byte?: string;
  capture_equipment_id: string;
  image_width?: number;
  image_height?: number;
  x_resolution_ppcm?: number;
  y_resolution_ppcm?: number;
  number_of_views: number;
  reserved_byte: number;
  bytes_consumed: number;
  trailing_bytes_after_record: number;
  record_length_matches_consumed: boolean;
  views: JsonView[];
}

const load = (name: string): { bytes: Uint8Array; json: JsonRecord } => ({
  bytes: new Uint8Array(readFileSync(DIR + name + '.fmr')),
  json: JSON.parse(readFileSync(DIR + name + '.decoded.json', 'utf8')) as JsonRecord,
});
const int = (h: string | undefined): number | undefined => (h === undefined ? undefined : parseInt(h, 16));

/** Record fields built from the JSON alone, for the encoder. */
function fieldsFromJson(json: JsonRecord, extended: (v: JsonView) => Uint8Array): FingerMinutiaeRecordFields {
  const raw = int(json.capture_equipment_raw);
  return {
    format: json.format,
    version: json.version.replace('\\0', ''),
    productOwner: int(json['cbeff_product_owner(vendor)']),
    productType: int(json['cbeff_product_type(subformat)']),
    captureCompliance: raw === undefined ? int(json.capture_equipment_compliance_byte)! : raw >> 12,
    captureEquipmentId: int(json.capture_equipment_id)!,
    width: json.image_width,
    height: json.image_height,
    xResolution: json.x_resolution_ppcm,
    yResolution: json.y_resolution_ppcm,
    reserved: json.reserved_byte,
    recordLength: json.record_length,
    padding: new Uint8Array(json.trailing_bytes_after_record),
    views: json.views.map((v) => ({
      position: v.finger_position_code,
      viewNumber: v.view_number,
      impressionType: v.impression_type_code,
      quality: v.finger_quality,
      qualityVendor: int(v.quality_vendor),
      qualityAlgorithm: int(v.quality_algorithm),
      width: v.image_width,
      height: v.image_height,
      xResolution: v.x_resolution_ppcm,
      yResolution: v.y_resolution_ppcm,
      minutiae: v.minutiae.map((m) => ({ type: m.type_code, x: m.x, y: m.y, reserved: m.y_reserved_bits, angle: m.angle_raw, quality: m.quality })),
      extendedData: extended(v),
    })),
  };
}

it('has the five vectors the README lists in this folder', () => {
  expect(names.length).toBeGreaterThanOrEqual(5);
});

for (const name of names) {
  describe(name, () => {
    const { bytes, json } = load(name);
    const rec = decodeMinutiaeRecord(bytes);

    it('format, header and length handling match the JSON', () => {
      expect(detectMinutiaeFormat(bytes)).toBe(json.format);
      expect(rec.format).toBe(json.format);
      expect(rec.version + '\\0').toBe(json.version);
      expect(rec.recordLength).toBe(json.record_length);
      expect(rec.productOwner).toBe(int(json['cbeff_product_owner(vendor)']));
      expect(rec.productType).toBe(int(json['cbeff_product_type(subformat)']));
      expect(rec.captureEquipmentId).toBe(int(json.capture_equipment_id));
      if (json.capture_equipment_raw !== undefined) expect(rec.captureCompliance).toBe(int(json.capture_equipment_raw)! >> 12);
      else expect(rec.captureCompliance).toBe(int(json.capture_equipment_compliance_byte));
      expect([rec.width, rec.height, rec.xResolution, rec.yResolution]).toEqual([json.image_width, json.image_height, json.x_resolution_ppcm, json.y_resolution_ppcm]);
      expect(rec.reserved).toBe(json.reserved_byte);
      expect(rec.views).toHaveLength(json.number_of_views);
      expect(rec.padding.length).toBe(json.trailing_bytes_after_record);
      expect(bytes.length - rec.padding.length).toBe(json.bytes_consumed);
      expect(rec.warnings.includes('RECORD_LENGTH_MISMATCH')).toBe(!json.record_length_matches_consumed);
      expect(rec.warnings.includes('PADDING')).toBe(json.trailing_bytes_after_record > 0);
    });

    it('every view and every minutia match the JSON', () => {
      rec.views.forEach((v, i) => {
        const j = json.views[i]!;
        expect([v.position, v.viewNumber, v.impressionType, v.quality]).toEqual([j.finger_position_code, j.view_number, j.impression_type_code, j.finger_quality]);
        if (j.offset !== undefined) expect(v.offset).toBe(j.offset);
        expect([v.qualityVendor, v.qualityAlgorithm]).toEqual([int(j.quality_vendor), int(j.quality_algorithm)]);
        if (json.format === 'ANSI378-2009') {
          expect([v.width, v.height, v.xResolution, v.yResolution]).toEqual([j.image_width, j.image_height, j.x_resolution_ppcm, j.y_resolution_ppcm]);
        }
        expect(v.minutiae).toHaveLength(j.minutiae_count);
        v.minutiae.forEach((m, k) => {
          const e = j.minutiae[k]!;
          expect({ type: m.type, x: m.x, y: m.y, reserved: m.reserved, angle: m.angle, quality: m.quality }, `view ${i} minutia ${k}`).toEqual({
            type: e.type_code,
            x: e.x,
            y: e.y,
            reserved: e.y_reserved_bits,
            angle: e.angle_raw,
            quality: e.quality,
          });
          expect(minutiaAngleDegrees(rec.format, m.angle)).toBeCloseTo(e.angle_deg, 3);
        });
        expect(v.extendedData.length).toBe(j.extended_data_block_length);
        expect(v.areas?.map((a) => ({ type: a.type, length_field: a.lengthField, data_hex: hex(a.data) }))).toEqual(
          j.extended_data_areas.map((a) => ({ type: parseInt(a.type, 16), length_field: a.length_field, data_hex: a.data_hex })),
        );
      });
    });

    it('re-encodes to the same bytes', () => {
      expect(hex(encodeMinutiaeRecord(rec))).toBe(hex(bytes));
    });

    it('encodes the same bytes from fields taken from the JSON alone', () => {
      // the JSON lists areas, not the block: rebuild it with the format's area-length convention
      const extended = (v: JsonView): Uint8Array =>
        concat(...v.extended_data_areas.map((a) => concat(fromHex(a.type.slice(2).padStart(4, '0')), fromHex(a.length_field.toString(16).padStart(4, '0')), fromHex(a.data_hex))));
      expect(hex(encodeMinutiaeRecord(fieldsFromJson(json, extended)))).toBe(hex(bytes));
    });

    it('every prefix of the record fails with a ParseError', () => {
      truncations(decodeMinutiaeRecord, bytes.subarray(0, json.bytes_consumed));
    });
  });
}

describe('the ISO/ANSI detection rule (fmr/README.md §1.2)', () => {
  const head = (version: string, rest: string): Uint8Array => fromHex('464D5200' + Buffer.from(version + '\0').toString('hex') + rest);
  it('uint16 at 8: ≥ 26 ANSI, 1..25 ISO, 0 → uint16 at 10 decides', () => {
    expect(detectMinutiaeFormat(head(' 20', '001A0000'))).toBe('ANSI378-2004');
    expect(detectMinutiaeFormat(head(' 20', '00010000'))).toBe('ISO19794-2:2005');
    expect(detectMinutiaeFormat(head(' 20', '00000018'))).toBe('ISO19794-2:2005');
    expect(detectMinutiaeFormat(head(' 20', '00000017'))).toBe('ANSI378-2004');
    expect(detectMinutiaeFormat(head('030', '00000000'))).toBe('ANSI378-2009');
    expect(detectMinutiaeFormat(head('035', '00000000'))).toBeUndefined();
    expect(detectMinutiaeFormat(fromHex('464952003031300000000000'))).toBeUndefined();
  });

  it('an ANSI 2004 record over 64 KiB uses the 6-byte length and reads back', () => {
    const { bytes } = load('ansi378-2004_spec-sample');
    const rec = decodeMinutiaeRecord(bytes);
    const view = { ...rec.views[1]!, extendedData: new Uint8Array(40_000) };
    const longForm = encodeMinutiaeRecord({ ...rec, recordLength: undefined, views: [view, { ...view, position: 3 }] });
    expect(hex(longForm.subarray(8, 14))).toBe('0000' + (longForm.length).toString(16).padStart(8, '0'));
    const back = decodeMinutiaeRecord(longForm);
    expect(back.format).toBe('ANSI378-2004');
    expect(back.recordLength).toBe(longForm.length);
    expect(back.warnings).toEqual(['EXTENDED_DATA_UNPARSED', 'EXTENDED_DATA_UNPARSED']);
  });
});

describe('errors', () => {
  const { bytes } = load('iso19794-2-2005_spec-sample');

  it('non-zero bytes after the record: FMR_TRAILING_BYTES at the end of the record', () => {
    const r = attempt(() => decodeMinutiaeRecord(concat(bytes, fromHex('0001')), 100, 0x5f2e));
    expect(r).toMatchObject({ ok: false, error: { code: 'FMR_TRAILING_BYTES', place: { offset: 100 + bytes.length, tag: 0x5f2e } } });
  });

  it('unsupported version and foreign magic', () => {
    const v = bytes.slice();
    v.set(Buffer.from('035'), 4);
    expect(attempt(() => decodeMinutiaeRecord(v))).toMatchObject({ ok: false, error: { code: 'FMR_UNSUPPORTED_VERSION' } });
    expect(attempt(() => decodeMinutiaeRecord(fromHex('46495200303130000000')))).toMatchObject({ ok: false, error: { code: 'FMR_BAD_MAGIC' } });
  });

  it('the encoder names bad fields', () => {
    const rec = decodeMinutiaeRecord(bytes);
    expect(() => encodeMinutiaeRecord({ ...rec, width: undefined })).toThrow(/"width" is required/);
    expect(() => encodeMinutiaeRecord({ ...rec, views: [{ ...rec.views[0]!, viewNumber: 16 }] })).toThrow(RangeError);
    expect(() => encodeMinutiaeRecord({ ...rec, views: [{ ...rec.views[0]!, minutiae: [{ type: 1, x: 0x4000, y: 0, reserved: 0, angle: 0, quality: 0 }] }] })).toThrow(/"x"/);
    expect(() => encodeMinutiaeRecord({ ...rec, format: 'ISO19794-2:2011' as MinutiaeFormat })).toThrow(RangeError);
  });
});

describe('hostile input: only ParseError', () => {
  it('mutations of every vector', () => {
    for (const name of names) mutations(decodeMinutiaeRecord, load(name).bytes, 1500, 64, name.length);
  });

  it('random bytes behind each identifier', () => {
    randomBytes(decodeMinutiaeRecord, 1000, 1, fromHex('464D520020323000'));
    randomBytes(decodeMinutiaeRecord, 1000, 2, fromHex('464D520030333000'));
    randomBytes(decodeMinutiaeRecord, 300, 3);
  });
});
