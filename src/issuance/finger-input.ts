/**
 * Fingerprint input for enrollment: whatever the capture station gives — an ISO/IEC 19794-2:2005
 * record, an ANSI INCITS 378 (2004 or 2009) record, or a JSON minutiae list — becomes the
 * ISO/IEC 19794-2:2005 record that vn-cccd DG3 carries. Byte layouts: test/vectors/fmr/README.md §1.
 *
 * JSON minutiae list:
 *   { "width", "height", "resolution"?,            image size in pixels; pixels per cm (default 197 ≈ 500 dpi)
 *     "fingers": [ { "position",                    19794-2 §7.4.1 finger position code 0..10
 *                    "quality"?,                    finger quality 0..100 (default 0)
 *                    "minutiae": [ { "x", "y",      pixels from the top-left corner
 *                                    "angle",       degrees, counter-clockwise, 0 ≤ angle < 360
 *                                    "type",        "ending" | "bifurcation" | "other"
 *                                    "quality" } ] } ] }  minutia quality 0..100
 */
import { ValidationError } from '../lds/errors.js';
import {
  decodeMinutiaeRecord,
  encodeMinutiaeRecord,
  MINUTIA_TYPE,
  minutiaAngleDegrees,
  type FingerMinutiaeRecord,
  type FingerViewFields,
  type Minutia,
} from '../lds/finger-minutiae.js';

/** ISO 19794-2:2005 §7.3.4: 197 pixels per cm is the usual 500 dpi of live scanners. */
const DEFAULT_RESOLUTION = 197;
/** ISO 19794-2:2005 §7.4.4: angle unit 360/256 degrees. */
const ISO_ANGLE_UNITS = 256;
/** ANSI INCITS 378 §6.5.1.3: angles in 2° units, 0..179. */
const ANSI_MAX_ANGLE = 179;
const MAX_COORDINATE = 0x3fff;
const MAX_FINGERS = 2;

const TYPES: Readonly<Record<string, number>> = Object.freeze({
  ending: MINUTIA_TYPE.ridgeEnding,
  bifurcation: MINUTIA_TYPE.bifurcation,
  other: MINUTIA_TYPE.other,
});

export type FingerInputKind = 'iso19794-2' | 'ansi378' | 'json';

export interface FingerInput {
  /** The ISO/IEC 19794-2:2005 record for DG3. */
  readonly iso: Uint8Array;
  readonly record: FingerMinutiaeRecord;
  /** What the input was. */
  readonly source: FingerInputKind;
  /** What the conversion could not carry over (e.g. ANSI extended data). */
  readonly notes: readonly string[];
}

const invalid = (code: string, field: string, message: string): ValidationError =>
  new ValidationError(code, `${field}: ${message}`, { field });

/** Degrees → ISO 2005 angle units, rounded to the nearest unit (360° wraps to 0). */
export function isoAngleFromDegrees(degrees: number): number {
  return Math.round((degrees * ISO_ANGLE_UNITS) / 360) % ISO_ANGLE_UNITS;
}

/**
 * Any accepted finger input → ISO 19794-2:2005. Records start with "FMR\0"; anything starting
 * with "{" is read as the JSON list. Malformed records give the decoder's ParseError; records or
 * lists that decode but cannot become a valid ISO record give a ValidationError naming the field.
 */
export function fingerInputToIso(bytes: Uint8Array): FingerInput {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('"bytes" expected Uint8Array');
  // A record starts with "FMR\0"; JSON text with "{", after optional whitespace (and a UTF-8 BOM).
  const first = bytes.findIndex((b, i) => !(b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || (i < 3 && (b === 0xef || b === 0xbb || b === 0xbf))));
  if (first >= 0 && bytes[first] === 0x7b) return fingerJsonToIso(new TextDecoder().decode(bytes));
  const record = decodeMinutiaeRecord(bytes);
  if (record.format === 'ISO19794-2:2005') {
    checkIsoRecord(record);
    return Object.freeze({ iso: bytes, record, source: 'iso19794-2', notes: Object.freeze([]) });
  }
  return ansiToIso(record);
}

