/**
 * Finger minutiae records ("FMR\0"): ISO/IEC 19794-2:2005, ANSI INCITS 378-2004 and
 * ANSI INCITS 378-2009. Byte layouts and the ISO/ANSI detection rule as in
 * test/vectors/fmr/README.md §1 (from the fingerprintio format summaries and the standards'
 * sample records). Minutiae are decoded; extended data is kept as bytes, with a reading of its
 * areas when they parse.
 */
import { abytes, ascii, concat, readUintBE } from './bytes.js';
import { BdbReader, bdbUint, type BdbCodec } from './cbeff.js';

export type MinutiaeFormat = 'ISO19794-2:2005' | 'ANSI378-2004' | 'ANSI378-2009';

const MAGIC = ascii('FMR\0');
const ISO_HEADER = 24;
const ANSI2004_HEADER = 26;
const DEFAULT_VERSION: Readonly<Record<MinutiaeFormat, string>> = Object.freeze({
  'ISO19794-2:2005': ' 20',
  'ANSI378-2004': ' 20',
  'ANSI378-2009': '030',
});

/** Minutia type codes (README §1.4). */
export const MINUTIA_TYPE = Object.freeze({ other: 0, ridgeEnding: 1, bifurcation: 2 });

export interface Minutia {
  /** 2-bit type: 0 other, 1 ridge ending, 2 bifurcation. */
  readonly type: number;
  readonly x: number;
  readonly y: number;
  /** The two reserved bits above Y. */
  readonly reserved: number;
  /** Raw angle: ISO 2005 units of 360/256°, ANSI units of 2° (see minutiaAngleDegrees). */
  readonly angle: number;
  readonly quality: number;
}

export interface ExtendedDataArea {
  readonly type: number;
  /** The area length field as written (ISO 2005: data bytes; ANSI: header included). */
  readonly lengthField: number;
  readonly data: Uint8Array;
}

export interface FingerViewFields {
  readonly position: number;
  readonly viewNumber: number;
  readonly impressionType: number;
  readonly quality: number;
  /** ANSI 378-2009 only: the view's quality block and image geometry. */
  readonly qualityVendor?: number;
  readonly qualityAlgorithm?: number;
  readonly width?: number;
  readonly height?: number;
  readonly xResolution?: number;
  readonly yResolution?: number;
  readonly minutiae: readonly Minutia[];
  /** The extended data block after its 2-byte length (empty when there is none). */
  readonly extendedData: Uint8Array;
}

export interface FingerView extends FingerViewFields {
  readonly offset: number;
  /** The areas of `extendedData`, or undefined when they do not parse under either convention. */
  readonly areas: readonly ExtendedDataArea[] | undefined;
}

export interface FingerMinutiaeRecordFields {
  readonly format: MinutiaeFormat;
  /** The three characters before the NUL of the version field (" 20", "030"); format default. */
  readonly version?: string;
  /** ANSI only: CBEFF product identifier owner and type. */
  readonly productOwner?: number;
  readonly productType?: number;
  /** ISO / ANSI 2004: the 4 high bits of the capture equipment field; ANSI 2009: its own byte. */
  readonly captureCompliance: number;
  readonly captureEquipmentId: number;
  /** ISO / ANSI 2004 only: record-wide image geometry (pixels, pixels per cm). */
  readonly width?: number;
  readonly height?: number;
  readonly xResolution?: number;
  readonly yResolution?: number;
  readonly reserved?: number;
  readonly views: readonly FingerViewFields[];
  /** The record length field; computed when absent. */
  readonly recordLength?: number;
  /** Zero bytes after the record (fixed-size SDK buffers); kept to re-encode identically. */
  readonly padding?: Uint8Array;
}

export interface FingerMinutiaeRecord extends FingerMinutiaeRecordFields {
  readonly kind: 'finger-minutiae';
  readonly version: string;
  readonly reserved: number;
  readonly views: readonly FingerView[];
  readonly recordLength: number;
  readonly padding: Uint8Array;
  /**
   * RECORD_LENGTH_MISMATCH, PADDING, EXTENDED_AREA_LENGTH_INCLUDES_HEADER (an ISO record using the
   * ANSI area-length convention), EXTENDED_DATA_UNPARSED.
   */
  readonly warnings: readonly string[];
  readonly raw: Uint8Array;
}

