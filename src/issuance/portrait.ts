/**
 * The holder's portrait for DG2: an ICAO-proportioned JPEG under a byte budget.
 * ICAO 9303-3 (8th ed.) §3.9 and ISO/IEC 19794-5:2005 §8.3: 35×45 portrait, eyes level, face
 * centred, the head (crown to chin) about 70–80 % of the height. The face and eyes come from the
 * detector (face-detect.ts) unless the operator gives a face box; the photo is judged on the face
 * (photo-judge.ts). Geometry and thresholds: docs/portrait.md.
 */
import { performance } from 'node:perf_hooks';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { ValidationError } from '../lds/errors.js';
import { decodeUpright, detectFaces, type DetectedFace, type FaceBox, type Point, type RgbImage } from './face-detect.js';
import { eyeDistance, judgeBackground, judgeFacePatch, judgeFaces, rollDegrees, type Grey } from './photo-judge.js';

export type { FaceBox, Point } from './face-detect.js';

export interface PortraitOptions {
  /** Largest JPEG size in bytes (default 15 000). */
  readonly maxBytes?: number;
  /** Where the head is in the photo: overrides the detector (no levelling, no eye points). */
  readonly faceBox?: FaceBox;
  readonly grayscale?: boolean;
  /** Output width in pixels before any shrinking needed to meet the budget (default 420). */
  readonly width?: number;
}

/** What was found in the photo and where the portrait was cut from it (photo pixels, EXIF orientation applied). */
export interface PhotoAnalysis {
  readonly width: number;
  readonly height: number;
  /** The detected face; undefined when the operator gave the face box. */
  readonly face: DetectedFace | undefined;
  readonly faceBox: FaceBox;
  /** The portrait's corners in the photo, clockwise from its top left (a rotated rectangle when levelled). */
  readonly crop: readonly Point[];
  /** Rotation applied to level the eyes, degrees. */
  readonly rollDegrees: number;
  /** Time spent in face detection, ms (0 with a face box). */
  readonly detectMs: number;
}

export interface Portrait {
  readonly jpeg: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** JPEG quality used; 0 when the photo already was such a portrait and was kept as given. */
  readonly quality: number;
  readonly grayscale: boolean;
  /** The eye centres in the portrait (ISO/IEC 19794-5 feature points 12.2 right, 12.1 left); undefined with a face box. */
  readonly eyes: { readonly right: Point; readonly left: Point } | undefined;
  readonly analysis: PhotoAnalysis;
}

/** ICAO 35×45 portrait proportions. */
const ASPECT = 35 / 45;
const MIN_SOURCE_HEIGHT = 240;
const MIN_OUTPUT_WIDTH = 180;
/** An operator's face box is taken to be the head, at 3/4 of the portrait height. */
const BOX_HEAD_SHARE = 0.75;
/**
 * The detected head (crown to chin, estimated from eyes and chin) at 72 % of the height, its crown a
 * tenth below the top: hair usually rises above the estimate, so the real head lands in ICAO's 70–80 %.
 */
const HEAD_SHARE = 0.72;
const CROWN_MARGIN = 0.1;
/** Eyes lie about half-way between crown and chin: the eye line at 46 % from the top (ISO/IEC 19794-5 §8.3.3: 50–70 % from the bottom). */
const EYE_LINE = CROWN_MARGIN + HEAD_SHARE / 2;
/** The face patch judged for exposure and sharpness, in eye distances around the eye midpoint: [left, top, right, bottom]. */
const FACE_PATCH = [-0.8, -0.4, 0.8, 1.3] as const;
/** The patch is measured at 40 px between the eyes, whatever the photo's resolution. */
const PATCH_EYE_PX = 40;
/** Background zones are measured on the portrait shrunk to this width. */
const BACKGROUND_WIDTH = 70;

/** Reads the photo and refuses one that is unreadable or too small (before any detection). */
async function readPhoto(image: Uint8Array): Promise<{ width: number; height: number }> {
  let meta: Metadata;
  try {
    meta = await sharp(image).rotate().metadata();
  } catch (e) {
    throw new ValidationError('PHOTO_UNREADABLE', `photo is not a readable image: ${(e as Error).message.split('\n')[0]!.trim()}`, { field: 'photo' });
  }
  const turned = (meta.orientation ?? 1) >= 5;
  const width = (turned ? meta.height : meta.width) ?? 0;
  const height = (turned ? meta.width : meta.height) ?? 0;
  if (height < MIN_SOURCE_HEIGHT || width < MIN_SOURCE_HEIGHT * ASPECT) {
    throw new ValidationError(
      'PHOTO_TOO_SMALL',
      `photo is ${width}×${height}; at least ${Math.ceil(MIN_SOURCE_HEIGHT * ASPECT)}×${MIN_SOURCE_HEIGHT} needed`,
      { field: 'photo' },
    );
  }
  return { width, height };
}

