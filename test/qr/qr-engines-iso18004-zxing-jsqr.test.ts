/**
 * The two ISO/IEC 18004 readers behind decodeQrImage — zxing-wasm (default) and jsQR (fallback):
 * both read the degraded photo set to the exact payload bytes, agree with each other and with the
 * `qrcode` package on the symbol version, and the fallback runs exactly when the first engine
 * reads nothing. Expected bytes are the payloads put in; no timing is asserted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import QRCode from 'qrcode';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { hex, utf8 } from '../../src/lds/bytes.js';
import { DEFAULT_ENGINES, decodeQrImage, jsqrEngine, zxingEngine, type QrEngine } from '../../src/qr/decode-image.js';
import type { LumaFrame } from '../../src/qr/qr-engine.js';
import { degradedPhotos, qrPng } from './photos.js';

const TEXT = utf8('001099012345|123456789|Nguyễn Văn A|01011999|Nam|Số 1, Phường D, Quận E, Hà Nội|15032021');
// the BSI TR-03137 Annex D seal: binary, bytes ≥ 0x80 that are not UTF-8 text
const SEAL = new Uint8Array(readFileSync(join(import.meta.dirname, '../vectors/vds/seals/bsi_tr03137__D_social_insurance_card.bin')));
const ENGINES = [zxingEngine, jsqrEngine] as const;

async function lumaOf(image: Uint8Array | Buffer): Promise<LumaFrame> {
  const { data, info } = await sharp(image).flatten({ background: '#fff' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

/** A real engine whose calls are counted. */
function counted(engine: QrEngine): { engine: QrEngine; calls: () => number } {
  let n = 0;
  return { engine: { name: engine.name, scan: (f, o) => (n++, engine.scan(f, o)) }, calls: () => n };
}

// Stand-in (not a real reader): an engine that never reads anything, to put the fallback to work.
const BLIND_STAND_IN: QrEngine = { name: 'blind stand-in', scan: async () => [] };

describe.each([
  ['plain text', TEXT],
  ['binary seal', SEAL],
] as const)('both engines on the degraded photos of the %s', (_label, payload) => {
  it('each engine alone reads every photo to the same, exact payload bytes', async () => {
    for (const photo of await degradedPhotos(payload)) {
      const read = await Promise.all(ENGINES.map((engine) => decodeQrImage(photo.jpeg, { maxCodes: 1, engines: [engine] })));
      for (const [i, codes] of read.entries()) {
        expect(codes.map((c) => hex(c.bytes)), `${photo.name} ${ENGINES[i]!.name}`).toEqual([hex(payload)]);
        expect(codes[0]!.engine).toBe(ENGINES[i]!.name);
      }
    }
  });

  it('the engines agree with the qrcode package on the symbol version', async () => {
    const version = QRCode.create([{ data: payload, mode: 'byte' }], { errorCorrectionLevel: 'M' }).version;
    const frame = await lumaOf(await qrPng(payload, 4));
    for (const engine of ENGINES) {
      const hits = await engine.scan(frame, { maxCodes: 4, invert: false });
      expect(hits.map((h) => [hex(h.bytes), h.version]), engine.name).toEqual([[hex(payload), version]]);
      expect(Object.isFrozen(hits[0])).toBe(true);
    }
  });
});