/**
 * Tells the three formats apart (README §1.2): "030\0" is ANSI 378-2009; for " 20\0" (and the
 * "020\0" of the ANSI 2004 sample) the uint16 at offset 8 decides: ≥ 26 ANSI, 1..25 ISO (high half
 * of a 4-byte length), 0 → the uint16 at offset 10: ≥ 24 ISO, else ANSI with a 6-byte length.
 */
export function detectMinutiaeFormat(bytes: Uint8Array): MinutiaeFormat | undefined {
  abytes(bytes, 'bytes');
  if (bytes.length < 12 || !MAGIC.every((b, i) => bytes[i] === b) || bytes[7] !== 0) return undefined;
  const version = String.fromCharCode(bytes[4]!, bytes[5]!, bytes[6]!);
  if (version === '030') return 'ANSI378-2009';
  if (version !== ' 20' && version !== '020') return undefined;
  const at8 = readUintBE(bytes, 8, 2);
  if (at8 >= ANSI2004_HEADER) return 'ANSI378-2004';
  if (at8 > 0) return 'ISO19794-2:2005';
  return readUintBE(bytes, 10, 2) >= ISO_HEADER ? 'ISO19794-2:2005' : 'ANSI378-2004';
}

/** Angle in degrees: ISO 19794-2:2005 counts 360/256° units, ANSI 378 counts 2° units. */
export function minutiaAngleDegrees(format: MinutiaeFormat, angle: number): number {
  return format === 'ISO19794-2:2005' ? (angle * 360) / 256 : angle * 2;
}

export function decodeMinutiaeRecord(bytes: Uint8Array, base = 0, tag?: number): FingerMinutiaeRecord {
  const format = detectMinutiaeFormat(bytes);
  const r = new BdbReader(bytes, base, 'FMR', tag);
  if (format === undefined) {
    r.expect(MAGIC, 'format identifier');
    throw r.error('UNSUPPORTED_VERSION', 'not an ISO 19794-2:2005, ANSI 378-2004 or ANSI 378-2009 record', 'version');
  }
  const warnings: string[] = [];
  r.take(4, 'format identifier');
  const version = String.fromCharCode(...r.take(4, 'version').subarray(0, 3));
  const iso = format === 'ISO19794-2:2005';
  const v2009 = format === 'ANSI378-2009';
  let recordLength = r.uint(iso || v2009 ? 4 : 2, 'record length');
  if (format === 'ANSI378-2004' && recordLength === 0) recordLength = r.uint(4, 'record length');
  const productOwner = iso ? undefined : r.uint(2, 'CBEFF product owner');
  const productType = iso ? undefined : r.uint(2, 'CBEFF product type');
  let captureCompliance: number;
  let captureEquipmentId: number;
  let geometry: Geometry | undefined;
  if (v2009) {
    captureCompliance = r.uint(1, 'capture equipment compliance');
    captureEquipmentId = r.uint(2, 'capture equipment ID');
  } else {
    const capture = r.uint(2, 'capture equipment');
    captureCompliance = capture >> 12;
    captureEquipmentId = capture & 0xfff;
    geometry = readGeometry(r);
  }
  const count = r.uint(1, 'number of finger views');
  const reserved = r.uint(1, 'reserved');
  const views: FingerView[] = [];
  for (let i = 0; i < count; i++) views.push(readView(r, format, warnings));
  const end = r.at;
  const padding = r.take(r.remaining, 'padding');
  if (padding.some((b) => b !== 0)) throw r.error('TRAILING_BYTES', `${padding.length} byte(s) after the record`, 'trailing bytes', end);
  if (padding.length > 0) warnings.push('PADDING');
  if (recordLength !== end) warnings.push('RECORD_LENGTH_MISMATCH');
  return Object.freeze({
    kind: 'finger-minutiae',
    format,
    version,
    productOwner,
    productType,
    captureCompliance,
    captureEquipmentId,
    ...geometry,
    reserved,
    views: Object.freeze(views),
    recordLength,
    padding,
    warnings: Object.freeze(warnings),
    raw: bytes,
  });
}

interface Geometry {
  readonly width: number;
  readonly height: number;
  readonly xResolution: number;
  readonly yResolution: number;
}

