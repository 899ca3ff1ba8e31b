/**
 * The printed faces of the card: ID-1 (ISO/IEC 7810: 85.60 × 53.98 mm) at 300 dpi = 1011 × 638
 * pixels, PNG with 300 dpi metadata, for a card printer. Front: emblem placeholder (a drawn shape,
 * no official artwork), the heading, the portrait, the fields in Vietnamese and English, the QR.
 * Back: identifying marks, date of issue, issuing authority, fingerprint boxes and the TD1 MRZ in
 * OCR-B (ICAO 9303-5 (8th ed.) §4). Drawn as SVG and rendered by sharp (librsvg + Pango), with
 * DejaVu Sans for Vietnamese (fonts-dejavu-core) and "OCR B" (fonts-ocr-b).
 */
import QRCode from 'qrcode';
import sharp from 'sharp';
import { ValidationError } from '../lds/errors.js';
import { citizenMrz, NO_EXPIRY_TEXT, type CitizenRecord } from './citizen.js';

export const CARD_DPI = 300;
/** ISO/IEC 7810 ID-1 at 300 dpi: 85.60 mm and 53.98 mm × 300 / 25.4, rounded. */
export const CARD_WIDTH_PX = 1011;
export const CARD_HEIGHT_PX = 638;

const SANS = 'DejaVu Sans';
const OCR = 'OCR B';
/** OCR B advances 0.72 em; ICAO 9303-3 §4.2 (OCR-B size 1) sets the pitch at 2.54 mm = 30 px. */
const MRZ_FONT_SIZE = 30 / 0.72;
const MRZ_X = Math.round((CARD_WIDTH_PX - 30 * 30) / 2);
const RED = '#c8102e';
const INK = '#1a1a1a';
const LABEL = '#3d4a5c';

/** The issuing authority printed on 2021 cards. */
export const DEFAULT_AUTHORITY = 'CỤC TRƯỞNG CỤC CẢNH SÁT QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI';

export interface CardFaceInput {
  readonly record: CitizenRecord;
  /** The portrait JPEG (35:45), as in DG2. */
  readonly portrait: Uint8Array;
  /** What the front QR code carries: text (encoded as UTF-8) or bytes (e.g. a VDS seal). */
  readonly qr: string | Uint8Array;
  readonly issuingAuthority?: string;
}

export interface CardFace {
  readonly front: Uint8Array;
  readonly back: Uint8Array;
  readonly frontSvg: string;
  readonly backSvg: string;
  /** The three MRZ lines drawn on the back. */
  readonly mrz: readonly [string, string, string];
}

