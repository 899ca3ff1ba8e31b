/**
 * Finger templates for enrollment → ISO/IEC 19794-2:2005 (test/vectors/fmr/README.md §1).
 * ANSI INCITS 378-2009 spec sample → ISO: every minutia of its decoded.json kept (x, y, type), the
 * angle within the ISO quantisation (360/256°); ISO samples are used unchanged; the JSON list is
 * checked against the byte layout written out by hand; hostile input gives typed errors.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError, ValidationError } from '../../../src/lds/errors.js';
import { ansiToIso, fingerInputToIso, fingerJsonToIso } from '../../../src/issuance/finger-input.js';
import { decodeDg3, dg3FromFingerRecords } from '../../../src/lds/dg3.js';

const FMR = 'test/vectors/fmr/';
const vector = (name: string): Uint8Array => new Uint8Array(readFileSync(`${FMR}${name}.fmr`));

interface DecodedMinutia {
  type_code: number;
  x: number;
  y: number;
  angle_deg: number;
  quality: number;
}
interface DecodedView {
  finger_position_code: number;
  finger_quality: number;
  minutiae: DecodedMinutia[];
}
const decoded = (name: string): { views: DecodedView[] } => JSON.parse(readFileSync(`${FMR}${name}.decoded.json`, 'utf8'));

/** ISO 19794-2:2005 §7.4.4: angle unit 360/256°; rounding to the nearest unit errs by at most half a unit. */
const HALF_ISO_UNIT = 360 / 256 / 2;
const angularDistance = (a: number, b: number): number => Math.abs((((a - b) % 360) + 540) % 360 - 180);

function fieldOf(fn: () => unknown): { code: string; field: string | undefined } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return { code: (e as ValidationError).code, field: (e as ValidationError).place.field };
  }
  throw new Error('expected a ValidationError');
}

describe('ANSI INCITS 378 → ISO/IEC 19794-2:2005', () => {
  it('keeps every minutia of the ANSI 378-2009 spec sample (49 minutiae, 2 views)', () => {
    const out = fingerInputToIso(vector('ansi378-2009_spec-sample'));
    expect(out.source).toBe('ansi378');
    const expected = decoded('ansi378-2009_spec-sample');
    // The ISO record header: "FMR\0", " 20\0", then a 4-byte length equal to the record size.
    expect(Buffer.from(out.iso.subarray(0, 8)).toString('latin1')).toBe('FMR\0 20\0');
    expect(Buffer.from(out.iso).readUInt32BE(8)).toBe(out.iso.length);
    expect(out.record.format).toBe('ISO19794-2:2005');
    expect(out.record.views).toHaveLength(expected.views.length);
    let count = 0;
    expected.views.forEach((view, v) => {
      const got = out.record.views[v]!;
      expect(got.position).toBe(view.finger_position_code);
      expect(got.quality).toBe(view.finger_quality);
      expect(got.minutiae).toHaveLength(view.minutiae.length);
      view.minutiae.forEach((m, i) => {
        const g = got.minutiae[i]!;
        expect([g.x, g.y, g.type, g.quality]).toEqual([m.x, m.y, m.type_code, m.quality]);
        expect(angularDistance((g.angle * 360) / 256, m.angle_deg)).toBeLessThanOrEqual(HALF_ISO_UNIT + 1e-9);
        count++;
      });
    });
    expect(count).toBe(49);
    // Image geometry: 512 × 512 at 197 px/cm, moved from the 2009 views to the ISO header (offsets 14..21).
    expect([14, 16, 18, 20].map((o) => Buffer.from(out.iso).readUInt16BE(o))).toEqual([512, 512, 197, 197]);
    expect(out.notes.join(' ')).toMatch(/extended data dropped/);
  });

  it('the converted record goes into a DG3 that decodes back to the same record', () => {
    const out = fingerInputToIso(vector('ansi378-2009_spec-sample'));
    const dg3 = decodeDg3(dg3FromFingerRecords([out.record]));
    const bdb = dg3.templates[0]!.bdb;
    expect(bdb.encoding).toBe('ISO19794');
    const record = bdb.encoding === 'ISO19794' ? bdb.record : undefined;
    expect(record?.kind).toBe('finger-minutiae');
    expect(Buffer.from(record!.raw).equals(Buffer.from(out.iso))).toBe(true);
  });

  it('rejects the ANSI 378-2004 spec sample: its angles (up to 249) are outside 0..179', () => {
    const { code, field } = fieldOf(() => fingerInputToIso(vector('ansi378-2004_spec-sample')));
    expect(code).toBe('FINGER_ANGLE_RANGE');
    expect(field).toMatch(/^views\[\d+\]\.minutiae\[\d+\]\.angle$/);
  });

  it('refuses to convert an ISO record as ANSI (programmer misuse)', () => {
    expect(() => ansiToIso(vector('iso19794-2-2005_spec-sample'))).toThrow(RangeError);
  });
});

describe('ISO/IEC 19794-2:2005 input', () => {
  it('uses the ISO samples unchanged', () => {
    for (const name of ['iso19794-2-2005_spec-sample', 'iso19794-2-2005_sourceafis-probe']) {
      const bytes = vector(name);
      const out = fingerInputToIso(bytes);
      expect(out.source).toBe('iso19794-2');
      expect(Buffer.from(out.iso).equals(Buffer.from(bytes))).toBe(true);
    }
  });
});