function readGeometry(r: BdbReader): Geometry {
  return {
    width: r.uint(2, 'image width'),
    height: r.uint(2, 'image height'),
    xResolution: r.uint(2, 'X resolution'),
    yResolution: r.uint(2, 'Y resolution'),
  };
}

function readView(r: BdbReader, format: MinutiaeFormat, warnings: string[]): FingerView {
  const start = r.at;
  const position = r.uint(1, 'finger position');
  let viewNumber: number;
  let impressionType: number;
  let extra: object = {};
  if (format === 'ANSI378-2009') {
    viewNumber = r.uint(1, 'view number');
    impressionType = r.uint(1, 'impression type');
  } else {
    const b = r.uint(1, 'view number / impression type');
    viewNumber = b >> 4;
    impressionType = b & 15;
  }
  const quality = r.uint(1, 'finger quality');
  if (format === 'ANSI378-2009') {
    extra = { qualityVendor: r.uint(2, 'quality vendor'), qualityAlgorithm: r.uint(2, 'quality algorithm'), ...readGeometry(r) };
  }
  const count = r.uint(1, 'number of minutiae');
  const minutiae: Minutia[] = [];
  for (let i = 0; i < count; i++) {
    const xWord = r.uint(2, 'minutia type / x');
    const yWord = r.uint(2, 'minutia y');
    const angle = r.uint(1, 'minutia angle');
    const q = r.uint(1, 'minutia quality');
    minutiae.push(Object.freeze({ type: xWord >> 14, x: xWord & 0x3fff, y: yWord & 0x3fff, reserved: yWord >> 14, angle, quality: q }));
  }
  const extendedData = r.take(r.uint(2, 'extended data block length'), 'extended data');
  // README §1.5: ISO 2005 area lengths count data only, ANSI ones include the 4-byte area header.
  let areas = readAreas(extendedData, format !== 'ISO19794-2:2005');
  if (areas === undefined && format === 'ISO19794-2:2005') {
    areas = readAreas(extendedData, true);
    if (areas !== undefined) warnings.push('EXTENDED_AREA_LENGTH_INCLUDES_HEADER');
  }
  if (areas === undefined) warnings.push('EXTENDED_DATA_UNPARSED');
  return Object.freeze({
    position,
    viewNumber,
    impressionType,
    quality,
    ...extra,
    minutiae: Object.freeze(minutiae),
    extendedData,
    offset: r.base + start,
    areas,
  });
}

function readAreas(block: Uint8Array, headerCounted: boolean): readonly ExtendedDataArea[] | undefined {
  const out: ExtendedDataArea[] = [];
  let at = 0;
  while (at < block.length) {
    if (at + 4 > block.length) return undefined;
    const type = readUintBE(block, at, 2);
    const lengthField = readUintBE(block, at + 2, 2);
    const dataLength = headerCounted ? lengthField - 4 : lengthField;
    if (dataLength < 0 || at + 4 + dataLength > block.length) return undefined;
    out.push(Object.freeze({ type, lengthField, data: block.subarray(at + 4, at + 4 + dataLength) }));
    at += 4 + dataLength;
  }
  return Object.freeze(out);
}

function need<T>(value: T | undefined, name: string, format: MinutiaeFormat): T {
  if (value === undefined) throw new RangeError(`"${name}" is required for ${format}`);
  return value;
}