/** The 35:45 crop around a face box (or the centre), clamped to the image: the manual override's geometry. */
export function portraitCrop(imageWidth: number, imageHeight: number, face?: FaceBox): FaceBox {
  let height = face ? face.height / BOX_HEAD_SHARE : imageHeight;
  let width = height * ASPECT;
  if (width > imageWidth) {
    width = imageWidth;
    height = width / ASPECT;
  }
  if (height > imageHeight) {
    height = imageHeight;
    width = height * ASPECT;
  }
  const cx = face ? face.left + face.width / 2 : imageWidth / 2;
  const cy = face ? face.top + face.height / 2 : imageHeight / 2;
  const left = Math.min(Math.max(0, cx - width / 2), imageWidth - width);
  const top = Math.min(Math.max(0, cy - height / 2), imageHeight - height);
  return { left: Math.round(left), top: Math.round(top), width: Math.floor(width), height: Math.floor(height) };
}

/** Where the levelled portrait lies: rotation about the eye midpoint, then a crop of this size with the eye midpoint at (½, EYE_LINE). */
interface Frame {
  readonly angle: number;
  readonly pivot: Point;
  readonly cropWidth: number;
  readonly cropHeight: number;
  readonly eyeDistance: number;
}

/** Rotates p about `pivot` by `angle` radians (y down: positive turns clockwise on screen). */
function turn(p: Point, pivot: Point, angle: number): Point {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const dx = p.x - pivot.x;
  const dy = p.y - pivot.y;
  return { x: pivot.x + dx * c - dy * s, y: pivot.y + dx * s + dy * c };
}

/** ICAO geometry from the eyes and the chin: eyes level and centred, the head at HEAD_SHARE of the height; FACE_CUT_OFF when the head leaves the photo. */
function icaoFrame(face: DetectedFace, width: number, height: number): Frame {
  const angle = (-rollDegrees(face) * Math.PI) / 180;
  const pivot = { x: (face.rightEye.x + face.leftEye.x) / 2, y: (face.rightEye.y + face.leftEye.y) / 2 };
  const d = eyeDistance(face);
  const chin = turn(face.chin, pivot, angle);
  // Crown to chin is about twice eyes to chin; never less than 3.6 eye distances (a short chin landmark).
  const head = Math.max(2 * (chin.y - pivot.y), 3.6 * d);
  const cropHeight = head / HEAD_SHARE;
  const cropWidth = cropHeight * ASPECT;
  // The head's extent in the levelled frame must lie in the photo (a little slack for the estimate).
  const slack = 0.03 * head;
  const half = Math.max(Math.abs(turn(face.rightCheek, pivot, angle).x - pivot.x), Math.abs(turn(face.leftCheek, pivot, angle).x - pivot.x));
  const extremes: [string, Point][] = [
    ['top of the head', { x: pivot.x, y: pivot.y - head / 2 }],
    ['chin', { x: pivot.x, y: pivot.y + head / 2 }],
    ['right side of the face', { x: pivot.x - half, y: pivot.y }],
    ['left side of the face', { x: pivot.x + half, y: pivot.y }],
  ];
  for (const [what, p] of extremes) {
    const q = turn(p, pivot, -angle);
    if (q.x < -slack || q.y < -slack || q.x > width + slack || q.y > height + slack) {
      throw new ValidationError('FACE_CUT_OFF', `face cut off: the ${what} is outside the photo`, { field: 'photo' });
    }
  }
  return { angle, pivot, cropWidth, cropHeight, eyeDistance: d };
}

interface Cut {
  readonly pixels: Buffer;
  readonly info: OutputInfo;
  readonly analysis: PhotoAnalysis;
  /** Eye centres as fractions of the crop, when detected. */
  readonly eyes: { readonly right: Point; readonly left: Point } | undefined;
}

