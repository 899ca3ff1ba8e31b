/**
 * The interface between the image pipeline (decode-image.ts) and a QR symbol reader
 * (ISO/IEC 18004:2015 detection and decoding): zxing-cpp compiled to WebAssembly, or jsQR.
 * The pipeline hands an engine a luminance frame; the engine returns every symbol it read, with
 * the payload bytes exactly as stored and the four corners, so that the pipeline can blank a
 * code out and look for others.
 */

/** An 8-bit luminance image: one byte per pixel, row after row, no padding. */
export interface LumaFrame {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** One symbol read by an engine. */
export interface EngineHit {
  /** The payload bytes exactly as stored in the symbol (byte mode: the raw bytes, never re-encoded). */
  readonly bytes: Uint8Array;
  /** The engine's text reading of the payload, for display only. */
  readonly text: string;
  /** The symbol version, 1–40. */
  readonly version: number;
  /** Top-left, top-right, bottom-right, bottom-left, in frame pixels. */
  readonly corners: readonly [Point, Point, Point, Point];
}

export interface ScanOptions {
  /** Return at most this many symbols. */
  readonly maxCodes: number;
  /** Look for light-on-dark symbols (reflectance reversal, which ISO/IEC 18004 allows readers to support). */
  readonly invert: boolean;
}

/** A QR reader. `scan` never throws for a frame in which it cannot read anything: it returns []. */
export interface QrEngine {
  readonly name: string;
  /** Reads the symbols in `frame`; the frame is not modified. */
  scan(frame: LumaFrame, options: ScanOptions): Promise<readonly EngineHit[]>;
}

/** Argument check shared by the engines: a frame whose buffer does not match its size is misuse. */
export function checkFrame(frame: LumaFrame): LumaFrame {
  if (!(frame?.data instanceof Uint8Array)) throw new TypeError('"frame.data" expected a Uint8Array');
  const { width, height } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || frame.data.length !== width * height) {
    throw new RangeError(`"frame" expected ${String(width)}×${String(height)} = data.length luminance bytes, got ${frame.data.length}`);
  }
  return frame;
}

/** A bounding box in pixels, x1/y1 exclusive. */
export interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/**
 * The bounding box of a symbol's corners, clipped to the frame, with a margin of a tenth of the
 * top edge (about two modules of the 4-module quiet zone, ISO/IEC 18004 §6.3.8) so that blanking the
 * box leaves no finder pattern behind.
 */
export function boxOf(corners: EngineHit['corners'], width: number, height: number): Box {
  const [tl, tr] = corners;
  const margin = Math.hypot(tr.x - tl.x, tr.y - tl.y) / 10;
  const xs = corners.map((p) => p.x);
  const ys = corners.map((p) => p.y);
  return {
    x0: Math.max(0, Math.floor(Math.min(...xs) - margin)),
    x1: Math.min(width, Math.ceil(Math.max(...xs) + margin)),
    y0: Math.max(0, Math.floor(Math.min(...ys) - margin)),
    y1: Math.min(height, Math.ceil(Math.max(...ys) + margin)),
  };
}

/** Fills `box`, clipped to the frame, in pixels of `channels` bytes with `value` (255 blanks a dark-on-light code). */
export function fillBox(data: Uint8Array | Uint8ClampedArray, width: number, channels: number, box: Box, value: number): void {
  const x1 = Math.min(box.x1, width);
  const y1 = Math.min(box.y1, Math.floor(data.length / (width * channels)));
  for (let y = box.y0; y < y1; y++) data.fill(value, (y * width + box.x0) * channels, (y * width + x1) * channels);
}
