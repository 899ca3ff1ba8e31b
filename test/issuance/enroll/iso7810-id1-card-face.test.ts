/**
 * The printed card face: ISO/IEC 7810 ID-1 (85.60 × 53.98 mm) at 300 dpi = 1011 × 638 px, with the
 * PNG pHYs chunk saying 300 dpi (read from the bytes here, PNG spec §11.3.5.3); ZXingReader
 * (zxing-cpp) decodes the front QR to the payload bytes; the MRZ drawn on the back equals the
 * record's TD1 MRZ, which the `mrz` package finds valid (ICAO 9303-5).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'mrz';
import { afterAll, describe, expect, it } from 'vitest';
import { CARD_HEIGHT_PX, CARD_WIDTH_PX, escapeSvg, renderCardFace } from '../../../src/issuance/card-face.js';
import { citizenMrz, parseCitizenRecord } from '../../../src/issuance/citizen.js';
import { makePortrait } from '../../../src/issuance/portrait.js';
import { cccdQrText } from '../../../src/issuance/qr-payloads.js';

const fixture = (path: string): Buffer => readFileSync(new URL(`../../../fixtures/${path}`, import.meta.url));
const record = (n: string) => parseCitizenRecord(fixture(`citizens/citizen-${n}.json`).toString('utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'cancuoc-face-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function portrait(n: string): Promise<Uint8Array> {
  return (await makePortrait(new Uint8Array(fixture(`faces/face-${n}.jpg`)), { faceBox: { left: 225, top: 135, width: 350, height: 475 } })).jpeg;
}

/** PNG: signature, then chunks (length, type, data, CRC); IHDR carries the size, pHYs the density. */
function pngInfo(png: Uint8Array): { width: number; height: number; ppmX?: number; ppmY?: number; unit?: number } {
  const b = Buffer.from(png);
  expect(b.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  const out: { width: number; height: number; ppmX?: number; ppmY?: number; unit?: number } = { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  for (let at = 8; at + 8 <= b.length; ) {
    const length = b.readUInt32BE(at);
    const type = b.subarray(at + 4, at + 8).toString('latin1');
    if (type === 'pHYs') Object.assign(out, { ppmX: b.readUInt32BE(at + 8), ppmY: b.readUInt32BE(at + 12), unit: b[at + 16] });
    at += 12 + length;
  }
  return out;
}

function zxing(png: Uint8Array, name: string): Buffer {
  const file = join(tmp, name);
  writeFileSync(file, png);
  return execFileSync('/usr/bin/ZXingReader', ['-bytes', '-format', 'QRCode', file]);
}

/** The text of <text id="..."> elements, XML character references resolved. */
function svgText(svg: string, id: string): string | undefined {
  const m = new RegExp(`<text[^>]*id="${id}"[^>]*>([^<]*)</text>`).exec(svg);
  return m?.[1]!.replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d))).replace(/&amp;/g, '&');
}

describe('ID-1 card face at 300 dpi', () => {
  it('front and back are 1011 × 638 PNGs whose pHYs says 300 dpi (11 811 px/m)', async () => {
    const r = record('01');
    const face = await renderCardFace({ record: r, portrait: await portrait('01'), qr: cccdQrText(r) });
    expect([CARD_WIDTH_PX, CARD_HEIGHT_PX]).toEqual([Math.round((85.6 / 25.4) * 300), Math.round((53.98 / 25.4) * 300)]);
    for (const png of [face.front, face.back]) {
      expect(pngInfo(png)).toEqual({ width: 1011, height: 638, ppmX: 11811, ppmY: 11811, unit: 1 });
    }
  });

  it('ZXingReader reads the plain QR text from the front, byte for byte (UTF-8)', async () => {
    const r = record('04');
    const text = cccdQrText(r);
    const face = await renderCardFace({ record: r, portrait: await portrait('04'), qr: text });
    expect(zxing(face.front, 'plain.png').equals(Buffer.from(text, 'utf8'))).toBe(true);
  });

  it('ZXingReader reads binary payloads (a seal) from the front, byte for byte', async () => {
    const r = record('09');
    const payload = Uint8Array.from({ length: 300 }, (_, i) => (i * 151 + 7) & 0xff);
    const face = await renderCardFace({ record: r, portrait: await portrait('09'), qr: payload });
    expect(zxing(face.front, 'binary.png').equals(Buffer.from(payload))).toBe(true);
  });

  it('the MRZ drawn on the back is the record MRZ, in OCR B, and valid for the mrz package', async () => {
    for (const n of ['03', '04', '17']) {
      const r = record(n);
      const face = await renderCardFace({ record: r, portrait: await portrait(n), qr: cccdQrText(r) });
      const drawn = [1, 2, 3].map((i) => svgText(face.backSvg, `mrz${i}`));
      expect(drawn).toEqual([...citizenMrz(r)]);
      expect(face.backSvg).toMatch(/<text[^>]*font-family="OCR B"[^>]*id="mrz1"/);
      const parsed = parse(drawn as string[]);
      expect(parsed.format).toBe('TD1');
      expect(parsed.valid).toBe(true);
    }
  });

  it('prints the Vietnamese fields with their diacritics, escaped for SVG', async () => {
    const r = record('03');
    const face = await renderCardFace({ record: r, portrait: await portrait('03'), qr: 'x', issuingAuthority: 'Cục A & B <C>' });
    expect(face.frontSvg).toContain('CĂN CƯỚC CÔNG DÂN');
    expect(face.frontSvg).toContain('Độc lập - Tự do - Hạnh phúc');
    expect(svgText(face.frontSvg, 'name-1')).toBe('ĐẶNG ĐÌNH ĐƯỜNG');
    expect(svgText(face.frontSvg, 'expiry')).toBe('Không thời hạn');
    expect(face.backSvg).toContain('Cục A &#38; B &#60;C&#62;');
    expect(escapeSvg(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it('lays out every fixture citizen without overflow, long names wrapped', async () => {
    const p = await portrait('01');
    for (let i = 1; i <= 20; i++) {
      const r = record(String(i).padStart(2, '0'));
      const face = await renderCardFace({ record: r, portrait: p, qr: cccdQrText(r) });
      const nameLines = [1, 2].map((k) => svgText(face.frontSvg, `name-${k}`)).filter((s) => s !== undefined);
      expect(nameLines.join(' ')).toBe(r.fullName.toUpperCase());
    }
  }, 60_000);

  it('a value the card cannot hold is a ValidationError naming the field', async () => {
    const r = { ...record('01'), placeOfResidence: Array.from({ length: 60 }, () => 'Phường').join(' ') };
    await expect(renderCardFace({ record: r, portrait: await portrait('01'), qr: 'x' })).rejects.toMatchObject({
      code: 'CARD_TEXT_OVERFLOW',
      place: { field: 'placeOfResidence' },
    });
  });

  it('wrong argument types are TypeErrors', async () => {
    const r = record('01');
    await expect(renderCardFace({ record: r, portrait: 'x' as unknown as Uint8Array, qr: 'x' })).rejects.toThrow(TypeError);
    await expect(renderCardFace({ record: r, portrait: new Uint8Array(1), qr: 5 as unknown as string })).rejects.toThrow(TypeError);
  });
});
