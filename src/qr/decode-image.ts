/**
 * QR codes (ISO/IEC 18004) from camera images: sharp (libvips) turns the image into 8-bit
 * luminance, and QR engines (qr-engine.ts) read it: zxing-wasm first, jsQR as the fallback, the
 * order chosen by measurement (bench/qr.ts, README "QR decoding").
 *
 * The cheap passes come first: the frame (shrunk to FAST_WIDTH pixels wide when large), then, only
 * if that finds nothing, the full resolution. Only when both fail does the retry ladder run, over the
 * image decoded once to luminance (and normalised once): contrast normalisation, halves, scales,
 * rotations, sharpening, a median filter against noise, a threshold and the inverted image. The
 * engines take turns over these passes, the next only when the one before read nothing; the one
 * that reads a code alone looks for more, with every code found blanked out of the source.
 * Byte-mode content is returned as the exact bytes, never re-encoded from text.
 */
import sharp, { type Sharp } from 'sharp';
import { readInputFile } from '../crypto/file-io.js';
import { equalBytes } from '../lds/bytes.js';
import { CancuocError, ParseError } from '../lds/errors.js';
import { boxOf, fillBox, type Box, type EngineHit, type LumaFrame, type QrEngine } from './qr-engine.js';
import { jsqrEngine } from './qr-engine-jsqr.js';
import { zxingEngine } from './qr-engine-zxing.js';

export type { QrEngine } from './qr-engine.js';
export { jsqrEngine, zxingEngine };

export interface QrCode {
  /** The payload bytes exactly as stored in the symbol. */
  readonly bytes: Uint8Array;
  /** The engine's text reading of the payload (for display only). */
  readonly text: string;
  readonly version: number;
  /** The pass that found it, e.g. "fast", "full", "normalise+rotate15". */
  readonly pass: string;
  /** The engine that read it: "zxing-wasm" or "jsqr". */
  readonly engine: string;
}

export interface DecodeImageOptions {
  /** Stop after this many codes (default 8); 1 is the fast path for a video stream. */
  readonly maxCodes?: number;
  /**
   * Only the cheap passes (fast, full resolution) and only the first engine: for live video,
   * where most frames hold no code and the next frame comes soon.
   */
  readonly fastOnly?: boolean;
  /** The engines in order (default DEFAULT_ENGINES): each runs only when those before read nothing. */
  readonly engines?: readonly QrEngine[];
  /**
   * Milliseconds after which no further retry pass or engine starts (default DEFAULT_BUDGET_MS;
   * Infinity for none). The fast and full-resolution passes of the first engine always run. A
   * large photo with no code otherwise takes the whole ladder, which is many seconds.
   */
  readonly budgetMs?: number;
}

export const DEFAULT_BUDGET_MS = 3000;

/** zxing-wasm, then jsQR: zxing-wasm read the degraded set faster and as often (bench/qr.ts). */
export const DEFAULT_ENGINES: readonly QrEngine[] = Object.freeze([zxingEngine, jsqrEngine]);

// The first pass is shrunk to FAST_WIDTH only from SHRINK_FROM pixels wide: at 1280 or 1920 wide,
// libvips resampling costs more than it saves the engine (measured with zxing-wasm, which also
// scans a downscaled copy by itself, tryDownscale); at 4000 wide shrinking is 5 times faster.
const FAST_WIDTH = 800;
const SHRINK_FROM = 3 * FAST_WIDTH;
const WHITE = { r: 255, g: 255, b: 255 };

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
  /** Start from the normalised source (computed once) rather than the source itself. */
  readonly normalised: boolean;
  /** One region per pipeline to scan; most passes scan the whole image. */
  readonly build: (src: () => Sharp, width: number, height: number) => Region[];
  readonly invert?: boolean;
}

const AT_ORIGIN: Placement = { left: 0, top: 0, scale: 1 };

/** A pass over the whole image; `scale` = source width / scanned width, undefined if the geometry changes. */
const whole =
  (op: (s: Sharp, width: number) => Sharp, scale: number | undefined = 1) =>
  (src: () => Sharp, width: number): Region[] => [{ pipeline: op(src(), width), placement: scale === undefined ? undefined : { ...AT_ORIGIN, scale } }];

