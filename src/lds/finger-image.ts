/**
 * ISO/IEC 19794-4:2005 finger image record ("FIR\0", version "010\0"), the BDB that ICAO DG3
 * carries (ICAO 9303-10 (8th ed.) §4.7.3; CBEFF format type 0x0007). General record header
 * (32 bytes), then per finger image: finger image header (14 bytes) and the image data, kept as
 * bytes (WSQ, JPEG, JPEG 2000 or PNG as `compression` says).
 */
import { abytes, ascii, concat, equalBytes } from './bytes.js';
import { BdbReader, bdbUint, type BdbCodec } from './cbeff.js';

const MAGIC = ascii('FIR\0');
const VERSION_2005 = ascii('010\0');
const GENERAL_HEADER = 32;
const IMAGE_HEADER = 14;

/** 19794-4:2005 §8.3.12 image compression algorithm. */
export const FINGER_IMAGE_COMPRESSION = Object.freeze({
  uncompressed: 0,
  uncompressedBitPacked: 1,
  wsq: 2,
  jpeg: 3,
  jpeg2000: 4,
  png: 5,
});

/** 19794-4:2005 §8.3.5 scale units. */
export const FINGER_IMAGE_SCALE_UNITS = Object.freeze({ pixelsPerInch: 1, pixelsPerCentimetre: 2 });

export interface FingerImageFields {
  /** Finger or palm position (19794-4 Table 2; 0 unknown, 1 right thumb … 10 left little). */
  readonly position: number;
  readonly viewCount: number;
  readonly viewNumber: number;
  /** 0..100, 254/255 special. */
  readonly quality: number;
  readonly impressionType: number;
  readonly width: number;
  readonly height: number;
  readonly reserved: number;
  readonly imageData: Uint8Array;
}

export interface FingerImage extends FingerImageFields {
  /** Absolute offset of this finger image header. */
  readonly offset: number;
}

export interface FingerImageRecordFields {
  readonly captureDeviceId: number;
  readonly acquisitionLevel: number;
  readonly scaleUnits: number;
  readonly scanResolutionX: number;
  readonly scanResolutionY: number;
  readonly imageResolutionX: number;
  readonly imageResolutionY: number;
  readonly pixelDepth: number;
  readonly compression: number;
  readonly reserved: number;
  readonly images: readonly FingerImageFields[];
  /** The 6-byte record length field; computed when absent. */
  readonly recordLength?: number;
}

export interface FingerImageRecord extends FingerImageRecordFields {
  readonly kind: 'finger-image';
  readonly images: readonly FingerImage[];
  readonly recordLength: number;
  /** RECORD_LENGTH_MISMATCH when the length field disagrees with the record. */
  readonly warnings: readonly string[];
  readonly raw: Uint8Array;
}

export function decodeFingerImageRecord(bytes: Uint8Array, base = 0, tag?: number): FingerImageRecord {
  abytes(bytes, 'bytes');
  const r = new BdbReader(bytes, base, 'FIR', tag);
  r.expect(MAGIC, 'format identifier');
  const versionAt = r.at;
  if (!equalBytes(r.take(4, 'version'), VERSION_2005)) {
    throw r.error('UNSUPPORTED_VERSION', 'only the 2005 edition ("010\\0") is supported', 'version', versionAt);
  }
  const recordLength = r.uint(6, 'record length');
  const captureDeviceId = r.uint(2, 'capture device ID');
  const acquisitionLevel = r.uint(2, 'image acquisition level');
  const count = r.uint(1, 'number of fingers');
  const scaleUnits = r.uint(1, 'scale units');
  const scanResolutionX = r.uint(2, 'scan resolution (horizontal)');
  const scanResolutionY = r.uint(2, 'scan resolution (vertical)');
  const imageResolutionX = r.uint(2, 'image resolution (horizontal)');
  const imageResolutionY = r.uint(2, 'image resolution (vertical)');
  const pixelDepth = r.uint(1, 'pixel depth');
  const compression = r.uint(1, 'image compression algorithm');
  const reserved = r.uint(2, 'reserved');
  if (count === 0) throw r.error('NO_IMAGES', 'a finger image record holds at least one image', 'number of fingers', 18);
  const images: FingerImage[] = [];
  for (let i = 0; i < count; i++) images.push(readImage(r));
  if (r.remaining > 0) throw r.error('TRAILING_BYTES', `${r.remaining} byte(s) after the last finger image`, 'trailing bytes');
  const warnings = recordLength === bytes.length ? [] : ['RECORD_LENGTH_MISMATCH'];
  return Object.freeze({
    kind: 'finger-image',
    captureDeviceId,
    acquisitionLevel,
    scaleUnits,
    scanResolutionX,
    scanResolutionY,
    imageResolutionX,
    imageResolutionY,
    pixelDepth,
    compression,
    reserved,
    images: Object.freeze(images),
    recordLength,
    warnings: Object.freeze(warnings),
    raw: bytes,
  });
}