describe('engine order and fallback', () => {
  it('zxing-wasm is the default, and jsQR is not called when it reads the code', async () => {
    expect(DEFAULT_ENGINES.map((e) => e.name)).toEqual(['zxing-wasm', 'jsqr']);
    const photo = (await degradedPhotos(TEXT))[0]!;
    expect((await decodeQrImage(photo.jpeg)).map((c) => c.engine)).toEqual(['zxing-wasm']);
    const jsqr = counted(jsqrEngine);
    const codes = await decodeQrImage(photo.jpeg, { engines: [zxingEngine, jsqr.engine] });
    expect(codes.map((c) => [hex(c.bytes), c.engine])).toEqual([[hex(TEXT), 'zxing-wasm']]);
    expect(jsqr.calls()).toBe(0);
  });

  it('the fallback engine reads the image when the first finds nothing', async () => {
    const jsqr = counted(jsqrEngine);
    const codes = await decodeQrImage((await degradedPhotos(SEAL))[1]!.jpeg, { engines: [BLIND_STAND_IN, jsqr.engine] });
    expect(codes.map((c) => [hex(c.bytes), c.engine])).toEqual([[hex(SEAL), 'jsqr']]);
    expect(jsqr.calls()).toBeGreaterThan(0);
  });

  it('fastOnly uses the first engine alone, so a codeless video frame stays cheap', async () => {
    const jsqr = counted(jsqrEngine);
    const photo = (await degradedPhotos(TEXT))[0]!;
    expect(await decodeQrImage(photo.jpeg, { fastOnly: true, engines: [BLIND_STAND_IN, jsqr.engine] })).toEqual([]);
    expect(jsqr.calls()).toBe(0);
    const codes = await decodeQrImage(photo.jpeg, { fastOnly: true, maxCodes: 1 });
    expect(codes.map((c) => [hex(c.bytes), c.engine, c.pass])).toEqual([[hex(TEXT), 'zxing-wasm', 'fast']]);
  });

  it('the time budget stops the retry ladder and the fallback, never the first passes', async () => {
    const photo = (await degradedPhotos(SEAL))[1]!.jpeg;
    const blind = counted(BLIND_STAND_IN);
    const jsqr = counted(jsqrEngine);
    expect(await decodeQrImage(photo, { budgetMs: 0, engines: [blind.engine, jsqr.engine] })).toEqual([]);
    // a 1280-wide frame: the fast pass is the full resolution, so one call and no retry
    expect([blind.calls(), jsqr.calls()]).toEqual([1, 0]);
    const unlimited = counted(BLIND_STAND_IN);
    const codes = await decodeQrImage(photo, { budgetMs: Infinity, engines: [unlimited.engine, jsqrEngine] });
    expect(codes.map((c) => [hex(c.bytes), c.engine])).toEqual([[hex(SEAL), 'jsqr']]);
    expect(unlimited.calls()).toBeGreaterThan(10);
    await expect(decodeQrImage(photo, { budgetMs: -1 })).rejects.toBeInstanceOf(RangeError);
  });

  it('jsQR reads a large frame shrunk, and reports the corners in the frame as given', async () => {
    const png = await qrPng(TEXT, 8);
    const size = (await sharp(png).metadata()).width!;
    const [left, top] = [2100, 1200];
    const frame = await lumaOf(
      await sharp({ create: { width: 3200, height: 2400, channels: 3, background: '#fff' } }).composite([{ input: png, left, top }]).png().toBuffer(),
    );
    const hits = await jsqrEngine.scan(frame, { maxCodes: 2, invert: false });
    expect(hits.map((h) => hex(h.bytes))).toEqual([hex(TEXT)]);
    for (const p of hits[0]!.corners) {
      expect(p.x).toBeGreaterThanOrEqual(left);
      expect(p.x).toBeLessThanOrEqual(left + size);
      expect(p.y).toBeGreaterThanOrEqual(top);
      expect(p.y).toBeLessThanOrEqual(top + size);
    }
  });

  it('finds several codes with either engine', async () => {
    const img = await sharp({ create: { width: 1000, height: 560, channels: 3, background: '#fff' } })
      .composite([{ input: await qrPng(TEXT, 4), left: 20, top: 40 }, { input: await qrPng(SEAL, 4), left: 520, top: 40 }])
      .png()
      .toBuffer();
    for (const engine of ENGINES) {
      const codes = await decodeQrImage(img, { engines: [engine] });
      expect(codes.map((c) => hex(c.bytes)).sort(), engine.name).toEqual([hex(TEXT), hex(SEAL)].sort());
    }
  });
});

describe('hostile input', () => {
  it('random luminance frames give no code, never an exception', async () => {
    let seed = 7;
    const rnd = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    for (const [width, height] of [[1, 1], [3, 7], [21, 21], [64, 48], [333, 201]] as const) {
      const data = Uint8Array.from({ length: width * height }, () => Math.floor(rnd() * 256));
      for (const engine of ENGINES) {
        for (const invert of [false, true]) expect(await engine.scan({ data, width, height }, { maxCodes: 3, invert }), `${engine.name} ${width}×${height}`).toEqual([]);
      }
    }
  });

  it('a frame whose buffer does not match its size, or a bad engine list, is misuse', async () => {
    for (const engine of ENGINES) {
      await expect(engine.scan({ data: new Uint8Array(10), width: 4, height: 4 }, { maxCodes: 1, invert: false })).rejects.toBeInstanceOf(RangeError);
      await expect(engine.scan({ data: new Uint8Array(0), width: 0, height: 0 }, { maxCodes: 1, invert: false })).rejects.toBeInstanceOf(RangeError);
      await expect(engine.scan({ data: [1, 2] as unknown as Uint8Array, width: 2, height: 1 }, { maxCodes: 1, invert: false })).rejects.toBeInstanceOf(TypeError);
    }
    const png = await qrPng(TEXT, 2);
    await expect(decodeQrImage(png, { engines: [] })).rejects.toBeInstanceOf(TypeError);
    await expect(decodeQrImage(png, { engines: [{} as QrEngine] })).rejects.toBeInstanceOf(TypeError);
  });

  it('a truncated JPEG frame is a ParseError for every engine order', async () => {
    const jpeg = (await degradedPhotos(TEXT))[0]!.jpeg;
    for (const engines of [DEFAULT_ENGINES, [jsqrEngine]]) {
      await expect(decodeQrImage(jpeg.subarray(0, 200), { engines })).rejects.toMatchObject({ code: 'QR_IMAGE_UNREADABLE' });
    }
  });
});
