/**
 * Degraded "photos" of QR codes made with sharp, shared by the decoder tests and bench/qr.ts:
 * each is a 1280×720 JPEG frame. Noise comes from a seeded generator, so the set is the same
 * on every run.
 */
import QRCode from 'qrcode';
import sharp from 'sharp';

export interface Photo {
  readonly name: string;
  /** 1280×720 JPEG. */
  readonly jpeg: Uint8Array;
}

const W = 1280;
const H = 720;
const WHITE = { r: 255, g: 255, b: 255 };

/** A byte-mode QR code as PNG, error correction M, `scale` pixels per module. */
export async function qrPng(payload: Uint8Array, scale: number): Promise<Buffer> {
  return QRCode.toBuffer([{ data: payload, mode: 'byte' }], { errorCorrectionLevel: 'M', margin: 4, scale, type: 'png' });
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** A textured grey background so that the frame is not trivially clean. */
async function background(seed: number): Promise<Buffer> {
  const rnd = lcg(seed);
  const px = Buffer.alloc(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) px[y * W + x] = 110 + Math.round(40 * Math.sin((x + y * 0.7) / 90) + 12 * rnd());
  return sharp(px, { raw: { width: W, height: H, channels: 1 } }).toColourspace('srgb').png().toBuffer();
}

async function addNoise(png: Buffer, sigma: number, seed: number): Promise<Buffer> {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  const rnd = lcg(seed);
  for (let i = 0; i < data.length; i++) {
    const g = (rnd() + rnd() + rnd() + rnd() - 2) * sigma * 1.7; // ~N(0, sigma)
    data[i] = Math.max(0, Math.min(255, Math.round(data[i]! + g)));
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } }).png().toBuffer();
}

async function frame(code: Buffer, seed: number, quality = 85): Promise<Uint8Array> {
  const meta = await sharp(code).metadata();
  const left = Math.max(0, Math.round((W - meta.width!) / 2 + 120 * Math.sin(seed)));
  const top = Math.max(0, Math.round((H - meta.height!) / 2 + 60 * Math.cos(seed)));
  const out = await sharp(await background(seed))
    .composite([{ input: code, left: Math.min(left, W - meta.width!), top: Math.min(top, H - meta.height!) }])
    .jpeg({ quality })
    .toBuffer();
  return new Uint8Array(out);
}

/** The degraded set for one payload: blur, rotations, shear/perspective, low contrast, noise, JPEG q20, small code. */
export async function degradedPhotos(payload: Uint8Array): Promise<readonly Photo[]> {
  const base = await qrPng(payload, 5);
  const make = async (name: string, code: Promise<Buffer> | Buffer, seed: number, quality?: number): Promise<Photo> => ({
    name,
    jpeg: await frame(await code, seed, quality),
  });
  return Promise.all([
    make('clean', base, 1),
    make('blur', sharp(base).blur(1.6).png().toBuffer(), 2),
    make('rotate15', sharp(base).rotate(15, { background: WHITE }).png().toBuffer(), 3),
    make('rotate30', sharp(base).rotate(30, { background: WHITE }).png().toBuffer(), 4),
    make('rotate-30', sharp(base).rotate(-30, { background: WHITE }).png().toBuffer(), 5),
    make('shear', sharp(base).affine([[1, 0.25], [0.08, 0.9]], { background: WHITE }).png().toBuffer(), 6),
    make('perspective', sharp(base).affine([[0.8, -0.2], [0.15, 1.1]], { background: WHITE }).rotate(10, { background: WHITE }).png().toBuffer(), 7),
    make('low-contrast', sharp(base).linear(0.25, 150).png().toBuffer(), 8),
    make('noise', addNoise(base, 28, 9), 9),
    make('jpeg20', base, 10, 20),
    make('small-in-frame', qrPng(payload, 2), 11),
    make('blur+rotate20+noise', sharp(await addNoise(await sharp(base).blur(1.2).png().toBuffer(), 15, 12)).rotate(20, { background: WHITE }).png().toBuffer(), 12),
  ]);
}
