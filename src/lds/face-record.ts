/**
 * ISO/IEC 19794-5:2005 facial image record ("FAC\0", version "010\0"), the BDB of DG2
 * (ICAO 9303-10 (8th ed.) §4.7.2). Facial record header (14 bytes), then per image: facial
 * information (20 bytes), feature points (8 bytes each), image information (12 bytes), image data.
 * Record-length quirks of issued passports (NZ: 8 bytes short, UK: 1) are tolerated up to 8 bytes
 * and reported in `warnings`.
 */
import { abytes, ascii, concat, equalBytes } from './bytes.js';
import { BdbReader, bdbUint, type BdbCodec } from './cbeff.js';
import { attempt, ParseError } from './errors.js';

const MAGIC = ascii('FAC\0');
const VERSION_2005 = ascii('010\0');
const RECORD_HEADER = 14;
const FACIAL_INFO = 20;
const FEATURE_POINT = 8;
const IMAGE_INFO = 12;
/** Largest record-length discrepancy seen on issued passports (gmrtd tolerates the same). */
const LENGTH_SLACK = 8;

/** 19794-5:2005 §5.7.1 face image type. */
export const FACE_IMAGE_TYPE = Object.freeze({ basic: 0, fullFrontal: 1, tokenFrontal: 2 });
/** 19794-5:2005 §5.7.2 image data type. */
export const FACE_IMAGE_DATA_TYPE = Object.freeze({ jpeg: 0, jpeg2000: 1 });
/** 19794-5:2005 §5.7.5 image colour space. */
export const FACE_COLOUR_SPACE = Object.freeze({ unspecified: 0, rgb24: 1, yuv422: 2, grey8: 3, other: 4 });
/** 19794-5:2005 §5.7.6 source type. */
export const FACE_SOURCE_TYPE = Object.freeze({
  unspecified: 0,
  staticPhotoUnknown: 1,
  staticPhotoDigitalCamera: 2,
  staticPhotoScanner: 3,
  videoFrameUnknown: 4,
  videoFrameAnalogue: 5,
  videoFrameDigital: 6,
  unknown: 7,
});

export type ImageFormat = 'jpeg' | 'jpeg2000';

export interface FeaturePoint {
  readonly type: number;
  /** High nibble of the feature point code (ISO/IEC 14496-2 MPEG-4 feature point group). */
  readonly major: number;
  readonly minor: number;
  readonly x: number;
  readonly y: number;
  readonly reserved: number;
}

export interface FaceImageFields {
  readonly gender: number;
  readonly eyeColour: number;
  readonly hairColour: number;
  /** 24-bit feature mask. */
  readonly featureMask: number;
  /** 16-bit expression. */
  readonly expression: number;
  /** Yaw, pitch, roll as the three raw bytes. */
  readonly poseAngle: readonly [number, number, number];
  readonly poseAngleUncertainty: readonly [number, number, number];
  readonly featurePoints: readonly FeaturePoint[];
  readonly faceImageType: number;
  readonly imageDataType: number;
  readonly width: number;
  readonly height: number;
  readonly colourSpace: number;
  readonly sourceType: number;
  readonly deviceType: number;
  readonly quality: number;
  readonly imageData: Uint8Array;
}

export interface FaceImage extends FaceImageFields {
  /** From the magic bytes of the image data. */
  readonly format: ImageFormat;
  /** Absolute offset of the image's facial information block. */
  readonly offset: number;
}

export interface FaceRecordFields {
  readonly images: readonly FaceImageFields[];
  /** The record length field; computed when absent. Set it to reproduce a quirky record. */
  readonly recordLength?: number;
  /** Bytes after the last image (at most 8); kept so the record re-encodes identically. */
  readonly trailing?: Uint8Array;
}

export interface FaceRecord extends FaceRecordFields {
  readonly images: readonly FaceImage[];
  readonly recordLength: number;
  readonly trailing: Uint8Array;
  /**
   * RECORD_LENGTH_MISMATCH, TRAILING_BYTES, IMAGE_DATA_TYPE_MISMATCH, IMAGE_SIZE_MISMATCH (the
   * header's width/height differ from the image's own, or the image's size cannot be read).
   */
  readonly warnings: readonly string[];
  readonly raw: Uint8Array;
}

/** JPEG (ISO/IEC 10918-1 SOI) or JPEG 2000 (ISO/IEC 15444-1 JP2 signature box or codestream SOC+SIZ). */
export function detectImageFormat(data: Uint8Array): ImageFormat | undefined {
  const starts = (...b: number[]): boolean => b.every((v, i) => data[i] === v);
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  if (starts(0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a)) return 'jpeg2000';
  if (starts(0xff, 0x4f, 0xff, 0x51)) return 'jpeg2000';
  return undefined;
}