/** A decoded ISO record is used as it is, once its values are in the ranges 19794-2:2005 allows. */
function checkIsoRecord(record: FingerMinutiaeRecord): void {
  if (record.views.length === 0) throw invalid('FINGER_NO_VIEWS', 'views', 'the record holds no finger view');
  record.views.forEach((view, v) => {
    if (view.position > 10) throw invalid('FINGER_POSITION', `views[${v}].position`, `${view.position} is not a finger position 0..10`);
    view.minutiae.forEach((m, i) => {
      if (m.type === 3) throw invalid('FINGER_MINUTIA_TYPE', `views[${v}].minutiae[${i}].type`, 'type code 3 is reserved');
    });
  });
}

/**
 * ANSI INCITS 378-2004 / -2009 → ISO 19794-2:2005. Minutiae keep position and type; angles go
 * from 2° units to 360/256° units (error ≤ 0.71°). Angles above 179 are not ANSI angles and are
 * rejected. Extended data is dropped: its core/delta layout differs between the two standards.
 */
export function ansiToIso(input: FingerMinutiaeRecord | Uint8Array): FingerInput {
  const ansi = input instanceof Uint8Array ? decodeMinutiaeRecord(input) : input;
  if (ansi.format === 'ISO19794-2:2005') throw new RangeError('"input" is already an ISO 19794-2:2005 record');
  checkIsoRecord(ansi);
  const notes: string[] = [];
  const geometry = ansiGeometry(ansi);
  const views: FingerViewFields[] = ansi.views.map((view, v) => {
    const at = `views[${v}]`;
    if (view.viewNumber > 15) throw invalid('FINGER_VIEW_NUMBER', `${at}.viewNumber`, `${view.viewNumber} does not fit the ISO 4-bit field`);
    if (view.impressionType > 15) {
      throw invalid('FINGER_IMPRESSION_TYPE', `${at}.impressionType`, `${view.impressionType} does not fit the ISO 4-bit field`);
    }
    if (view.extendedData.length > 0) notes.push(`${at}: ${view.extendedData.length} bytes of ANSI extended data dropped`);
    const minutiae = view.minutiae.map((m, i): Minutia => {
      if (m.angle > ANSI_MAX_ANGLE) {
        throw invalid('FINGER_ANGLE_RANGE', `${at}.minutiae[${i}].angle`, `ANSI angle ${m.angle} is above ${ANSI_MAX_ANGLE} (2° units)`);
      }
      return Object.freeze({
        type: m.type,
        x: m.x,
        y: m.y,
        reserved: 0,
        angle: isoAngleFromDegrees(minutiaAngleDegrees(ansi.format, m.angle)),
        quality: isoQuality(m.quality),
      });
    });
    return Object.freeze({
      position: view.position,
      viewNumber: view.viewNumber,
      impressionType: view.impressionType,
      quality: isoQuality(view.quality),
      minutiae: Object.freeze(minutiae),
      extendedData: new Uint8Array(0),
    });
  });
  const iso = encodeMinutiaeRecord({
    format: 'ISO19794-2:2005',
    // ANSI 378-2009 has its own compliance byte whose bits mean something else: not carried over.
    captureCompliance: ansi.format === 'ANSI378-2004' ? ansi.captureCompliance : 0,
    captureEquipmentId: ansi.captureEquipmentId & 0xfff,
    ...geometry,
    views,
  });
  return Object.freeze({ iso, record: decodeMinutiaeRecord(iso), source: 'ansi378', notes: Object.freeze(notes) });
}

/** ISO 19794-2:2005 has one image geometry per record; ANSI 2009 has one per view, which must agree. */
function ansiGeometry(ansi: FingerMinutiaeRecord): { width: number; height: number; xResolution: number; yResolution: number } {
  if (ansi.format === 'ANSI378-2004') {
    return { width: ansi.width!, height: ansi.height!, xResolution: ansi.xResolution!, yResolution: ansi.yResolution! };
  }
  const first = ansi.views[0]!;
  const key = (v: FingerViewFields): string => [v.width, v.height, v.xResolution, v.yResolution].join('×');
  ansi.views.forEach((v, i) => {
    if (key(v) !== key(first)) {
      throw invalid('FINGER_GEOMETRY_MISMATCH', `views[${i}].width`, 'the views have different image sizes or resolutions; ISO 2005 has one per record');
    }
  });
  return { width: first.width!, height: first.height!, xResolution: first.xResolution!, yResolution: first.yResolution! };
}