function readImage(r: BdbReader): FingerImage {
  const start = r.at;
  const length = r.uint(4, 'finger data block length');
  if (length < IMAGE_HEADER) {
    throw r.error('BAD_IMAGE_LENGTH', `finger data block of ${length} byte(s) is shorter than its header`, 'finger data block length', start);
  }
  const position = r.uint(1, 'finger position');
  const viewCount = r.uint(1, 'count of views');
  const viewNumber = r.uint(1, 'view number');
  const quality = r.uint(1, 'finger image quality');
  const impressionType = r.uint(1, 'impression type');
  const width = r.uint(2, 'horizontal line length');
  const height = r.uint(2, 'vertical line length');
  const reserved = r.uint(1, 'reserved');
  const imageData = r.take(length - IMAGE_HEADER, 'image data');
  return Object.freeze({ position, viewCount, viewNumber, quality, impressionType, width, height, reserved, imageData, offset: r.base + start });
}

export function encodeFingerImageRecord(record: FingerImageRecordFields): Uint8Array {
  const images = record.images;
  if (!Array.isArray(images) || images.length === 0 || images.length > 0xff) {
    throw new RangeError('"images" expected an array of 1..255 finger images');
  }
  const blocks = images.map((img: FingerImageFields) => {
    const data = abytes(img.imageData, 'imageData');
    return concat(
      bdbUint(IMAGE_HEADER + data.length, 4, 'imageData.length'),
      bdbUint(img.position, 1, 'position'),
      bdbUint(img.viewCount, 1, 'viewCount'),
      bdbUint(img.viewNumber, 1, 'viewNumber'),
      bdbUint(img.quality, 1, 'quality'),
      bdbUint(img.impressionType, 1, 'impressionType'),
      bdbUint(img.width, 2, 'width'),
      bdbUint(img.height, 2, 'height'),
      bdbUint(img.reserved, 1, 'reserved'),
      data,
    );
  });
  const body = concat(...blocks);
  return concat(
    MAGIC,
    VERSION_2005,
    bdbUint(record.recordLength ?? GENERAL_HEADER + body.length, 6, 'recordLength'),
    bdbUint(record.captureDeviceId, 2, 'captureDeviceId'),
    bdbUint(record.acquisitionLevel, 2, 'acquisitionLevel'),
    Uint8Array.of(images.length),
    bdbUint(record.scaleUnits, 1, 'scaleUnits'),
    bdbUint(record.scanResolutionX, 2, 'scanResolutionX'),
    bdbUint(record.scanResolutionY, 2, 'scanResolutionY'),
    bdbUint(record.imageResolutionX, 2, 'imageResolutionX'),
    bdbUint(record.imageResolutionY, 2, 'imageResolutionY'),
    bdbUint(record.pixelDepth, 1, 'pixelDepth'),
    bdbUint(record.compression, 1, 'compression'),
    bdbUint(record.reserved, 2, 'reserved'),
    body,
  );
}

export const fingerImageCodec: BdbCodec<FingerImageRecord> = Object.freeze({
  decode: decodeFingerImageRecord,
  encode: encodeFingerImageRecord,
});