export function decodeFaceRecord(bytes: Uint8Array, base = 0, tag?: number): FaceRecord {
  abytes(bytes, 'bytes');
  const r = new BdbReader(bytes, base, 'FACE', tag);
  const warnings: string[] = [];
  r.expect(MAGIC, 'format identifier');
  const versionAt = r.at;
  if (!equalBytes(r.take(4, 'version'), VERSION_2005)) {
    throw r.error('UNSUPPORTED_VERSION', 'only the 2005 edition ("010\\0") is supported', 'version', versionAt);
  }
  const recordLength = r.uint(4, 'record length');
  const count = r.uint(2, 'number of facial images');
  if (count === 0) throw r.error('NO_IMAGES', 'a facial record holds at least one image', 'number of facial images', r.at - 2);
  const images: FaceImage[] = [];
  for (let i = 0; i < count; i++) images.push(readImage(r, warnings));
  const trailing = r.take(r.remaining, 'trailing bytes');
  if (trailing.length > LENGTH_SLACK) {
    throw r.error('TRAILING_BYTES', `${trailing.length} byte(s) after the last image`, 'trailing bytes', r.at - trailing.length);
  }
  if (trailing.length > 0) warnings.push('TRAILING_BYTES');
  // gmrtd, real NZ/UK passports: the field may undercount by up to 8 bytes, never overcount.
  const slack = bytes.length - recordLength;
  if (slack < 0 || slack > LENGTH_SLACK) {
    throw r.error('RECORD_LENGTH', `record length ${recordLength} but ${bytes.length} byte(s) of data`, 'record length', 8);
  }
  if (slack !== 0) warnings.push('RECORD_LENGTH_MISMATCH');
  return Object.freeze({ images: Object.freeze(images), recordLength, trailing, warnings: Object.freeze(warnings), raw: bytes });
}

function readImage(r: BdbReader, warnings: string[]): FaceImage {
  const start = r.at;
  const length = r.uint(4, 'facial record data length');
  const points = r.uint(2, 'number of feature points');
  const fixed = FACIAL_INFO + FEATURE_POINT * points + IMAGE_INFO;
  if (length < fixed) {
    throw r.error('BAD_IMAGE_LENGTH', `image block of ${length} byte(s) cannot hold ${points} feature point(s)`, 'facial record data length', start);
  }
  const gender = r.uint(1, 'gender');
  const eyeColour = r.uint(1, 'eye colour');
  const hairColour = r.uint(1, 'hair colour');
  const featureMask = r.uint(3, 'feature mask');
  const expression = r.uint(2, 'expression');
  const poseAngle = triple(r.take(3, 'pose angle'));
  const poseAngleUncertainty = triple(r.take(3, 'pose angle uncertainty'));
  const featurePoints: FeaturePoint[] = [];
  for (let i = 0; i < points; i++) {
    const type = r.uint(1, 'feature type');
    const code = r.uint(1, 'feature point');
    const x = r.uint(2, 'feature x');
    const y = r.uint(2, 'feature y');
    const reserved = r.uint(2, 'feature reserved');
    featurePoints.push(Object.freeze({ type, major: code >> 4, minor: code & 15, x, y, reserved }));
  }
  const faceImageType = r.uint(1, 'face image type');
  const imageDataType = r.uint(1, 'image data type');
  const width = r.uint(2, 'width');
  const height = r.uint(2, 'height');
  const colourSpace = r.uint(1, 'image colour space');
  const sourceType = r.uint(1, 'source type');
  const deviceType = r.uint(2, 'device type');
  const quality = r.uint(2, 'quality');
  const dataAt = r.at;
  const imageData = r.take(length - fixed, 'image data');
  const format = detectImageFormat(imageData);
  if (format === undefined) throw r.error('UNKNOWN_IMAGE_FORMAT', 'image data is neither JPEG nor JPEG 2000', 'image data', dataAt);
  if (imageDataType !== FACE_IMAGE_DATA_TYPE[format]) warnings.push('IMAGE_DATA_TYPE_MISMATCH');
  const size = attempt(() => imageSize(imageData, format));
  if (!size.ok || size.value.width !== width || size.value.height !== height) warnings.push('IMAGE_SIZE_MISMATCH');
  return Object.freeze({
    gender,
    eyeColour,
    hairColour,
    featureMask,
    expression,
    poseAngle,
    poseAngleUncertainty,
    featurePoints: Object.freeze(featurePoints),
    faceImageType,
    imageDataType,
    width,
    height,
    colourSpace,
    sourceType,
    deviceType,
    quality,
    imageData,
    format,
    offset: r.base + start,
  });
}

function triple(b: Uint8Array): readonly [number, number, number] {
  return Object.freeze([b[0]!, b[1]!, b[2]!] as const);
}