/** ANSI 378-2009 may write 254/255 ("not computed" / "failed"); ISO 2005 has 0..100, 0 = not reported. */
function isoQuality(q: number): number {
  return q <= 100 ? q : 0;
}

/** The JSON minutiae list (object or its text) → ISO 19794-2:2005, one view per finger. */
export function fingerJsonToIso(json: unknown): FingerInput {
  let input = json;
  if (typeof input === 'string') {
    try {
      input = JSON.parse(input) as unknown;
    } catch (e) {
      throw new ValidationError('FINGER_JSON', `minutiae list is not JSON: ${(e as Error).message}`, { field: '(json)' }, { cause: e });
    }
  }
  const list = object(input, '(json)');
  const width = integer(list, 'width', '', 1, MAX_COORDINATE + 1);
  const height = integer(list, 'height', '', 1, MAX_COORDINATE + 1);
  const resolution = list.resolution === undefined ? DEFAULT_RESOLUTION : integer(list, 'resolution', '', 1, 0xffff);
  const fingers = list.fingers;
  if (!Array.isArray(fingers) || fingers.length < 1 || fingers.length > MAX_FINGERS) {
    throw invalid('FINGER_JSON_FIELD', 'fingers', `expected an array of 1 to ${MAX_FINGERS} fingers`);
  }
  const seen = new Map<number, number>();
  const views = fingers.map((raw: unknown, f): FingerViewFields => {
    const at = `fingers[${f}]`;
    const finger = object(raw, at);
    const position = integer(finger, 'position', at, 0, 10);
    // 19794-2 §7.4.1: views of the same finger are numbered from 0.
    const viewNumber = seen.get(position) ?? 0;
    seen.set(position, viewNumber + 1);
    const minutiae = finger.minutiae;
    if (!Array.isArray(minutiae) || minutiae.length > 0xff) throw invalid('FINGER_JSON_FIELD', `${at}.minutiae`, 'expected an array of at most 255 minutiae');
    return Object.freeze({
      position,
      viewNumber,
      impressionType: 0, // live-scan plain: what an enrollment station captures
      quality: finger.quality === undefined ? 0 : integer(finger, 'quality', at, 0, 100),
      minutiae: Object.freeze(minutiae.map((m: unknown, i) => jsonMinutia(m, `${at}.minutiae[${i}]`, width, height))),
      extendedData: new Uint8Array(0),
    });
  });
  const iso = encodeMinutiaeRecord({
    format: 'ISO19794-2:2005',
    captureCompliance: 0,
    captureEquipmentId: 0,
    width,
    height,
    xResolution: resolution,
    yResolution: resolution,
    views,
  });
  return Object.freeze({ iso, record: decodeMinutiaeRecord(iso), source: 'json', notes: Object.freeze([]) });
}

function jsonMinutia(raw: unknown, at: string, width: number, height: number): Minutia {
  const m = object(raw, at);
  const x = integer(m, 'x', at, 0, width - 1);
  const y = integer(m, 'y', at, 0, height - 1);
  const angle = m.angle;
  if (typeof angle !== 'number' || !Number.isFinite(angle) || angle < 0 || angle >= 360) {
    throw invalid('FINGER_JSON_FIELD', `${at}.angle`, 'expected degrees, 0 ≤ angle < 360');
  }
  const type = typeof m.type === 'string' && Object.hasOwn(TYPES, m.type) ? TYPES[m.type]! : undefined;
  if (type === undefined) throw invalid('FINGER_JSON_FIELD', `${at}.type`, 'expected "ending", "bifurcation" or "other"');
  return Object.freeze({ type, x, y, reserved: 0, angle: isoAngleFromDegrees(angle), quality: integer(m, 'quality', at, 0, 100) });
}

function object(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('FINGER_JSON_FIELD', at, 'expected an object');
  return value as Record<string, unknown>;
}

function integer(obj: Record<string, unknown>, key: string, at: string, min: number, max: number): number {
  const v = obj[key];
  const field = at === '' ? key : `${at}.${key}`;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalid('FINGER_JSON_FIELD', field, `expected an integer ${min}..${max}, got ${JSON.stringify(v) ?? 'nothing'}`);
  }
  return v;
}
