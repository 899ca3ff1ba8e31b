/**
 * QR decoding speed and success on 1280×720 photo-like frames (test/qr/photos.ts: clean,
 * blurred, rotated, sheared, low contrast, noisy, JPEG q20, small code), in the same run:
 * - `ours`: decodeQrImage as shipped (zxing-wasm, jsQR as the fallback);
 * - `zxing_wasm`, `jsqr`: the same pipeline with one engine alone;
 * - `zxing`: the ZXingReader CLI (zxing-cpp, native) on the same JPEG files, the baseline.
 * One core each: sharp is limited to one thread, ZXingReader is pinned with taskset and reads
 * every frame in one process call, minus the cost of one call on a single blank frame. Frames are
 * read from their files in every case. Success is judged on the exact payload bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { packageRoot } from '../bin/commands/package-root.js';
import { equalBytes, utf8 } from '../src/lds/bytes.js';
import { decodeQrImage, jsqrEngine, zxingEngine, type DecodeImageOptions } from '../src/qr/decode-image.js';
import { degradedPhotos } from '../test/qr/photos.js';
import { round } from './measure.js';

const TEXT = utf8('001099012345|123456789|Nguyễn Văn A|01011999|Nam|Số 1, Phường D, Quận E, Hà Nội|15032021');
const ROUNDS = 3;

interface Frame {
  readonly file: string;
  readonly payload: Uint8Array;
}

function zxing(files: readonly string[]): string {
  return execFileSync('taskset', ['-c', '0', 'ZXingReader', '-1', '-format', 'QRCode', ...files], { encoding: 'latin1', maxBuffer: 1 << 26 });
}

/** Frames per second and the share of frames read to the exact payload, for one configuration of decodeQrImage. */
async function ours(frames: readonly Frame[], options: DecodeImageOptions): Promise<{ fps: number; rate: number }> {
  let ok = 0;
  for (const f of frames) ok += (await decodeQrImage(f.file, options)).some((c) => equalBytes(c.bytes, f.payload)) ? 1 : 0; // also the warm-up
  const t = performance.now();
  for (let r = 0; r < ROUNDS; r++) for (const f of frames) await decodeQrImage(f.file, options);
  return { fps: round((1000 * ROUNDS * frames.length) / (performance.now() - t)), rate: ok / frames.length };
}

/** ZXingReader: one call over all frames; the start-up cost measured with one blank frame. */
function zxingCli(frames: readonly Frame[], blank: string): { fps: number; rate: number } {
  zxing(frames.map((f) => f.file)); // warm-up (page cache)
  const ok = frames.filter((f) => {
    try {
      return equalBytes(execFileSync('ZXingReader', ['-bytes', '-format', 'QRCode', f.file]), f.payload);
    } catch {
      return false;
    }
  }).length;
  zxing([blank]);
  let t = performance.now();
  for (let r = 0; r < ROUNDS; r++) zxing([blank]);
  const startMs = (performance.now() - t) / ROUNDS;
  t = performance.now();
  for (let r = 0; r < ROUNDS; r++) zxing(frames.map((f) => f.file));
  const ms = ((performance.now() - t) / ROUNDS - startMs) / frames.length;
  return { fps: round(1000 / Math.max(ms, 0.01)), rate: ok / frames.length };
}

export async function runQrBench(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'cancuoc-qrbench-'));
  const previous = sharp.concurrency();
  sharp.concurrency(1);
  try {
    // the BSI TR-03137 Annex D seal from the shared vectors beside the package (built or not)
    const seal = join(packageRoot(), 'test/vectors/vds/seals/bsi_tr03137__D_social_insurance_card.bin');
    const payloads = [TEXT, new Uint8Array(readFileSync(seal))];
    const frames: Frame[] = [];
    for (const [i, payload] of payloads.entries()) {
      for (const p of await degradedPhotos(payload)) {
        const file = join(dir, `${i}-${p.name}.jpg`);
        writeFileSync(file, p.jpeg);
        frames.push({ file, payload });
      }
    }
    const blank = join(dir, 'blank.jpg');
    await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#888' } }).jpeg().toFile(blank);

    const results: Record<string, number> = {};
    const runs: [string, () => Promise<{ fps: number; rate: number }> | { fps: number; rate: number }][] = [
      ['ours', () => ours(frames, { maxCodes: 1 })],
      ['zxing_wasm', () => ours(frames, { maxCodes: 1, engines: [zxingEngine] })],
      ['jsqr', () => ours(frames, { maxCodes: 1, engines: [jsqrEngine] })],
      ['zxing', () => zxingCli(frames, blank)],
    ];
    for (const [name, run] of runs) {
      const { fps, rate } = await run();
      results[`qr.decode_fps.${name}`] = fps;
      results[`qr.decode_rate.${name}`] = rate;
    }
    return results;
  } finally {
    sharp.concurrency(previous);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await runQrBench());