/**
 * Overlapping halves (60 % each way), each normalised on its own: jsQR pairs finder patterns
 * across the whole image, so two codes side by side can hide each other until looked at apart.
 */
function halves(src: () => Sharp, width: number, height: number): Region[] {
  const w = Math.round(width * 0.6);
  const h = Math.round(height * 0.6);
  return [
    { left: 0, top: 0, width: w, height },
    { left: width - w, top: 0, width: w, height },
    { left: 0, top: 0, width, height: h },
    { left: 0, top: height - h, width, height: h },
  ].map((r) => ({ pipeline: src().extract(r).normalise(), placement: { left: r.left, top: r.top, scale: 1 } }));
}

const half = (w: number): { width: number } => ({ width: Math.max(1, Math.round(w / 2)) });

const FULL: Pass = { name: 'full', normalised: false, build: whole((s) => s) };
const HALVES: Pass = { name: 'halves', normalised: false, build: halves };

/** Slow passes over the full-resolution luminance, in order; one normalisation shared by most. */
const RETRIES: readonly Pass[] = Object.freeze([
  { name: 'normalise', normalised: true, build: whole((s) => s) },
  HALVES,
  { name: 'normalise+half', normalised: true, build: whole((s, w) => s.resize(half(w)), undefined) },
  { name: 'normalise+double', normalised: true, build: whole((s, w) => s.resize({ width: Math.min(4096, w * 2) }), undefined) },
  ...[15, -15, 30, -30].map((deg) => ({ name: `normalise+rotate${deg}`, normalised: true, build: whole((s) => s.rotate(deg, { background: WHITE }), undefined) })),
  { name: 'sharpen', normalised: true, build: whole((s) => s.sharpen({ sigma: 2 })) },
  { name: 'median', normalised: false, build: whole((s) => s.median(3).normalise()) },
  { name: 'median+half', normalised: false, build: whole((s, w) => s.median(5).normalise().resize(half(w)), undefined) },
  { name: 'threshold', normalised: true, build: whole((s) => s.threshold(128)) },
  { name: 'inverted', normalised: true, build: whole((s) => s), invert: true },
]);