export function encodeMinutiaeRecord(record: FingerMinutiaeRecordFields): Uint8Array {
  const { format, views } = record;
  if (!Object.hasOwn(DEFAULT_VERSION, format)) throw new RangeError(`"format" unknown: ${String(format)}`);
  if (!Array.isArray(views) || views.length > 0xff) throw new RangeError('"views" expected an array of at most 255 finger views');
  const version = record.version ?? DEFAULT_VERSION[format];
  if (typeof version !== 'string' || !/^[\x20-\x7e]{3}$/.test(version)) {
    throw new RangeError(`"version" expected 3 printable characters, got ${String(version)}`);
  }
  const padding = record.padding === undefined ? new Uint8Array(0) : abytes(record.padding, 'padding');
  if (padding.some((b) => b !== 0)) throw new RangeError('"padding" must be zero bytes');
  const iso = format === 'ISO19794-2:2005';
  const v2009 = format === 'ANSI378-2009';
  const u16 = (value: number | undefined, name: string): Uint8Array => bdbUint(need(value, name, format), 2, name);
  const product = iso ? [] : [u16(record.productOwner, 'productOwner'), u16(record.productType, 'productType')];
  const capture = v2009
    ? [bdbUint(record.captureCompliance, 1, 'captureCompliance'), bdbUint(record.captureEquipmentId, 2, 'captureEquipmentId')]
    : [
        bdbUint((field(record.captureCompliance, 15, 'captureCompliance') << 12) | field(record.captureEquipmentId, 0xfff, 'captureEquipmentId'), 2, 'captureEquipment'),
        u16(record.width, 'width'),
        u16(record.height, 'height'),
        u16(record.xResolution, 'xResolution'),
        u16(record.yResolution, 'yResolution'),
      ];
  const rest = concat(
    ...product,
    ...capture,
    Uint8Array.of(views.length),
    bdbUint(record.reserved ?? 0, 1, 'reserved'),
    ...views.map((v: FingerViewFields) => encodeView(v, format)),
  );
  // The length counts the whole record: identifier and version (8 bytes), the length field, the rest.
  let width = iso || v2009 ? 4 : 2;
  if (format === 'ANSI378-2004' && 8 + 2 + rest.length > 0xffff) width = 6;
  const length = record.recordLength ?? 8 + width + rest.length;
  // README §1.2: ANSI 2004 long form is 0000 followed by a 4-byte length.
  const lengthField = width === 6 ? concat(Uint8Array.of(0, 0), bdbUint(length, 4, 'recordLength')) : bdbUint(length, width, 'recordLength');
  return concat(MAGIC, ascii(version + '\0'), lengthField, rest, padding);
}

function field(value: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`"${name}" expected 0..${max}, got ${value}`);
  return value;
}

function encodeView(view: FingerViewFields, format: MinutiaeFormat): Uint8Array {
  const v2009 = format === 'ANSI378-2009';
  const minutiae = view.minutiae;
  if (!Array.isArray(minutiae) || minutiae.length > 0xff) throw new RangeError('"minutiae" expected an array of at most 255 minutiae');
  const ext = abytes(view.extendedData, 'extendedData');
  const head = v2009
    ? concat(
        bdbUint(view.position, 1, 'position'),
        bdbUint(view.viewNumber, 1, 'viewNumber'),
        bdbUint(view.impressionType, 1, 'impressionType'),
        bdbUint(view.quality, 1, 'quality'),
        bdbUint(need(view.qualityVendor, 'qualityVendor', format), 2, 'qualityVendor'),
        bdbUint(need(view.qualityAlgorithm, 'qualityAlgorithm', format), 2, 'qualityAlgorithm'),
        bdbUint(need(view.width, 'width', format), 2, 'width'),
        bdbUint(need(view.height, 'height', format), 2, 'height'),
        bdbUint(need(view.xResolution, 'xResolution', format), 2, 'xResolution'),
        bdbUint(need(view.yResolution, 'yResolution', format), 2, 'yResolution'),
      )
    : concat(
        bdbUint(view.position, 1, 'position'),
        Uint8Array.of((field(view.viewNumber, 15, 'viewNumber') << 4) | field(view.impressionType, 15, 'impressionType')),
        bdbUint(view.quality, 1, 'quality'),
      );
  const points = minutiae.map((m: Minutia) =>
    concat(
      bdbUint((field(m.type, 3, 'type') << 14) | field(m.x, 0x3fff, 'x'), 2, 'x'),
      bdbUint((field(m.reserved, 3, 'reserved') << 14) | field(m.y, 0x3fff, 'y'), 2, 'y'),
      bdbUint(m.angle, 1, 'angle'),
      bdbUint(m.quality, 1, 'quality'),
    ),
  );
  return concat(head, Uint8Array.of(minutiae.length), ...points, bdbUint(ext.length, 2, 'extendedData.length'), ext);
}

export const minutiaeRecordCodec: BdbCodec<FingerMinutiaeRecord> = Object.freeze({
  decode: decodeMinutiaeRecord,
  encode: encodeMinutiaeRecord,
});