/** Text for SVG character data and attribute values. */
export function escapeSvg(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function renderCardFace(input: CardFaceInput): Promise<CardFace> {
  if (!(input.portrait instanceof Uint8Array)) throw new TypeError('"portrait" expected Uint8Array');
  if (typeof input.qr !== 'string' && !(input.qr instanceof Uint8Array)) throw new TypeError('"qr" expected a string or Uint8Array');
  const mrz = citizenMrz(input.record);
  const [frontSvg, backSvg] = await Promise.all([frontSide(input), backSide(input, mrz)]);
  const [front, back] = await Promise.all([toPng(frontSvg), toPng(backSvg)]);
  return Object.freeze({ front, back, frontSvg, backSvg, mrz });
}

async function toPng(svg: string): Promise<Uint8Array> {
  const png = await sharp(Buffer.from(svg), { density: 72 }).flatten({ background: '#ffffff' }).png().withMetadata({ density: CARD_DPI }).toBuffer();
  return new Uint8Array(png);
}

// ---- text layout -------------------------------------------------------------------------------

interface Font {
  readonly size: number;
  readonly bold?: boolean;
  readonly family?: string;
}

/** Width in pixels of one line as Pango (which librsvg uses for SVG text) lays it out. */
async function textWidth(text: string, font: Font): Promise<number> {
  const desc = `${font.family ?? SANS}${font.bold === true ? ' Bold' : ''} ${font.size}px`;
  const { info } = await sharp({ text: { text: escapeSvg(text), font: desc } }).png().toBuffer({ resolveWithObject: true });
  return info.width;
}

/** How many leading words fit on one line; a guess in proportion to the characters, then corrected. */
async function wordsThatFit(words: readonly string[], font: Font, width: number): Promise<number> {
  const line = (n: number): string => words.slice(0, n).join(' ');
  const full = await textWidth(line(words.length), font);
  if (full <= width) return words.length;
  let n = 1;
  const share = (width / full) * line(words.length).length;
  while (n < words.length && line(n + 1).length <= share) n++;
  while (n > 1 && (await textWidth(line(n), font)) > width) n--;
  while (n + 1 < words.length && (await textWidth(line(n + 1), font)) <= width) n++;
  return (await textWidth(line(n), font)) <= width ? n : 0;
}

interface Block {
  readonly lines: readonly string[];
  readonly size: number;
}

/**
 * Word-wraps `text` into at most `maxLines` lines of `width` pixels, shrinking the font step by
 * step down to `minSize`. A value the card cannot hold is an error naming the field, never clipped.
 */
async function wrap(text: string, font: Font & { readonly minSize: number }, width: number, maxLines: number, field: string): Promise<Block> {
  const words = text.split(' ');
  for (let size = font.size; size >= font.minSize; size = Math.max(font.minSize, size - 2)) {
    const lines: string[] = [];
    let rest = words;
    while (rest.length > 0 && lines.length < maxLines) {
      const n = await wordsThatFit(rest, { ...font, size }, width);
      if (n === 0) break;
      lines.push(rest.slice(0, n).join(' '));
      rest = rest.slice(n);
    }
    if (rest.length === 0) return { lines, size };
    if (size === font.minSize) break;
  }
  throw new ValidationError('CARD_TEXT_OVERFLOW', `${field}: too long to print on the card`, { field });
}

function textLine(x: number, y: number, text: string, font: Font, extra = ''): string {
  const weight = font.bold === true ? ' font-weight="bold"' : '';
  return `<text x="${x}" y="${y}" font-family="${font.family ?? SANS}" font-size="${font.size}px"${weight}${extra}>${escapeSvg(text)}</text>`;
}

/** A bilingual label ("Họ và tên / Full name:") with the value on the same line after it. */
async function labelled(x: number, y: number, label: string, value: string, valueFont: Font): Promise<string> {
  const labelFont = { size: 17 };
  const w = await textWidth(label, labelFont);
  return `<g fill="${LABEL}">${textLine(x, y, label, labelFont)}</g><g fill="${INK}">${textLine(x + w + 8, y, value, valueFont)}</g>`;
}

function blockLines(x: number, y: number, block: Block, bold: boolean, lineHeight: number, id: string): string {
  return block.lines
    .map((line, i) => textLine(x, y + i * lineHeight, line, { size: block.size, bold }, ` id="${id}-${i + 1}"`))
    .join('');
}

// ---- the two sides -----------------------------------------------------------------------------

const ddmmyyyy = (iso: string): string => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

function card(body: string, defs = ''): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${CARD_WIDTH_PX}" height="${CARD_HEIGHT_PX}" viewBox="0 0 ${CARD_WIDTH_PX} ${CARD_HEIGHT_PX}">
<defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#eef5ee"/><stop offset="0.55" stop-color="#f8f6ea"/><stop offset="1" stop-color="#e9f0f7"/></linearGradient>${defs}</defs>
<rect width="${CARD_WIDTH_PX}" height="${CARD_HEIGHT_PX}" fill="url(#bg)"/>
<g fill="none" stroke="#c9d6cf" stroke-width="1.2" opacity="0.7">${guilloche()}</g>
${body}
</svg>`;
}

/** Background security-print look: concentric waves, drawn, not copied artwork. */
function guilloche(): string {
  const paths: string[] = [];
  for (let k = 0; k < 9; k++) {
    const r = 120 + k * 34;
    paths.push(`<ellipse cx="${CARD_WIDTH_PX / 2}" cy="${CARD_HEIGHT_PX / 2}" rx="${r * 1.5}" ry="${r}"/>`);
  }
  return paths.join('');
}

/** A neutral placeholder for the national emblem: a red disc with a five-pointed star. */
function emblem(cx: number, cy: number, r: number): string {
  const star: string[] = [];
  for (let i = 0; i < 10; i++) {
    const radius = i % 2 === 0 ? r * 0.62 : r * 0.25;
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    star.push(`${(cx + radius * Math.cos(a)).toFixed(1)},${(cy + radius * Math.sin(a)).toFixed(1)}`);
  }
  return `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${RED}" stroke="#d4a017" stroke-width="6"/><polygon points="${star.join(' ')}" fill="#ffd200"/>`;
}

