/**
 * What the operator sees: the photo with the face box (green), the eye centres (red) and the
 * portrait's crop (blue, rotated when the eyes were levelled) drawn on it. For a refused photo,
 * every face the detector found, without a crop: enough to see a second face or a cut-off head.
 */
import sharp from 'sharp';
import { decodeUpright, detectFaces, type FaceBox, type Point } from './face-detect.js';
import type { PhotoAnalysis } from './portrait.js';

/** The preview is at most this wide or high. */
const MAX_SIDE = 1200;

interface Drawing {
  readonly width: number;
  readonly height: number;
  readonly boxes: readonly FaceBox[];
  readonly eyes: readonly Point[];
  readonly crop?: readonly Point[];
}

export function renderPreview(photo: Uint8Array, analysis: PhotoAnalysis): Promise<Uint8Array> {
  const face = analysis.face;
  return draw(photo, {
    width: analysis.width,
    height: analysis.height,
    boxes: [analysis.faceBox],
    eyes: face === undefined ? [] : [face.rightEye, face.leftEye],
    crop: analysis.crop,
  });
}

/** The faces found in a photo that was refused (none drawn for NO_FACE: the photo as it is). */
export async function renderRefusedPreview(photo: Uint8Array): Promise<Uint8Array> {
  const upright = await decodeUpright(photo);
  const faces = await detectFaces(upright);
  return draw(photo, { width: upright.width, height: upright.height, boxes: faces.map((f) => f.box), eyes: faces.flatMap((f) => [f.rightEye, f.leftEye]) });
}

async function draw(photo: Uint8Array, d: Drawing): Promise<Uint8Array> {
  const scale = Math.min(1, MAX_SIDE / Math.max(d.width, d.height));
  const width = Math.round(d.width * scale);
  const height = Math.round(d.height * scale);
  const n = (v: number): string => (v * scale).toFixed(1);
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 300));
  const parts = d.boxes.map(
    (b) => `<rect x="${n(b.left)}" y="${n(b.top)}" width="${n(b.width)}" height="${n(b.height)}" fill="none" stroke="#00c040" stroke-width="${stroke}"/>`,
  );
  if (d.crop !== undefined) {
    parts.push(`<polygon points="${d.crop.map((p) => `${n(p.x)},${n(p.y)}`).join(' ')}" fill="none" stroke="#2060ff" stroke-width="${stroke}"/>`);
  }
  for (const eye of d.eyes) parts.push(`<circle cx="${n(eye.x)}" cy="${n(eye.y)}" r="${stroke * 2}" fill="none" stroke="#ff2020" stroke-width="${stroke}"/>`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
  const png = await sharp(photo)
    .rotate()
    .resize(width, height, { fit: 'fill' })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
  return new Uint8Array(png);
}
