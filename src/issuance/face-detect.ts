/**
 * Faces and eye centres in an enrollment photo, offline: @vladmandic/face-api's Tiny Face Detector
 * and its 68-point landmark net (tiny) on TensorFlow.js's WebAssembly backend. The weights
 * (face-api's `model/`) and the `.wasm` (tfjs-backend-wasm's `dist/`) ship inside the npm packages
 * and are read from node_modules; nothing is fetched. Why this detector: docs/portrait.md.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

export interface FaceBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** One face, in pixels of the photo as displayed (EXIF orientation applied). */
export interface DetectedFace {
  readonly box: FaceBox;
  readonly score: number;
  /** Centres of the eyes; "left"/"right" are the subject's, as in ISO/IEC 19794-5 (the right eye is on the image's left). */
  readonly rightEye: Point;
  readonly leftEye: Point;
  readonly noseTip: Point;
  readonly chin: Point;
  /** The jaw outline's ends at eye height (68-point landmarks 0 and 16): the face's sides. */
  readonly rightCheek: Point;
  readonly leftCheek: Point;
}

/**
 * Tiny Face Detector input (a multiple of 32), and the size the photo is shrunk to first. At 512 the
 * drawn fixture faces score 0.85–0.94; at 416 some fall to 0.25 (docs/portrait.md).
 */
const INPUT_SIZE = 512;
const MIN_SCORE = 0.5;

interface Pt {
  x: number;
  y: number;
}
interface FaceApiResult {
  detection: { score: number; box: { x: number; y: number; width: number; height: number } };
  landmarks: { positions: Pt[] };
}
interface Tensor {
  dispose(): void;
}
interface FaceApi {
  tf: {
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    tensor3d(values: Int32Array, shape: [number, number, number], dtype: 'int32'): Tensor;
    io: { decodeWeights(buffer: ArrayBuffer, specs: unknown[]): Record<string, unknown> };
  };
  nets: Record<'tinyFaceDetector' | 'faceLandmark68TinyNet', { loadFromWeightMap(map: Record<string, unknown>): void }>;
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown;
  detectAllFaces(input: Tensor, options: unknown): { withFaceLandmarks(tiny: boolean): Promise<FaceApiResult[]> };
}

let loaded: Promise<FaceApi> | undefined;
/** One detection at a time: TensorFlow.js has one engine per process. */
let queue: Promise<unknown> = Promise.resolve();

/** Loads the backend and the two nets once per process (about 0.3 s). */
export function loadFaceDetector(): Promise<FaceApi> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    // The Node build for the WASM backend; the package's main entry wants the native tfjs-node instead.
    const api = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
    const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string): void };
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
    await api.tf.setBackend('wasm');
    await api.tf.ready();
    const models = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
    const load = (net: keyof FaceApi['nets'], name: string): void => {
      const manifest = JSON.parse(readFileSync(join(models, `${name}-weights_manifest.json`), 'utf8')) as { weights: unknown[] }[];
      const bin = readFileSync(join(models, `${name}.bin`));
      const buffer = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
      api.nets[net].loadFromWeightMap(api.tf.io.decodeWeights(buffer, manifest.flatMap((g) => g.weights)));
    };
    load('tinyFaceDetector', 'tiny_face_detector_model');
    load('faceLandmark68TinyNet', 'face_landmark_68_tiny_model');
    return api;
  })();
  return loaded;
}

/** An upright 3-channel sRGB image, as sharp's `raw()` gives it. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Decodes a photo upright (EXIF orientation applied) into 8-bit sRGB. */
export async function decodeUpright(photo: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(photo).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Every face found, largest first. The photo must be decodable (checked before). */
export async function detectFaces(photo: Uint8Array | RgbImage): Promise<readonly DetectedFace[]> {
  const api = await loadFaceDetector();
  const image = photo instanceof Uint8Array ? await decodeUpright(photo) : photo;
  const small = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(INPUT_SIZE, INPUT_SIZE, { fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { info } = small;
  const scale = image.width / info.width;
  const run = (data: Buffer): Promise<FaceApiResult[]> => {
    const next = queue.then(async () => {
      const input = api.tf.tensor3d(Int32Array.from(data), [info.height, info.width, 3], 'int32');
      try {
        return await api.detectAllFaces(input, new api.TinyFaceDetectorOptions({ inputSize: INPUT_SIZE, scoreThreshold: MIN_SCORE })).withFaceLandmarks(true);
      } finally {
        input.dispose();
      }
    });
    queue = next.catch(() => undefined);
    return next;
  };
  let found = await run(small.data);
  if (found.length === 0) {
    // Contrast stretched, for the detector only, when nothing was found: a dark or washed-out face
    // is still found, then judged on its own pixels (photo-judge.ts) with a reason the operator can act on.
    const raw = { width: info.width, height: info.height, channels: 3 as const };
    found = await run(await sharp(small.data, { raw }).normalise().raw().toBuffer());
  }
  const at = (p: Pt): Point => Object.freeze({ x: p.x * scale, y: p.y * scale });
  const centre = (pts: Pt[]): Point => at({ x: pts.reduce((s, p) => s + p.x, 0) / pts.length, y: pts.reduce((s, p) => s + p.y, 0) / pts.length });
  return Object.freeze(
    found
      .map((f) => {
        const p = f.landmarks.positions;
        const b = f.detection.box;
        // iBUG 68-point scheme: 0–16 jaw, 30 nose tip, 36–41 the eye on the image's left, 42–47 the other.
        return Object.freeze({
          box: Object.freeze({ left: b.x * scale, top: b.y * scale, width: b.width * scale, height: b.height * scale }),
          score: f.detection.score,
          rightEye: centre(p.slice(36, 42)),
          leftEye: centre(p.slice(42, 48)),
          noseTip: at(p[30]!),
          chin: at(p[8]!),
          rightCheek: at(p[0]!),
          leftCheek: at(p[16]!),
        });
      })
      .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height),
  );
}