/** The QR symbol as one SVG path, whole pixels per module, with the 4-module quiet zone (ISO/IEC 18004 §6.3.8). */
function qrSymbol(payload: string | Uint8Array, x: number, y: number, maxSize: number): string {
  const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const symbol = QRCode.create([{ data, mode: 'byte' }], { errorCorrectionLevel: 'M' });
  const n = symbol.modules.size;
  const unit = Math.floor(maxSize / (n + 8));
  if (unit < 2) throw new ValidationError('CARD_QR_TOO_LARGE', `QR payload of ${data.length} bytes needs ${n} modules; too many for the card`, { field: 'qr' });
  const size = unit * (n + 8);
  const left = x + Math.floor((maxSize - size) / 2);
  const d: string[] = [];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (symbol.modules.get(r, c)) d.push(`M${left + (c + 4) * unit} ${y + (r + 4) * unit}h${unit}v${unit}h-${unit}z`);
    }
  }
  return `<rect x="${left}" y="${y}" width="${size}" height="${size}" fill="#ffffff"/><path d="${d.join('')}" fill="#000000" shape-rendering="crispEdges"/>`;
}

async function frontSide(input: CardFaceInput): Promise<string> {
  const { record } = input;
  const header = [
    textLine(470, 50, 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', { size: 23, bold: true }, ' text-anchor="middle"'),
    textLine(470, 80, 'Độc lập - Tự do - Hạnh phúc', { size: 21, bold: true }, ' text-anchor="middle"'),
    `<path d="M360 90 H580" stroke="${INK}" stroke-width="1.5"/>`,
    `<g fill="${RED}">${textLine(470, 142, 'CĂN CƯỚC CÔNG DÂN', { size: 40, bold: true }, ' text-anchor="middle"')}</g>`,
    textLine(470, 172, 'Citizen Identity Card', { size: 20 }, ' text-anchor="middle"'),
  ].join('');
  const portrait = `<rect x="34" y="214" width="236" height="304" fill="#ffffff" stroke="#8a98a8" stroke-width="2"/>
<image x="37" y="217" width="230" height="298" preserveAspectRatio="xMidYMid slice" xlink:href="data:image/jpeg;base64,${Buffer.from(input.portrait).toString('base64')}"/>`;
  const expiry = record.dateOfExpiry === null ? NO_EXPIRY_TEXT : ddmmyyyy(record.dateOfExpiry);
  const underPhoto = [
    `<g fill="${LABEL}">${textLine(34, 552, 'Có giá trị đến:', { size: 16 })}${textLine(34, 572, 'Date of expiry', { size: 15 })}</g>`,
    `<g fill="${INK}">${textLine(34, 602, expiry, { size: 22, bold: true }, ' id="expiry"')}</g>`,
  ].join('');

  const x = 296;
  const width = CARD_WIDTH_PX - x - 24;
  const name = await wrap(record.fullName.toUpperCase(), { size: 30, minSize: 20, bold: true }, width, 2, 'fullName');
  const origin = await wrap(record.placeOfOrigin, { size: 20, minSize: 15 }, width, 2, 'placeOfOrigin');
  const residence = await wrap(record.placeOfResidence, { size: 20, minSize: 15 }, width, 3, 'placeOfResidence');
  let y = 244;
  const fields: string[] = [await labelled(x, y, 'Số / No.:', record.id, { size: 30, bold: true })];
  y += 34;
  fields.push(`<g fill="${LABEL}">${textLine(x, y, 'Họ và tên / Full name:', { size: 17 })}</g>`);
  y += name.size + 6;
  fields.push(`<g fill="${INK}">${blockLines(x, y, name, true, name.size + 6, 'name')}</g>`);
  y += (name.lines.length - 1) * (name.size + 6) + 34;
  fields.push(await labelled(x, y, 'Ngày sinh / Date of birth:', ddmmyyyy(record.dateOfBirth), { size: 21 }));
  fields.push(await labelled(x + 420, y, 'Giới tính / Sex:', record.sex === 'M' ? 'Nam' : 'Nữ', { size: 21 }));
  y += 32;
  fields.push(await labelled(x, y, 'Quốc tịch / Nationality:', record.nationality, { size: 21 }));
  y += 32;
  fields.push(`<g fill="${LABEL}">${textLine(x, y, 'Quê quán / Place of origin:', { size: 17 })}</g>`);
  y += origin.size + 6;
  fields.push(`<g fill="${INK}">${blockLines(x, y, origin, false, origin.size + 5, 'origin')}</g>`);
  y += (origin.lines.length - 1) * (origin.size + 5) + 30;
  fields.push(`<g fill="${LABEL}">${textLine(x, y, 'Nơi thường trú / Place of residence:', { size: 17 })}</g>`);
  y += residence.size + 6;
  fields.push(`<g fill="${INK}">${blockLines(x, y, residence, false, residence.size + 5, 'residence')}</g>`);
  y += (residence.lines.length - 1) * (residence.size + 5);
  if (y > CARD_HEIGHT_PX - 14) {
    throw new ValidationError('CARD_TEXT_OVERFLOW', 'the name and addresses together are too long for the card front', { field: 'placeOfResidence' });
  }
  return card(
    [emblem(96, 100, 66), header, qrSymbol(input.qr, 790, 14, 204), portrait, underPhoto, `<g fill="${INK}">${fields.join('\n')}</g>`].join('\n'),
  );
}

async function backSide(input: CardFaceInput, mrz: readonly [string, string, string]): Promise<string> {
  const { record } = input;
  const authority = await wrap(input.issuingAuthority ?? DEFAULT_AUTHORITY, { size: 18, minSize: 14, bold: true }, 470, 2, 'issuingAuthority');
  const marks: Block =
    record.identifyingMarks === null ? { lines: [], size: 20 } : await wrap(record.identifyingMarks, { size: 20, minSize: 15 }, 470, 2, 'identifyingMarks');
  const left: string[] = [
    `<g fill="${LABEL}">${textLine(34, 52, 'Đặc điểm nhân dạng / Personal identification:', { size: 17 })}</g>`,
    `<g fill="${INK}">${blockLines(34, 80, marks, false, marks.size + 5, 'marks')}</g>`,
    await labelled(34, 160, 'Ngày, tháng, năm / Date, month, year:', ddmmyyyy(record.dateOfIssue), { size: 20, bold: true }),
    `<g fill="${INK}">${blockLines(34, 200, authority, true, authority.size + 6, 'authority')}</g>`,
    `<circle cx="150" cy="300" r="48" fill="none" stroke="${RED}" stroke-width="3" opacity="0.6"/>`,
    `<g fill="${LABEL}">${textLine(220, 305, '(chữ ký và con dấu / signature and seal)', { size: 15 })}</g>`,
    `<rect x="34" y="360" width="120" height="90" rx="14" fill="#d9b45a" stroke="#8c6d1f" stroke-width="2"/>`,
    `<path d="M34 405 H154 M94 360 V450 M64 360 V390 M124 360 V390 M64 420 V450 M124 420 V450" stroke="#8c6d1f" stroke-width="2"/>`,
  ];
  const fingerBox = (x: number, vi: string, en: string): string =>
    `<rect x="${x}" y="40" width="200" height="250" rx="12" fill="#ffffff" stroke="#8a98a8" stroke-width="2"/>` +
    `<g fill="none" stroke="#d0d6dd" stroke-width="3">${[0, 1, 2, 3, 4]
      .map((k) => `<ellipse cx="${x + 100}" cy="160" rx="${24 + k * 14}" ry="${34 + k * 18}"/>`)
      .join('')}</g>` +
    `<g fill="${LABEL}" text-anchor="middle">${textLine(x + 100, 312, vi, { size: 16 })}${textLine(x + 100, 332, en, { size: 14 })}</g>`;
  const fingers = fingerBox(540, 'Ngón trỏ trái', 'Left index finger') + fingerBox(770, 'Ngón trỏ phải', 'Right index finger');
  const mrzLines = mrz
    .map((line, i) => textLine(MRZ_X, 520 + i * 48, line, { size: MRZ_FONT_SIZE, family: OCR }, ` id="mrz${i + 1}"`))
    .join('\n');
  return card(
    [left.join('\n'), fingers, `<rect x="0" y="470" width="${CARD_WIDTH_PX}" height="${CARD_HEIGHT_PX - 470}" fill="#ffffff"/>`, `<g fill="#000000">${mrzLines}</g>`].join('\n'),
  );
}
