/**
 * The jsQR engine (pure JavaScript ISO/IEC 18004 reader): the fallback behind zxing-wasm.
 * jsQR reads RGBA only and returns one symbol per call, so each code found is blanked in a
 * private RGBA copy of the frame and the frame scanned again.
 */
import jsQRModule from 'jsqr';
import { boxOf, checkFrame, fillBox, type EngineHit, type LumaFrame, type QrEngine, type ScanOptions } from './qr-engine.js';

// jsqr is CommonJS whose module.exports.default is the decoder (NodeNext default import = module.exports)
const jsQR = jsQRModule.default;

/** RGBA pixels whose four bytes all carry the luminance (jsQR ignores alpha), one word per pixel. */
function rgbaOf(frame: LumaFrame): Uint8ClampedArray {
  const out = new Uint32Array(frame.data.length);
  for (let i = 0; i < frame.data.length; i++) out[i] = frame.data[i]! * 0x01010101;
  return new Uint8ClampedArray(out.buffer);
}

async function scan(frame: LumaFrame, options: ScanOptions): Promise<readonly EngineHit[]> {
  const rgba = rgbaOf(checkFrame(frame));
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
    hits.push(Object.freeze({ bytes: Uint8Array.from(code.binaryData), text: code.data, version: code.version, corners }));
  }
  return hits;
}

/** jsQR on a luminance frame. */
export const jsqrEngine: QrEngine = Object.freeze({ name: 'jsqr', scan });
