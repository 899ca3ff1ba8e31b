/**
 * What the operator sees before a card is made: the photo with the face box (green), the eye
 * centres (red) and the portrait's crop (blue, rotated when the eyes were levelled) drawn on it.
 */
import sharp from 'sharp';
import type { PhotoAnalysis } from './portrait.js';

/** The preview is at most this wide or high. */
const MAX_SIDE = 1200;

export async function renderPreview(photo: Uint8Array, analysis: PhotoAnalysis): Promise<Uint8Array> {
  const scale = Math.min(1, MAX_SIDE / Math.max(analysis.width, analysis.height));
  const width = Math.round(analysis.width * scale);
  const height = Math.round(analysis.height * scale);
  const n = (v: number): string => (v * scale).toFixed(1);
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 300));
  const box = analysis.faceBox;
  const parts = [
    `<rect x="${n(box.left)}" y="${n(box.top)}" width="${n(box.width)}" height="${n(box.height)}" fill="none" stroke="#00c040" stroke-width="${stroke}"/>`,
    `<polygon points="${analysis.crop.map((p) => `${n(p.x)},${n(p.y)}`).join(' ')}" fill="none" stroke="#2060ff" stroke-width="${stroke}"/>`,
  ];
  const face = analysis.face;
  if (face !== undefined) {
    for (const eye of [face.rightEye, face.leftEye]) {
      parts.push(`<circle cx="${n(eye.x)}" cy="${n(eye.y)}" r="${stroke * 2}" fill="none" stroke="#ff2020" stroke-width="${stroke}"/>`);
    }
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
  const png = await sharp(photo)
    .rotate()
    .resize(width, height, { fit: 'fill' })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
  return new Uint8Array(png);
}