export function encodeFaceRecord(record: FaceRecordFields): Uint8Array {
  const images = record.images;
  if (!Array.isArray(images) || images.length === 0 || images.length > 0xffff) {
    throw new RangeError('"images" expected an array of 1..65535 facial images');
  }
  const trailing = record.trailing === undefined ? new Uint8Array(0) : abytes(record.trailing, 'trailing');
  if (trailing.length > LENGTH_SLACK) throw new RangeError(`"trailing" expected at most ${LENGTH_SLACK} bytes, got ${trailing.length}`);
  const blocks = images.map(encodeImage);
  let total = RECORD_HEADER + trailing.length;
  for (const b of blocks) total += b.length;
  const recordLength = bdbUint(record.recordLength ?? total, 4, 'recordLength');
  return concat(MAGIC, VERSION_2005, recordLength, bdbUint(images.length, 2, 'images.length'), ...blocks, trailing);
}

function encodeImage(image: FaceImageFields): Uint8Array {
  const data = abytes(image.imageData, 'imageData');
  const points = image.featurePoints.map((p) => {
    if (!Number.isInteger(p.major) || !Number.isInteger(p.minor) || p.major < 0 || p.major > 15 || p.minor < 0 || p.minor > 15) {
      throw new RangeError(`"featurePoints" major/minor expected 0..15, got ${p.major}/${p.minor}`);
    }
    return concat(bdbUint(p.type, 1, 'type'), Uint8Array.of((p.major << 4) | p.minor), bdbUint(p.x, 2, 'x'), bdbUint(p.y, 2, 'y'), bdbUint(p.reserved, 2, 'reserved'));
  });
  const length = FACIAL_INFO + FEATURE_POINT * points.length + IMAGE_INFO + data.length;
  const pose = (v: readonly number[], name: string): Uint8Array => concat(...[0, 1, 2].map((i) => bdbUint(v[i]!, 1, name)));
  return concat(
    bdbUint(length, 4, 'imageData.length'),
    bdbUint(points.length, 2, 'featurePoints.length'),
    bdbUint(image.gender, 1, 'gender'),
    bdbUint(image.eyeColour, 1, 'eyeColour'),
    bdbUint(image.hairColour, 1, 'hairColour'),
    bdbUint(image.featureMask, 3, 'featureMask'),
    bdbUint(image.expression, 2, 'expression'),
    pose(image.poseAngle, 'poseAngle'),
    pose(image.poseAngleUncertainty, 'poseAngleUncertainty'),
    ...points,
    bdbUint(image.faceImageType, 1, 'faceImageType'),
    bdbUint(image.imageDataType, 1, 'imageDataType'),
    bdbUint(image.width, 2, 'width'),
    bdbUint(image.height, 2, 'height'),
    bdbUint(image.colourSpace, 1, 'colourSpace'),
    bdbUint(image.sourceType, 1, 'sourceType'),
    bdbUint(image.deviceType, 2, 'deviceType'),
    bdbUint(image.quality, 2, 'quality'),
    data,
  );
}

/** 19794-5:2005 §5.6.3: feature point type 1 is a 2D MPEG-4 feature point; 12.1 and 12.2 are the eye centres (the subject's left and right). */
export const FEATURE_POINT_TYPE_MPEG4 = 1;
export const EYE_CENTRE_CODES = Object.freeze({ left: { major: 12, minor: 1 }, right: { major: 12, minor: 2 } });

/** The two eye-centre feature points, in pixels of the image (ISO/IEC 19794-5:2005 §5.6.3–5.6.5). */
export function eyeCentrePoints(eyes: { readonly left: { x: number; y: number }; readonly right: { x: number; y: number } }): readonly FeaturePoint[] {
  return Object.freeze(
    (['left', 'right'] as const).map((side) =>
      Object.freeze({ type: FEATURE_POINT_TYPE_MPEG4, ...EYE_CENTRE_CODES[side], x: Math.round(eyes[side].x), y: Math.round(eyes[side].y), reserved: 0 }),
    ),
  );
}

/** The eye centres of a facial image, when it carries both feature points 12.1 and 12.2. */
export function eyeCentresOf(image: FaceImageFields): { left: FeaturePoint; right: FeaturePoint } | undefined {
  const find = (code: { major: number; minor: number }): FeaturePoint | undefined =>
    image.featurePoints.find((p) => p.type === FEATURE_POINT_TYPE_MPEG4 && p.major === code.major && p.minor === code.minor);
  const left = find(EYE_CENTRE_CODES.left);
  const right = find(EYE_CENTRE_CODES.right);
  return left && right ? { left, right } : undefined;
}

export type FaceFromJpegOptions = Partial<Omit<FaceImageFields, 'imageData' | 'imageDataType'>>;