describe('JSON minutiae list', () => {
  const list = {
    width: 400,
    height: 500,
    fingers: [
      {
        position: 7,
        quality: 80,
        minutiae: [
          { x: 100, y: 14, angle: 112.5, type: 'ending', quality: 90 },
          { x: 55, y: 18, angle: 359.9, type: 'bifurcation', quality: 60 },
          { x: 0, y: 499, angle: 0, type: 'other', quality: 0 },
        ],
      },
    ],
  };

  it('encodes the bytes the ISO layout prescribes', () => {
    const out = fingerJsonToIso(list);
    expect(out.source).toBe('json');
    const b = Buffer.from(out.iso);
    // §1.1 header: FMR\0 " 20\0", length, capture 0, 400 × 500, 197 × 197 px/cm (default), 1 view, reserved.
    expect(b.subarray(0, 8).toString('latin1')).toBe('FMR\0 20\0');
    expect(b.readUInt32BE(8)).toBe(24 + 4 + 3 * 6 + 2);
    expect([b.readUInt16BE(12), b.readUInt16BE(14), b.readUInt16BE(16), b.readUInt16BE(18), b.readUInt16BE(20), b[22], b[23]]).toEqual([
      0, 400, 500, 197, 197, 1, 0,
    ]);
    // §1.3 view header: position 7, view 0 / impression 0, quality 80, 3 minutiae.
    expect([...b.subarray(24, 28)]).toEqual([7, 0x00, 80, 3]);
    // §1.4: 01|x, y, angle units of 1.40625° (112.5° = 80; 359.9° rounds to 256 → 0), quality.
    expect(b.subarray(28, 34).toString('hex')).toBe('4064000e505a');
    expect(b.subarray(34, 40).toString('hex')).toBe('80370012003c');
    expect(b.subarray(40, 46).toString('hex')).toBe('000001f30000');
    expect(b.subarray(46, 48).toString('hex')).toBe('0000');
  });

  it('accepts the list as JSON text through fingerInputToIso, and numbers repeated fingers as views 0, 1', () => {
    const two = { ...list, fingers: [list.fingers[0], list.fingers[0]] };
    const out = fingerInputToIso(new TextEncoder().encode(`  \n${JSON.stringify(two)}`));
    expect(out.record.views.map((v) => [v.position, v.viewNumber])).toEqual([
      [7, 0],
      [7, 1],
    ]);
  });

  it('names the offending field', () => {
    const m = (patch: object): object => ({ ...list, fingers: [{ ...list.fingers[0], minutiae: [{ ...list.fingers[0]!.minutiae[0], ...patch }] }] });
    expect(fieldOf(() => fingerJsonToIso(m({ x: 400 }))).field).toBe('fingers[0].minutiae[0].x');
    expect(fieldOf(() => fingerJsonToIso(m({ y: -1 }))).field).toBe('fingers[0].minutiae[0].y');
    expect(fieldOf(() => fingerJsonToIso(m({ angle: 360 }))).field).toBe('fingers[0].minutiae[0].angle');
    expect(fieldOf(() => fingerJsonToIso(m({ angle: Number.NaN }))).field).toBe('fingers[0].minutiae[0].angle');
    expect(fieldOf(() => fingerJsonToIso(m({ type: 'core' }))).field).toBe('fingers[0].minutiae[0].type');
    expect(fieldOf(() => fingerJsonToIso(m({ quality: 101 }))).field).toBe('fingers[0].minutiae[0].quality');
    expect(fieldOf(() => fingerJsonToIso({ ...list, fingers: [{ ...list.fingers[0], position: 11 }] })).field).toBe('fingers[0].position');
    expect(fieldOf(() => fingerJsonToIso({ ...list, fingers: [] })).field).toBe('fingers');
    expect(fieldOf(() => fingerJsonToIso({ ...list, fingers: [list.fingers[0], list.fingers[0], list.fingers[0]] })).field).toBe('fingers');
    expect(fieldOf(() => fingerJsonToIso({ ...list, width: 0 })).field).toBe('width');
    expect(fieldOf(() => fingerJsonToIso('{"width": 4')).code).toBe('FINGER_JSON');
  });

  it('hostile values never crash: a table of junk gives ValidationError', () => {
    const junk: unknown[] = [null, undefined, 0, -1, NaN, '', '[]', [], {}, 'x', true, { width: '400' }, { fingers: {} }, { width: 1e9, height: 1 }];
    for (const j of junk) expect(() => fingerJsonToIso(j)).toThrow(ValidationError);
  });
});

describe('hostile records', () => {
  it('truncated, damaged and random bytes give ParseError or ValidationError, never a crash', () => {
    const sample = vector('ansi378-2009_spec-sample');
    const inputs: Uint8Array[] = [new Uint8Array(0), sample.subarray(0, 7), sample.subarray(0, 30), sample.subarray(0, sample.length - 9)];
    let seed = 12345;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 300; i++) {
      const b = Uint8Array.from(sample);
      for (let k = 0; k < 4; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      inputs.push(b);
      inputs.push(Uint8Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256)));
    }
    for (const input of inputs) {
      try {
        fingerInputToIso(input);
      } catch (e) {
        expect(e instanceof ParseError || e instanceof ValidationError).toBe(true);
      }
    }
  });

  it('wrong argument type is a TypeError', () => {
    expect(() => fingerInputToIso('FMR' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