/** Finds (or takes) the face, judges it, and cuts the ICAO crop out of the photo, uncompressed. */
async function cut(photo: Uint8Array, options: PortraitOptions): Promise<Cut> {
  const size = await readPhoto(photo);
  const upright = await decodeUpright(photo);
  if (options.faceBox !== undefined) return cutAtBox(upright, options.faceBox);
  const started = performance.now();
  const faces = await detectFaces(upright);
  const detectMs = performance.now() - started;
  const face = judgeFaces(faces);
  const frame = icaoFrame(face, size.width, size.height);
  const background = backgroundColour(upright);
  const degrees = (frame.angle * 180) / Math.PI;
  // Only the square around the eye midpoint that holds the crop at any angle is cut out (padded with
  // the backdrop where it leaves the photo) and turned about its centre: the pivot stays at the centre.
  const reach = Math.ceil(Math.hypot(frame.cropWidth / 2, (1 - EYE_LINE) * frame.cropHeight)) + 2;
  const source = { width: upright.width, height: upright.height, channels: 3 as const };
  const around = await extractPadded(Buffer.from(upright.data.buffer, upright.data.byteOffset, upright.data.length), source, {
    left: Math.round(frame.pivot.x) - reach,
    top: Math.round(frame.pivot.y) - reach,
    width: 2 * reach,
    height: 2 * reach,
  }, background);
  const level = Math.abs(degrees) < 0.2;
  const { data, info } = level
    ? around
    : await sharp(around.data, { raw: { width: 2 * reach, height: 2 * reach, channels: 3 } }).rotate(degrees, { background }).raw().toBuffer({ resolveWithObject: true });
  // Where the rounded pivot sits in the turned square, and back: the photo's point p is turn(p − at + pivot, pivot, −angle).
  const offset = { x: frame.pivot.x - Math.round(frame.pivot.x), y: frame.pivot.y - Math.round(frame.pivot.y) };
  const pivot = { x: info.width / 2 + offset.x, y: info.height / 2 + offset.y };
  const crop = { left: pivot.x - frame.cropWidth / 2, top: pivot.y - EYE_LINE * frame.cropHeight, width: frame.cropWidth, height: frame.cropHeight };
  const d = frame.eyeDistance;
  const raw = { width: info.width, height: info.height, channels: 3 as const };
  const [l, t, r, b] = FACE_PATCH;
  judgeFacePatch(await greyRegion(data, raw, { left: pivot.x + l * d, top: pivot.y + t * d, width: (r - l) * d, height: (b - t) * d }, ((r - l) * PATCH_EYE_PX) | 0, background));
  const pixels = await extractPadded(data, raw, crop, background);
  const corners = [
    { x: crop.left, y: crop.top },
    { x: crop.left + crop.width, y: crop.top },
    { x: crop.left + crop.width, y: crop.top + crop.height },
    { x: crop.left, y: crop.top + crop.height },
  ].map((p) => turn({ x: p.x - pivot.x + frame.pivot.x, y: p.y - pivot.y + frame.pivot.y }, frame.pivot, -frame.angle));
  const eyeAt = (dx: number): Point => ({ x: 0.5 + dx / crop.width, y: EYE_LINE });
  return {
    pixels: pixels.data,
    info: pixels.info,
    eyes: { right: eyeAt(-d / 2), left: eyeAt(d / 2) },
    analysis: Object.freeze({
      ...size,
      face,
      faceBox: face.box,
      crop: Object.freeze(corners.map((p) => Object.freeze(p))),
      rollDegrees: -degrees,
      detectMs,
    }),
  };
}