/**
 * A one-image 2005-edition record around a JPEG, for enrollment. Width and height come from the
 * JPEG frame header; given ones must agree with it. Defaults: full frontal, everything else
 * unspecified (0), colour space from the frame's component count.
 */
export function faceRecordFromJpeg(jpeg: Uint8Array, options: FaceFromJpegOptions = {}): FaceRecord {
  abytes(jpeg, 'jpeg');
  if (detectImageFormat(jpeg) !== 'jpeg') throw new ParseError('JPEG_BAD_MAGIC', 'not a JPEG (no SOI marker)', { offset: 0, field: 'jpeg' });
  const frame = jpegFrame(jpeg);
  for (const k of ['width', 'height'] as const) {
    if (options[k] !== undefined && options[k] !== frame[k]) {
      throw new RangeError(`"${k}" is ${options[k]} but the JPEG frame says ${frame[k]}`);
    }
  }
  const image: FaceImageFields = {
    gender: 0,
    eyeColour: 0,
    hairColour: 0,
    featureMask: 0,
    expression: 0,
    poseAngle: [0, 0, 0],
    poseAngleUncertainty: [0, 0, 0],
    featurePoints: [],
    faceImageType: FACE_IMAGE_TYPE.fullFrontal,
    colourSpace: frame.components === 3 ? FACE_COLOUR_SPACE.rgb24 : frame.components === 1 ? FACE_COLOUR_SPACE.grey8 : 0,
    sourceType: FACE_SOURCE_TYPE.unspecified,
    deviceType: 0,
    quality: 0,
    ...options,
    width: frame.width,
    height: frame.height,
    imageDataType: FACE_IMAGE_DATA_TYPE.jpeg,
    imageData: jpeg,
  };
  return decodeFaceRecord(encodeFaceRecord({ images: [image] }));
}

interface ImageSize {
  readonly width: number;
  readonly height: number;
  readonly components: number;
}

/** The image's own size: JPEG frame header, JP2 'ihdr' box, or J2K SIZ marker segment. */
function imageSize(data: Uint8Array, format: ImageFormat): ImageSize {
  if (format === 'jpeg') return jpegFrame(data);
  const r = new BdbReader(data, 0, 'JPEG2000');
  if (data[0] === 0xff) {
    // ISO/IEC 15444-1 §A.5.1 SIZ: Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz, …, Csiz
    r.take(6, 'SOC, SIZ, Lsiz, Rsiz');
    const [x, y, x0, y0] = [0, 1, 2, 3].map(() => r.uint(4, 'SIZ'));
    r.take(16, 'SIZ');
    return { width: x! - x0!, height: y! - y0!, components: r.uint(2, 'Csiz') };
  }
  // ISO/IEC 15444-1 §I.5.3.1: the image header box opens the JP2 header superbox.
  for (;;) {
    const length = r.uint(4, 'box length');
    const type = String.fromCharCode(...r.take(4, 'box type'));
    if (type === 'jp2h') continue;
    if (type === 'ihdr') {
      const height = r.uint(4, 'ihdr height');
      const width = r.uint(4, 'ihdr width');
      return { width, height, components: r.uint(2, 'ihdr components') };
    }
    if (length < 8) throw r.error('BAD_BOX', 'box length below 8 before the image header', 'box length', r.at - 8);
    r.take(length - 8, 'box');
  }
}

/** Width, height and component count from the first SOFn segment (ISO/IEC 10918-1 §B.2.2). */
function jpegFrame(jpeg: Uint8Array): ImageSize {
  const r = new BdbReader(jpeg, 0, 'JPEG');
  r.take(2, 'SOI');
  for (;;) {
    if (r.uint(1, 'marker') !== 0xff) throw r.error('BAD_MARKER', 'expected a marker', 'marker', r.at - 1);
    let marker = r.uint(1, 'marker');
    while (marker === 0xff) marker = r.uint(1, 'marker');
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd9 || marker === 0xda) throw r.error('NO_FRAME', 'no frame header before the scan', 'marker', r.at - 1);
    const length = r.uint(2, 'segment length');
    if (length < 2) throw r.error('BAD_MARKER', 'segment length below 2', 'segment length', r.at - 2);
    const segment = new BdbReader(r.take(length - 2, 'segment'), r.at - length + 2, 'JPEG');
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      segment.uint(1, 'sample precision');
      const height = segment.uint(2, 'frame height');
      const width = segment.uint(2, 'frame width');
      const components = segment.uint(1, 'frame components');
      return { width, height, components };
    }
  }
}

export const faceRecordCodec: BdbCodec<FaceRecord> = Object.freeze({
  decode: decodeFaceRecord,
  encode: encodeFaceRecord,
});
