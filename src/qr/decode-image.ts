/**
 * QR codes from camera images: jsQR (ISO/IEC 18004 decoding) fed by sharp (libvips).
 *
 * jsQR takes RGBA and spends its time per pixel, so the cheap pass comes first: a frame
 * shrunk to at most FAST_WIDTH pixels wide (JPEG shrink-on-load), with the luminance computed
 * by libvips into every channel. Only when that finds nothing do the slower passes run, on the
 * image decoded once to raw RGB: full resolution, then contrast normalisation, scales,
 * rotations of ±15° and ±30°, sharpening, a median filter against noise, a threshold and the
 * inverted image, until one decodes. Every code a pass finds is blanked out and the pass
 * repeated, so several codes per image come back. Byte-mode content is returned as the exact
 * bytes (jsQR's binaryData), never re-encoded from text.
 */
import { readFile } from 'node:fs/promises';
import jsQRModule from 'jsqr';
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { equalBytes } from '../lds/bytes.js';
import { CancuocError, ParseError } from '../lds/errors.js';

export interface QrCode {
  /** The payload bytes exactly as stored in the symbol. */
  readonly bytes: Uint8Array;
  /** jsQR's text reading of the payload (for display only). */
  readonly text: string;
  readonly version: number;
  /** The pass that found it, e.g. "fast", "full", "normalise+rotate15". */
  readonly pass: string;
}

export interface DecodeImageOptions {
  /** Stop after this many codes (default 8); 1 is the fast path for a video stream. */
  readonly maxCodes?: number;
  /** Only the cheap passes (fast, full resolution): for live video where the next frame comes soon. */
  readonly fastOnly?: boolean;
}

// jsqr is CommonJS whose module.exports.default is the decoder (NodeNext default import = module.exports)
const jsQR = jsQRModule.default;

const FAST_WIDTH = 800;
// ITU-R BT.709 luma, as jsQR weighs RGB: every output channel carries the luminance
const LUMA: [number, number, number] = [0.2126, 0.7152, 0.0722];
const LUMA_3X3: [[number, number, number], [number, number, number], [number, number, number]] = [LUMA, LUMA, LUMA];
const WHITE = { r: 255, g: 255, b: 255 };