/** The operator's face box: the old centred crop, clamped to the photo; the box itself is judged as the face. */
async function cutAtBox(upright: RgbImage, box: FaceBox): Promise<Cut> {
  const size = { width: upright.width, height: upright.height };
  // the box is given on the photo as shown, i.e. after its EXIF rotation
  if (box.left + box.width > size.width || box.top + box.height > size.height) {
    throw new ValidationError('FACE_BOX_OUTSIDE', `face box ${box.left},${box.top},${box.width},${box.height} is outside the ${size.width}×${size.height} photo`, { field: 'faceBox' });
  }
  const crop = portraitCrop(size.width, size.height, box);
  const data = Buffer.from(upright.data.buffer, upright.data.byteOffset, upright.data.length);
  const raw = { ...size, channels: 3 as const };
  const inner = { left: box.left + box.width * 0.15, top: box.top + box.height * 0.2, width: box.width * 0.7, height: box.height * 0.6 };
  judgeFacePatch(await greyRegion(data, raw, inner, 64, { r: 0, g: 0, b: 0 }));
  const pixels = await sharp(data, { raw }).extract(crop).raw().toBuffer({ resolveWithObject: true });
  const corners = [
    { x: crop.left, y: crop.top },
    { x: crop.left + crop.width, y: crop.top },
    { x: crop.left + crop.width, y: crop.top + crop.height },
    { x: crop.left, y: crop.top + crop.height },
  ];
  return {
    pixels: pixels.data,
    info: pixels.info,
    eyes: undefined,
    analysis: Object.freeze({ ...size, face: undefined, faceBox: box, crop: Object.freeze(corners), rollDegrees: 0, detectMs: 0 }),
  };
}

type Rgb = { r: number; g: number; b: number };
type Raw = { width: number; height: number; channels: 3 };

/** The photo's backdrop colour: the mean of its two upper corners (a twentieth of each side), to fill what rotation or re-framing adds. */
function backgroundColour(image: RgbImage): Rgb {
  const side = Math.max(1, Math.floor(Math.min(image.width, image.height) / 20));
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = 0; y < side; y++) {
    for (let i = 0; i < side; i++) {
      for (const x of [i, image.width - 1 - i]) {
        for (let c = 0; c < 3; c++) sum[c]! += image.data[(y * image.width + x) * 3 + c]!;
        n++;
      }
    }
  }
  return { r: Math.round(sum[0]! / n), g: Math.round(sum[1]! / n), b: Math.round(sum[2]! / n) };
}

/** A rectangle of raw pixels, the parts outside the image filled with `fill`. */
async function extractPadded(data: Buffer, raw: Raw, rect: FaceBox, fill: Rgb): Promise<{ data: Buffer; info: OutputInfo }> {
  const left = Math.round(rect.left);
  const top = Math.round(rect.top);
  const width = Math.max(1, Math.round(rect.width));
  const height = Math.max(1, Math.round(rect.height));
  const pad = {
    left: Math.max(0, -left),
    top: Math.max(0, -top),
    right: Math.max(0, left + width - raw.width),
    bottom: Math.max(0, top + height - raw.height),
  };
  const padded = pad.left + pad.top + pad.right + pad.bottom > 0
    ? sharp(await sharp(data, { raw }).extend({ ...pad, background: fill }).raw().toBuffer(), {
        raw: { width: raw.width + pad.left + pad.right, height: raw.height + pad.top + pad.bottom, channels: 3 },
      })
    : sharp(data, { raw });
  return padded.extract({ left: left + pad.left, top: top + pad.top, width, height }).raw().toBuffer({ resolveWithObject: true });
}

