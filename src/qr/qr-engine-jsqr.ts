/**
 * The jsQR engine (pure JavaScript ISO/IEC 18004 reader): the fallback behind zxing-wasm.
 * jsQR reads RGBA only and returns one symbol per call, so each code found is blanked in a
 * private RGBA copy of the frame and the frame scanned again. Its time grows with the pixels and
 * the clutter (about 7 s on a 6-megapixel photo without a code), so larger frames are read
 * shrunk by a whole factor to at most MAX_PIXELS; a code jsQR can read there keeps ≥ 2 pixels a
 * module down to about 4 in the original.
 */
import jsQRModule from 'jsqr';
import { boxOf, checkFrame, fillBox, type EngineHit, type LumaFrame, type Point, type QrEngine, type ScanOptions } from './qr-engine.js';

// jsqr is CommonJS whose module.exports.default is the decoder (NodeNext default import = module.exports)
const jsQR = jsQRModule.default;

const MAX_PIXELS = 2_000_000;

/** The frame averaged over k×k blocks (the last partial row and column dropped). */
function shrink(frame: LumaFrame, k: number): LumaFrame {
  const width = Math.floor(frame.width / k);
  const height = Math.floor(frame.height / k);
  const data = new Uint8Array(width * height);
  const area = k * k;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let dy = 0; dy < k; dy++) {
        const row = (y * k + dy) * frame.width + x * k;
        for (let dx = 0; dx < k; dx++) sum += frame.data[row + dx]!;
      }
      data[y * width + x] = Math.round(sum / area);
    }
  }
  return { data, width, height };
}

/** RGBA pixels whose four bytes all carry the luminance (jsQR ignores alpha), one word per pixel. */
function rgbaOf(frame: LumaFrame): Uint8ClampedArray {
  const out = new Uint32Array(frame.data.length);
  for (let i = 0; i < frame.data.length; i++) out[i] = frame.data[i]! * 0x01010101;
  return new Uint8ClampedArray(out.buffer);
}

async function scan(input: LumaFrame, options: ScanOptions): Promise<readonly EngineHit[]> {
  checkFrame(input);
  const k = Math.ceil(Math.sqrt((input.width * input.height) / MAX_PIXELS));
  const frame = k > 1 ? shrink(input, k) : input;
  const rgba = rgbaOf(frame);
  const hits: EngineHit[] = [];
  // jsQR sometimes "finds" an empty code in noise: blanked, not reported, and a few extra tries allowed
  for (let tries = 0; hits.length < options.maxCodes && tries < options.maxCodes + 4; tries++) {
    let code;
    try {
      code = jsQR(rgba, frame.width, frame.height, { inversionAttempts: options.invert ? 'onlyInvert' : 'dontInvert' });
    } catch {
      code = null; // jsQR throws plain Errors on internal failures: nothing found
    }
    if (code === null) break;
    const loc = code.location;
    const corners = [loc.topLeftCorner, loc.topRightCorner, loc.bottomRightCorner, loc.bottomLeftCorner] as const;
    fillBox(rgba, frame.width, 4, boxOf(corners, frame.width, frame.height), options.invert ? 0 : 255);
    if (code.binaryData.length === 0) continue;
    const up = (p: Point): Point => ({ x: p.x * k, y: p.y * k });
    const [tl, tr, br, bl] = corners;
    hits.push(Object.freeze({ bytes: Uint8Array.from(code.binaryData), text: code.data, version: code.version, corners: [up(tl), up(tr), up(br), up(bl)] as const }));
  }
  return hits;
}

/** jsQR on a luminance frame. */
export const jsqrEngine: QrEngine = Object.freeze({ name: 'jsqr', scan });
