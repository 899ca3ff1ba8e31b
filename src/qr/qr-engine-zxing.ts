/**
 * The zxing-wasm engine: zxing-cpp's ISO/IEC 18004 reader compiled to WebAssembly, the default.
 * The module is compiled once, lazily, from the .wasm file shipped inside the npm package (never
 * fetched). Frames go in as luminance through readBarcodesFromPixmap: the package's public
 * readBarcodes takes only RGBA ImageData and converts it to grey pixel by pixel in JavaScript.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import {
  binarizers,
  characterSets,
  defaultReaderOptions,
  eanAddOnSymbols,
  encodeFormats,
  prepareZXingModule,
  textModes,
  type ZXingReaderModule,
  type ZXingReaderOptions,
  type ZXingReadResult,
} from 'zxing-wasm/reader';
import { CancuocError } from '../lds/errors.js';
import { checkFrame, type EngineHit, type LumaFrame, type Point, type QrEngine, type ScanOptions } from './qr-engine.js';

/** The Emscripten heap calls used here (typed by @types/emscripten, which tsconfig does not load). */
interface ReaderModule extends ZXingReaderModule {
  _malloc(size: number): number;
  _free(ptr: number): void;
  readonly HEAPU8: Uint8Array;
}

let ready: Promise<ReaderModule> | undefined;

/** The compiled module, shared by every scan; a failed load is retried on the next call. */
function zxingModule(): Promise<ReaderModule> {
  ready ??= load().catch((e: unknown) => {
    ready = undefined;
    throw new CancuocError('QR_ENGINE_UNAVAILABLE', `cannot load zxing-wasm: ${(e as Error).message}`, {}, { cause: e });
  });
  return ready;
}

async function load(): Promise<ReaderModule> {
  const file = createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm');
  const bin = await readFile(file);
  const wasmBinary = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  // overrides replace the package's default locateFile (a CDN address): with wasmBinary nothing is fetched
  return (await prepareZXingModule({ overrides: { wasmBinary }, fireImmediately: true })) as ReaderModule;
}

/** QR only; tryHarder and the internal downscaled pass as in ZXingReader; inversion only when asked. */
function readerOptions(options: ScanOptions): ZXingReaderOptions {
  return {
    ...defaultReaderOptions,
    formats: encodeFormats(['QRCode']),
    binarizer: binarizers.indexOf('LocalAverage'),
    eanAddOnSymbol: eanAddOnSymbols.indexOf('Ignore'),
    textMode: textModes.indexOf('Plain'),
    characterSet: characterSets.indexOf('Unknown'),
    tryHarder: true,
    tryInvert: options.invert,
    // the count is an unsigned byte in zxing-cpp, 0 meaning no limit
    maxNumberOfSymbols: Math.min(options.maxCodes, 255),
  };
}

const point = (p: Point): Point => Object.freeze({ x: p.x, y: p.y });

function hitOf(r: ZXingReadResult): EngineHit {
  const p = r.position;
  return Object.freeze({
    bytes: Uint8Array.from(r.bytes), // a copy: embind may hand out a view of the wasm heap
    text: r.text,
    version: Number(r.version),
    corners: [point(p.topLeft), point(p.topRight), point(p.bottomRight), point(p.bottomLeft)] as const,
  });
}

async function scan(frame: LumaFrame, options: ScanOptions): Promise<readonly EngineHit[]> {
  checkFrame(frame);
  const zx = await zxingModule();
  const ptr = zx._malloc(frame.data.length);
  if (ptr === 0) throw new CancuocError('QR_ENGINE_FAILED', `zxing-wasm cannot allocate ${frame.data.length} bytes`, {});
  try {
    zx.HEAPU8.set(frame.data, ptr);
    const results = zx.readBarcodesFromPixmap(ptr, frame.width, frame.height, readerOptions(options));
    const hits: EngineHit[] = [];
    for (let i = 0; i < results.size(); i++) {
      const r = results.get(i);
      if (r !== undefined && r.isValid && r.bytes.length > 0) hits.push(hitOf(r));
    }
    (results as { delete?: () => void }).delete?.(); // the embind vector lives on the wasm heap
    return hits;
  } finally {
    zx._free(ptr);
  }
}

/** zxing-cpp (WebAssembly) on a luminance frame. */
export const zxingEngine: QrEngine = Object.freeze({ name: 'zxing-wasm', scan });
