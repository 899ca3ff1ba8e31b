/**
 * Draws the synthetic portraits in fixtures/faces: vector faces (no real person) rendered by sharp,
 * with a light fabric texture so they have the detail of a photo; one per fixtures/citizens record
 * (face-NN.jpg for citizen-NN.json; head at about x 225–575, y 135–610 of 800×1000).
 * Run: npx tsx scripts/make-faces.ts
 */
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';

interface Look {
  readonly skin: string;
  readonly hair: string;
  readonly shirt: string;
  readonly longHair: boolean;
  readonly glasses: boolean;
}

const LOOKS: readonly Look[] = [
  { skin: '#e8c4a0', hair: '#1b1b1b', shirt: '#f4f4f4', longHair: false, glasses: false },
  { skin: '#f1d2b6', hair: '#2a1a10', shirt: '#ffffff', longHair: true, glasses: false },
  { skin: '#d9a97c', hair: '#101010', shirt: '#e9eef5', longHair: false, glasses: true },
  { skin: '#eccbb0', hair: '#3b2a20', shirt: '#fafafa', longHair: true, glasses: true },
  { skin: '#c99670', hair: '#8d8d8d', shirt: '#f0f0f0', longHair: false, glasses: false },
  { skin: '#f3d9c2', hair: '#bdbdbd', shirt: '#ffffff', longHair: true, glasses: false },
  { skin: '#f0cfae', hair: '#1e140d', shirt: '#ffffff', longHair: true, glasses: false },
  { skin: '#c8946a', hair: '#e0e0e0', shirt: '#eef2f6', longHair: false, glasses: true },
  { skin: '#deb48e', hair: '#d6d6d6', shirt: '#fbfbfb', longHair: true, glasses: true },
  { skin: '#e6c09a', hair: '#0d0d0d', shirt: '#f2f2f2', longHair: false, glasses: false },
  { skin: '#d2a27a', hair: '#241810', shirt: '#ffffff', longHair: false, glasses: true },
  { skin: '#f2d4b8', hair: '#151515', shirt: '#f6f6f6', longHair: true, glasses: false },
  { skin: '#cf9b73', hair: '#2e2e2e', shirt: '#e8edf3', longHair: false, glasses: false },
  { skin: '#b98460', hair: '#0a0a0a', shirt: '#ffffff', longHair: true, glasses: false },
  { skin: '#dcae86', hair: '#9a9a9a', shirt: '#f4f4f4', longHair: false, glasses: true },
  { skin: '#c48b62', hair: '#111111', shirt: '#f9f9f9', longHair: true, glasses: false },
  { skin: '#e9c6a4', hair: '#1a120c', shirt: '#ffffff', longHair: false, glasses: false },
  { skin: '#f4dcc6', hair: '#3a2618', shirt: '#f1f4f8', longHair: true, glasses: true },
  { skin: '#ddb08a', hair: '#c4c4c4', shirt: '#ffffff', longHair: true, glasses: false },
  { skin: '#ebc8a6', hair: '#120c08', shirt: '#fafafa', longHair: true, glasses: false },
];

function svg(look: Look): string {
  const hairBack = look.longHair
    ? `<path d="M210 300 Q200 110 400 100 Q600 110 590 300 L610 620 L190 620 Z" fill="${look.hair}"/>`
    : '';
  const glasses = look.glasses
    ? `<g fill="none" stroke="#222" stroke-width="6"><circle cx="340" cy="360" r="42"/><circle cx="460" cy="360" r="42"/><path d="M382 360 L418 360"/></g>`
    : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="1000">
  <defs><filter id="t"><feTurbulence type="fractalNoise" baseFrequency="0.9" numOctaves="2" seed="7"/>
  <feColorMatrix type="saturate" values="0"/><feComponentTransfer><feFuncA type="linear" slope="0.18"/></feComponentTransfer></filter></defs>
  <rect width="800" height="1000" fill="#eef1f4"/>
  ${hairBack}
  <path d="M120 1000 Q140 760 400 740 Q660 760 680 1000 Z" fill="${look.shirt}" stroke="#c8c8c8" stroke-width="4"/>
  <rect x="350" y="600" width="100" height="160" fill="${look.skin}"/>
  <ellipse cx="400" cy="380" rx="175" ry="230" fill="${look.skin}" stroke="#b98b66" stroke-width="3"/>
  <path d="M225 330 Q230 140 400 135 Q570 140 575 330 Q540 210 400 205 Q260 210 225 330 Z" fill="${look.hair}"/>
  <ellipse cx="340" cy="360" rx="26" ry="14" fill="#fff"/><circle cx="340" cy="360" r="11" fill="#3a2614"/>
  <ellipse cx="460" cy="360" rx="26" ry="14" fill="#fff"/><circle cx="460" cy="360" r="11" fill="#3a2614"/>
  <path d="M305 325 Q340 310 375 325 M425 325 Q460 310 495 325" stroke="${look.hair}" stroke-width="8" fill="none"/>
  <path d="M400 380 L385 460 Q400 470 415 460" stroke="#a7764f" stroke-width="5" fill="none"/>
  <path d="M350 520 Q400 545 450 520" stroke="#9c4a42" stroke-width="8" fill="none"/>
  ${glasses}
  <rect width="800" height="1000" filter="url(#t)"/>
</svg>`;
}

for (const [i, look] of LOOKS.entries()) {
  const name = `fixtures/faces/face-${String(i + 1).padStart(2, '0')}.jpg`;
  const jpeg = await sharp(Buffer.from(svg(look))).jpeg({ quality: 88 }).toBuffer();
  writeFileSync(name, jpeg);
  console.log(name, jpeg.length);
}
