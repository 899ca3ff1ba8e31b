/**
 * The holder's portrait for DG2: an ICAO-proportioned JPEG under a byte budget.
 * ICAO 9303-3 (8th ed.) §3.9 and ISO/IEC 19794-5 §8: 35×45 mm portrait, head centred, about 70–80 %
 * of the height. Photos that cannot give a usable portrait are rejected with a reason.
 */
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { ValidationError } from '../lds/errors.js';

export interface FaceBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface PortraitOptions {
  /** Largest JPEG size in bytes (default 15 000). */
  readonly maxBytes?: number;
  /** Where the face is in the source image; default: the image centre. */
  readonly faceBox?: FaceBox;
  readonly grayscale?: boolean;
  /** Output width in pixels before any shrinking needed to meet the budget (default 420). */
  readonly width?: number;
}

export interface Portrait {
  readonly jpeg: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** JPEG quality used; 0 when the photo already was such a portrait and was kept as given. */
  readonly quality: number;
  readonly grayscale: boolean;
}

/** ICAO 35×45 portrait proportions. */
const ASPECT = 35 / 45;
const MIN_SOURCE_HEIGHT = 240;
const MIN_OUTPUT_WIDTH = 180;
/** The face box is taken to be the head; ICAO wants the head at about 3/4 of the portrait height. */
const HEAD_SHARE = 0.75;

export interface PhotoQuality {
  readonly meanLuma: number;
  readonly clippedShare: number;
  readonly sharpness: number;
}

/** Measures what decides whether a photo is usable: brightness, clipping, and sharpness (Laplacian spread). */
export async function measurePhoto(image: Uint8Array): Promise<PhotoQuality> {
  const { data, info } = await sharp(image).greyscale().resize({ width: 320, withoutEnlargement: true }).raw().toBuffer({
    resolveWithObject: true,
  });
  const { width, height } = info;
  let sum = 0;
  let clipped = 0;
  for (const v of data) {
    sum += v;
    if (v >= 250) clipped++;
  }
  let lapSum = 0;
  let lapSq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap = 4 * data[i]! - data[i - 1]! - data[i + 1]! - data[i - width]! - data[i + width]!;
      lapSum += lap;
      lapSq += lap * lap;
      n++;
    }
  }
  const mean = lapSum / Math.max(1, n);
  return Object.freeze({
    meanLuma: sum / data.length,
    clippedShare: clipped / data.length,
    sharpness: Math.sqrt(Math.max(0, lapSq / Math.max(1, n) - mean * mean)),
  });
}

/** Thresholds chosen so that ordinary ID photos pass and obviously unusable ones do not. */
const LIMITS = Object.freeze({ minLuma: 50, maxLuma: 242, maxClipped: 0.25, minSharpness: 4 });

export async function checkPhoto(image: Uint8Array): Promise<void> {
  let meta: Metadata;
  try {
    meta = await sharp(image).metadata();
  } catch (e) {
    throw new ValidationError('PHOTO_UNREADABLE', `photo is not a readable image: ${(e as Error).message}`, {
      field: 'photo',
    });
  }
  if ((meta.height ?? 0) < MIN_SOURCE_HEIGHT || (meta.width ?? 0) < MIN_SOURCE_HEIGHT * ASPECT) {
    throw new ValidationError(
      'PHOTO_TOO_SMALL',
      `photo is ${meta.width}×${meta.height}; at least ${Math.ceil(MIN_SOURCE_HEIGHT * ASPECT)}×${MIN_SOURCE_HEIGHT} needed`,
      { field: 'photo' },
    );
  }
  const q = await measurePhoto(image);
  if (q.meanLuma < LIMITS.minLuma) {
    throw new ValidationError('PHOTO_TOO_DARK', `photo too dark (mean brightness ${q.meanLuma.toFixed(0)}/255)`, {
      field: 'photo',
    });
  }
  if (q.meanLuma > LIMITS.maxLuma || q.clippedShare > LIMITS.maxClipped) {
    throw new ValidationError(
      'PHOTO_OVEREXPOSED',
      `photo overexposed (mean ${q.meanLuma.toFixed(0)}/255, ${(q.clippedShare * 100).toFixed(0)} % clipped)`,
      { field: 'photo' },
    );
  }
  if (q.sharpness < LIMITS.minSharpness) {
    throw new ValidationError('PHOTO_BLURRED', `photo blurred (sharpness ${q.sharpness.toFixed(1)})`, {
      field: 'photo',
    });
  }
}

/** The 35:45 crop around the face box (or the centre), clamped to the image. */
export function portraitCrop(imageWidth: number, imageHeight: number, face?: FaceBox): FaceBox {
  let height = face ? face.height / HEAD_SHARE : imageHeight;
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

/**
 * Crops, resizes and compresses until the JPEG fits the budget: quality first, then size. A photo
 * libvips cannot decode (a truncated JPEG) is a PHOTO_UNREADABLE ValidationError on one line.
 */
export async function makePortrait(photo: Uint8Array, options: PortraitOptions = {}): Promise<Portrait> {
  try {
    return await portraitOf(photo, options);
  } catch (e) {
    if (e instanceof ValidationError) throw e;
    const why = (e as Error).message.split('\n')[0]!.trim();
    throw new ValidationError('PHOTO_UNREADABLE', `photo is not a readable image: ${why}`, { field: 'photo' }, { cause: e });
  }
}

async function portraitOf(photo: Uint8Array, options: PortraitOptions): Promise<Portrait> {
  await checkPhoto(photo);
  const maxBytes = options.maxBytes ?? 15_000;
  const grayscale = options.grayscale ?? false;
  const meta = await sharp(photo).metadata();
  if (isPreparedPortrait(meta, photo.length, options, maxBytes)) {
    // Already an ICAO portrait within budget (e.g. made by an earlier makePortrait for the card
    // face): keep its bytes rather than lose quality to a second JPEG generation.
    return Object.freeze({ jpeg: photo, width: meta.width, height: meta.height, quality: 0, grayscale: meta.channels === 1 });
  }
  // metadata() gives the stored size; the crop applies after the EXIF rotation (orientation 5–8 swap the sides)
  const { width, height } = meta.autoOrient;
  const box = options.faceBox;
  if (box !== undefined && (box.left + box.width > width || box.top + box.height > height)) {
    throw new ValidationError('FACE_BOX_OUTSIDE', `face box ${box.left},${box.top},${box.width},${box.height} is outside the ${width}×${height} photo`, { field: 'faceBox' });
  }
  const crop = portraitCrop(width, height, box);
  const cropped = await sharp(photo).rotate().extract(crop).toBuffer();
  for (let width = options.width ?? 420; width >= MIN_OUTPUT_WIDTH; width = Math.floor(width * 0.85)) {
    const height = Math.round(width / ASPECT);
    const base = sharp(cropped).resize(width, height, { fit: 'fill' });
    // Raw pixels between the steps: one JPEG generation only, and a true one-channel grayscale.
    const pixels = await (grayscale ? base.toColourspace('b-w') : base).raw().toBuffer({ resolveWithObject: true });
    const found = await bestQualityUnder(pixels, maxBytes);
    if (found) {
      return Object.freeze({ jpeg: new Uint8Array(found.jpeg), width, height, quality: found.quality, grayscale });
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