interface Frame {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/** Where a scanned frame sits in the source image: source = left/top + frame · scale. */
interface Placement {
  readonly left: number;
  readonly top: number;
  readonly scale: number;
}

/** A pipeline to scan, and its placement when it is a plain crop or scaling of the source. */
interface Region {
  readonly pipeline: Sharp;
  readonly placement: Placement | undefined;
}

interface Pass {
  readonly name: string;
  /** One region per pipeline to scan; most passes scan the whole image. */
  readonly build: (raw: () => Sharp, width: number, height: number) => Region[];
  readonly invert?: boolean;
}

const AT_ORIGIN: Placement = { left: 0, top: 0, scale: 1 };

/** A pass over the whole image; `scale` = source width / scanned width, undefined if the geometry changes. */
const whole =
  (op: (s: Sharp, width: number) => Sharp, scale: number | undefined = 1) =>
  (raw: () => Sharp, width: number): Region[] => [{ pipeline: op(raw(), width), placement: scale === undefined ? undefined : { ...AT_ORIGIN, scale } }];

/**
 * Overlapping halves (60 % each way): jsQR pairs finder patterns across the whole image, so two
 * codes side by side can hide each other until they are looked at apart.
 */
function halves(raw: () => Sharp, width: number, height: number): Region[] {
  const w = Math.round(width * 0.6);
  const h = Math.round(height * 0.6);
  return [
    { left: 0, top: 0, width: w, height },
    { left: width - w, top: 0, width: w, height },
    { left: 0, top: 0, width, height: h },
    { left: 0, top: height - h, width, height: h },
  ].map((r) => ({ pipeline: raw().extract(r).normalise(), placement: { left: r.left, top: r.top, scale: 1 } }));
}

const FULL: Pass = { name: 'full', build: whole((s) => s) };
const HALVES: Pass = { name: 'halves', build: halves };

/** Slow passes over the full-resolution RGB image, in order. */
const RETRIES: readonly Pass[] = Object.freeze([
  { name: 'normalise', build: whole((s) => s.normalise()) },
  HALVES,
  { name: 'normalise+half', build: whole((s, w) => s.normalise().resize({ width: Math.max(1, Math.round(w / 2)) }), undefined) },
  { name: 'normalise+double', build: whole((s, w) => s.normalise().resize({ width: Math.min(4096, w * 2) }), undefined) },
  ...[15, -15, 30, -30].map((deg) => ({ name: `normalise+rotate${deg}`, build: whole((s) => s.rotate(deg, { background: WHITE }).normalise(), undefined) })),
  { name: 'sharpen', build: whole((s) => s.normalise().sharpen({ sigma: 2 })) },
  { name: 'median', build: whole((s) => s.median(3).normalise()) },
  { name: 'median+half', build: whole((s, w) => s.median(5).normalise().resize({ width: Math.max(1, Math.round(w / 2)) }), undefined) },
  { name: 'threshold', build: whole((s) => s.normalise().threshold(128, { grayscale: false })) },
  { name: 'inverted', build: whole((s) => s.normalise()), invert: true },
]);

/** Decodes the QR codes in an image (PNG, JPEG, WebP, TIFF, … or raw RGB described by sharp). */
export async function decodeQrImage(input: Uint8Array | string, options: DecodeImageOptions = {}): Promise<readonly QrCode[]> {
  const maxCodes = options.maxCodes ?? 8;
  if (!Number.isInteger(maxCodes) || maxCodes < 1) throw new RangeError(`"maxCodes" expected a positive integer, got ${String(maxCodes)}`);
  const bytes = await load(input);
  const meta = await guard(() => sharp(bytes).metadata());
  if (meta.width === undefined || meta.height === undefined) {
    throw new ParseError('QR_IMAGE_UNREADABLE', 'image has no dimensions', { offset: 0 });
  }
  const width = meta.width;
  const found: QrCode[] = [];

  // the source decoded once to raw RGB, lazily (most frames decode in the first pass); codes
  // found are blanked in it so that later passes see the others
  const boxes: Box[] = [];
  let rgb: { data: Buffer; info: OutputInfo } | undefined;
  const paint = (box: Box): void => {
    const { width: w, height: h, channels } = rgb!.info;
    for (let y = box.y0; y < Math.min(box.y1, h); y++) rgb!.data.fill(255, (y * w + box.x0) * channels, (y * w + Math.min(box.x1, w)) * channels);
  };
  const source = async (): Promise<{ data: Buffer; info: OutputInfo }> => {
    if (rgb === undefined) {
      rgb = await guard(() => sharp(bytes).flatten({ background: WHITE }).raw().toBuffer({ resolveWithObject: true }));
      boxes.forEach(paint);
    }
    return rgb;
  };
  const scanRegion = async (region: Region, pass: string, invert: boolean): Promise<boolean> => {
    const frame = await guard(() => rgba(region.pipeline));
    const hits = scan(frame, pass, invert, found, maxCodes);
    for (const hit of region.placement === undefined ? [] : hits) {
      const box = place(hit, region.placement!);
      boxes.push(box);
      if (rgb !== undefined) paint(box);
    }
    return hits.length > 0;
  };
  const runPass = async (pass: Pass): Promise<boolean> => {
    const { data, info } = await source();
    const raw = (): Sharp => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
    let any = false;
    for (const region of pass.build(raw, info.width, info.height)) {
      if (found.length >= maxCodes) break;
      any = (await scanRegion(region, pass.name, pass.invert === true)) || any;
    }
    return any;
  };

  // pass 1: shrunk (JPEG shrink-on-load), luminance by libvips
  const fastWidth = Math.min(width, FAST_WIDTH);
  const fast = { pipeline: sharp(bytes).resize({ width: fastWidth }), placement: { ...AT_ORIGIN, scale: width / fastWidth } };
  let done = await scanRegion(fast, 'fast', false);
  if (found.length >= maxCodes || (done && options.fastOnly === true)) return freeze(found);
  done = done || (width > FAST_WIDTH && (await runPass(FULL)));
  if (options.fastOnly === true) return freeze(found);
  for (const pass of RETRIES) {
    if (done) break;
    done = await runPass(pass);
  }
  // more codes may hide next to those found: once more over the source with them blanked out
  if (found.length > 0 && found.length < maxCodes && !(await runPass(FULL))) await runPass(HALVES);
  return freeze(found);
}

async function load(input: Uint8Array | string): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input;
  if (typeof input !== 'string') throw new TypeError('"input" expected image bytes or a file path');
  try {
    return new Uint8Array(await readFile(input));
  } catch (e) {
    throw new CancuocError('QR_IMAGE_UNREADABLE', `cannot read ${input}: ${(e as Error).message}`, { file: input }, { cause: e });
  }
}