/** Decodes the QR codes in an image (PNG, JPEG, WebP, TIFF, … or raw RGB described by sharp). */
export async function decodeQrImage(input: Uint8Array | string, options: DecodeImageOptions = {}): Promise<readonly QrCode[]> {
  const maxCodes = options.maxCodes ?? 8;
  if (!Number.isInteger(maxCodes) || maxCodes < 1) throw new RangeError(`"maxCodes" expected a positive integer, got ${String(maxCodes)}`);
  const engines = options.engines ?? DEFAULT_ENGINES;
  if (!Array.isArray(engines) || engines.length === 0 || !engines.every((e) => typeof e?.scan === 'function')) {
    throw new TypeError('"engines" expected a non-empty array of QR engines');
  }
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  if (typeof budgetMs !== 'number' || !(budgetMs >= 0)) throw new RangeError(`"budgetMs" expected a number ≥ 0, got ${String(budgetMs)}`);
  const deadline = performance.now() + budgetMs;
  const late = (): boolean => performance.now() > deadline;
  const bytes = await load(input);
  const meta = await guard(() => sharp(bytes).metadata());
  if (meta.width === undefined || meta.height === undefined) {
    throw new ParseError('QR_IMAGE_UNREADABLE', 'image has no dimensions', { offset: 0 });
  }
  const width = meta.width;
  const found: QrCode[] = [];

  // the source decoded once to luminance (and normalised once), lazily: most frames decode in the
  // first pass; codes found are blanked in both so that later passes see the others
  const boxes: Box[] = [];
  const sources: { plain?: LumaFrame; normalised?: LumaFrame } = {};
  const paint = (box: Box): void => {
    for (const f of [sources.plain, sources.normalised]) if (f !== undefined) fillBox(f.data, f.width, 1, box, 255);
  };
  const source = async (normalised: boolean): Promise<LumaFrame> => {
    sources.plain ??= await guard(() => luma(sharp(bytes)));
    if (normalised) sources.normalised ??= await guard(() => luma(raw(sources.plain!).normalise()));
    boxes.forEach(paint);
    return (normalised ? sources.normalised : sources.plain)!;
  };

  const record = (hits: readonly EngineHit[], frame: LumaFrame, placement: Placement | undefined, pass: string, engine: string): void => {
    for (const hit of hits) {
      if (found.length < maxCodes && !found.some((c) => equalBytes(c.bytes, hit.bytes))) {
        found.push(Object.freeze({ bytes: hit.bytes, text: hit.text, version: hit.version, pass, engine }));
      }
      if (placement === undefined) continue;
      const box = place(boxOf(hit.corners, frame.width, frame.height), placement);
      boxes.push(box);
      paint(box);
    }
  };
  const scanFrame = async (engine: QrEngine, frame: LumaFrame, placement: Placement | undefined, pass: string, invert: boolean): Promise<boolean> => {
    const hits = await engine.scan(frame, { maxCodes: maxCodes - found.length, invert });
    record(hits, frame, placement, pass, engine.name);
    return hits.length > 0;
  };
  const runPass = async (engine: QrEngine, pass: Pass): Promise<boolean> => {
    const src = await source(pass.normalised);
    let any = false;
    for (const region of pass.build(() => raw(src), src.width, src.height)) {
      if (found.length >= maxCodes || (pass !== FULL && late())) break;
      const frame = await guard(() => luma(region.pipeline));
      any = (await scanFrame(engine, frame, region.placement, pass.name, pass.invert === true)) || any;
    }
    return any;
  };

  // pass 1: shrunk (JPEG shrink-on-load) when the image is large, else the source itself
  const fastWidth = width >= SHRINK_FROM ? FAST_WIDTH : width;
  const fast = await guard(() => luma(fastWidth < width ? sharp(bytes).resize({ width: fastWidth }) : sharp(bytes)));
  if (fastWidth === width) sources.plain = { ...fast, data: fast.data.slice() };
  const fastOnly = options.fastOnly === true;
  const ladder = async (engine: QrEngine): Promise<boolean> => {
    if (await scanFrame(engine, fast, { ...AT_ORIGIN, scale: width / fastWidth }, 'fast', false)) return true;
    if (fastWidth < width && (await runPass(engine, FULL))) return true;
    for (const pass of fastOnly ? [] : RETRIES) {
      if (late()) return false;
      if (await runPass(engine, pass)) return true;
    }
    return false;
  };
  // each engine over the whole ladder, the next only when those before read nothing at all: a
  // codeless frame costs the fallback's time only off the fast path, where video has no use for it
  let reader: QrEngine | undefined;
  for (const [i, engine] of (fastOnly ? engines.slice(0, 1) : engines).entries()) {
    if (i > 0 && late()) break;
    if (await ladder(engine)) {
      reader = engine;
      break;
    }
  }
  if (reader === undefined || fastOnly || found.length >= maxCodes || late()) return freeze(found);
  // more codes may hide next to those found: once more over the source with them blanked out
  if (!(await runPass(reader, FULL))) await runPass(reader, HALVES);
  return freeze(found);
}

async function load(input: Uint8Array | string): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input;
  if (typeof input !== 'string') throw new TypeError('"input" expected image bytes or a file path');
  try {
    return await readInputFile(input, 'qrImage');
  } catch (e) {
    throw new CancuocError('QR_IMAGE_UNREADABLE', (e as Error).message, {}, { cause: e });
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

/** A luminance frame in sharp again, for the passes built on it. */
function raw(frame: LumaFrame): Sharp {
  return sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 1 } });
}

/** The pipeline's output as one byte of luminance per pixel, transparency flattened onto white. */
async function luma(s: Sharp): Promise<LumaFrame> {
  const { data, info } = await s.flatten({ background: WHITE }).greyscale().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new ParseError('QR_IMAGE_UNREADABLE', `expected 1 luminance channel, got ${info.channels}`, { offset: 0 });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

function place(b: Box, p: Placement): Box {
  const at = (v: number, offset: number, round: (x: number) => number): number => Math.max(0, round(offset + v * p.scale));
  return { x0: at(b.x0, p.left, Math.floor), y0: at(b.y0, p.top, Math.floor), x1: at(b.x1, p.left, Math.ceil), y1: at(b.y1, p.top, Math.ceil) };
}

function freeze(found: QrCode[]): readonly QrCode[] {
  return Object.freeze([...found]);
}