async function greyRegion(data: Buffer, raw: Raw, rect: FaceBox, width: number, fill: Rgb): Promise<Grey> {
  const region = await extractPadded(data, raw, rect, fill);
  const height = Math.max(3, Math.round((width * region.info.height) / region.info.width));
  const grey = await sharp(region.data, { raw: { width: region.info.width, height: region.info.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .greyscale()
    .raw()
    .toBuffer();
  return { data: new Uint8Array(grey.buffer, grey.byteOffset, width * height), width, height };
}

/** Judges the photo as makePortrait would, without compressing: the analysis, or the typed refusal. */
export async function checkPhoto(photo: Uint8Array, options: Pick<PortraitOptions, 'faceBox'> = {}): Promise<PhotoAnalysis> {
  const c = await cut(photo, options);
  await judgeCutBackground(c);
  return c.analysis;
}

async function judgeCutBackground(c: Cut): Promise<void> {
  const height = Math.round(BACKGROUND_WIDTH / ASPECT);
  const grey = await sharp(c.pixels, { raw: { width: c.info.width, height: c.info.height, channels: 3 } })
    .resize(BACKGROUND_WIDTH, height, { fit: 'fill' })
    .greyscale()
    .raw()
    .toBuffer();
  judgeBackground({ data: new Uint8Array(grey.buffer, grey.byteOffset, BACKGROUND_WIDTH * height), width: BACKGROUND_WIDTH, height });
}

/** Finds and judges the face, cuts the ICAO crop, then compresses until the JPEG fits the budget: quality first, then size. */
export async function makePortrait(photo: Uint8Array, options: PortraitOptions = {}): Promise<Portrait> {
  try {
    return await portraitOf(photo, options);
  } catch (e) {
    if (e instanceof ValidationError || e instanceof RangeError || e instanceof TypeError) throw e;
    // libvips fails late on some damaged files (a truncated JPEG): one line, typed, for the operator
    const why = (e as Error).message.split('\n')[0]!.trim();
    throw new ValidationError('PHOTO_UNREADABLE', `photo is not a readable image: ${why}`, { field: 'photo' }, { cause: e });
  }
}

async function portraitOf(photo: Uint8Array, options: PortraitOptions): Promise<Portrait> {
  const maxBytes = options.maxBytes ?? 15_000;
  const grayscale = options.grayscale ?? false;
  const c = await cut(photo, options);
  await judgeCutBackground(c);
  const meta = await sharp(photo).metadata();
  const eyesAt = (width: number, height: number): Portrait['eyes'] =>
    c.eyes === undefined
      ? undefined
      : Object.freeze({
          right: Object.freeze({ x: Math.round(c.eyes.right.x * width), y: Math.round(c.eyes.right.y * height) }),
          left: Object.freeze({ x: Math.round(c.eyes.left.x * width), y: Math.round(c.eyes.left.y * height) }),
        });
  if (isPreparedPortrait(meta, photo.length, options, maxBytes)) {
    // Already an ICAO portrait within budget (e.g. made by an earlier makePortrait for the card
    // face): keep its bytes rather than lose quality to a second JPEG generation.
    const { width, height } = meta as { width: number; height: number };
    return Object.freeze({ jpeg: photo, width, height, quality: 0, grayscale: meta.channels === 1, eyes: eyesAt(width, height), analysis: c.analysis });
  }
  const raw = { width: c.info.width, height: c.info.height, channels: 3 as const };
  for (let width = options.width ?? 420; width >= MIN_OUTPUT_WIDTH; width = Math.floor(width * 0.85)) {
    const height = Math.round(width / ASPECT);
    const base = sharp(c.pixels, { raw }).resize(width, height, { fit: 'fill' });
    // Raw pixels between the steps: one JPEG generation only, and a true one-channel grayscale.
    const pixels = await (grayscale ? base.toColourspace('b-w') : base).raw().toBuffer({ resolveWithObject: true });
    const found = await bestQualityUnder(pixels, maxBytes);
    if (found) {
      return Object.freeze({ jpeg: new Uint8Array(found.jpeg), width, height, quality: found.quality, grayscale, eyes: eyesAt(width, height), analysis: c.analysis });
    }
  }
  throw new ValidationError('PHOTO_BUDGET', `cannot fit the portrait into ${maxBytes} bytes`, { field: 'photo' });
}

function isPreparedPortrait(meta: Metadata, bytes: number, options: PortraitOptions, maxBytes: number): boolean {
  const { format, width = 0, height = 0, orientation = 1 } = meta;
  return (
    format === 'jpeg' &&
    orientation === 1 &&
    options.faceBox === undefined &&
    bytes <= maxBytes &&
    width >= MIN_OUTPUT_WIDTH &&
    width <= (options.width ?? 420) &&
    height === Math.round(width / ASPECT) &&
    (options.grayscale !== true || meta.channels === 1)
  );
}

/** Binary search on JPEG quality 20..90 for the best quality within the budget. */
async function bestQualityUnder(
  pixels: { data: Buffer; info: OutputInfo },
  maxBytes: number,
): Promise<{ jpeg: Buffer; quality: number } | undefined> {
  const { width, height, channels } = pixels.info;
  const raw = { width, height, channels: channels as 1 | 2 | 3 | 4 };
  let lo = 20;
  let hi = 90;
  let best: { jpeg: Buffer; quality: number } | undefined;
  while (lo <= hi) {
    const quality = Math.floor((lo + hi) / 2);
    const image = sharp(pixels.data, { raw });
    const jpeg = await (channels === 1 ? image.toColourspace('b-w') : image).jpeg({ quality, mozjpeg: true, chromaSubsampling: '4:2:0' }).toBuffer();
    if (jpeg.length <= maxBytes) {
      best = { jpeg, quality };
      lo = quality + 1;
    } else {
      hi = quality - 1;
    }
  }
  return best;
}