/** libvips errors (not an image, truncated data) become a ParseError. */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof CancuocError) throw e;
    throw new ParseError('QR_IMAGE_UNREADABLE', `not a readable image: ${(e as Error).message}`, { offset: 0 }, { cause: e });
  }
}

/** RGBA pixels whose R, G and B all hold the luminance; alpha is ignored by jsQR. */
async function rgba(s: Sharp): Promise<Frame> {
  const { data, info } = await s.flatten({ background: WHITE }).recomb(LUMA_3X3).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** A bounding box in pixels, x1/y1 exclusive. */
interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/**
 * Runs jsQR on `frame` until it finds nothing more, blanking each code found in the frame, and
 * returns their boxes. jsQR sometimes "finds" an empty code in noise: blanked, not reported.
 */
function scan(frame: Frame, pass: string, invert: boolean, found: QrCode[], maxCodes: number): Box[] {
  const hits: Box[] = [];
  for (let tries = 0; found.length < maxCodes && tries < maxCodes + 4; tries++) {
    let code;
    try {
      code = jsQR(frame.data, frame.width, frame.height, { inversionAttempts: invert ? 'onlyInvert' : 'dontInvert' });
    } catch {
      code = null; // jsQR throws plain Errors on internal failures: treat as nothing found
    }
    if (code === null) break;
    const box = boxOf(frame, code.location);
    for (let y = box.y0; y < box.y1; y++) frame.data.fill(invert ? 0 : 255, (y * frame.width + box.x0) * 4, (y * frame.width + box.x1) * 4);
    if (code.binaryData.length === 0) continue;
    const bytes = Uint8Array.from(code.binaryData);
    if (!found.some((c) => equalBytes(c.bytes, bytes))) found.push(Object.freeze({ bytes, text: code.data, version: code.version, pass }));
    hits.push(box);
  }
  return hits;
}

type Corners = NonNullable<ReturnType<typeof jsQR>>['location'];

/** The bounding box of a located code, with a margin of about two modules. */
function boxOf(frame: Frame, loc: Corners): Box {
  const pts = [loc.topLeftCorner, loc.topRightCorner, loc.bottomLeftCorner, loc.bottomRightCorner];
  const margin = Math.hypot(loc.topRightCorner.x - loc.topLeftCorner.x, loc.topRightCorner.y - loc.topLeftCorner.y) / 10;
  return {
    x0: Math.max(0, Math.floor(Math.min(...pts.map((p) => p.x)) - margin)),
    x1: Math.min(frame.width, Math.ceil(Math.max(...pts.map((p) => p.x)) + margin)),
    y0: Math.max(0, Math.floor(Math.min(...pts.map((p) => p.y)) - margin)),
    y1: Math.min(frame.height, Math.ceil(Math.max(...pts.map((p) => p.y)) + margin)),
  };
}

function place(b: Box, p: Placement): Box {
  const at = (v: number, offset: number, round: (x: number) => number): number => Math.max(0, round(offset + v * p.scale));
  return { x0: at(b.x0, p.left, Math.floor), y0: at(b.y0, p.top, Math.floor), x1: at(b.x1, p.left, Math.ceil), y1: at(b.y1, p.top, Math.ceil) };
}

function freeze(found: QrCode[]): readonly QrCode[] {
  return Object.freeze([...found]);
}
