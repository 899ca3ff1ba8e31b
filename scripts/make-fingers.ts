/**
 * Draws the synthetic fingerprint templates in fixtures/fingers: for each fixtures/citizens record,
 * a JSON minutiae list (finger-NN.json, the format of src/issuance/finger-input.ts) and the
 * ISO/IEC 19794-2:2005 record made from it (finger-NN.iso). No real finger: points are scattered
 * in a fingertip-shaped region with directions that swirl around a core, from a PRNG seeded by
 * the citizen's ID. Even-numbered citizens get two fingers (right and left index), the others one.
 * Run: npx tsx scripts/make-fingers.ts
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fingerJsonToIso } from '../src/issuance/finger-input.js';

const WIDTH = 400;
const HEIGHT = 500;
const MIN_GAP = 14;

/** mulberry32: a small deterministic PRNG, so the fixtures do not change between runs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface JsonMinutia {
  x: number;
  y: number;
  angle: number;
  type: 'ending' | 'bifurcation';
  quality: number;
}

function finger(random: () => number): { quality: number; minutiae: JsonMinutia[] } {
  const cx = WIDTH / 2 + (random() - 0.5) * 60;
  const cy = HEIGHT * 0.45 + (random() - 0.5) * 60;
  const count = 30 + Math.floor(random() * 16);
  const minutiae: JsonMinutia[] = [];
  for (let tries = 0; minutiae.length < count && tries < 5000; tries++) {
    const x = Math.round(30 + random() * (WIDTH - 60));
    const y = Math.round(30 + random() * (HEIGHT - 60));
    // Fingertip: an ellipse a little narrower than the image.
    if (((x - WIDTH / 2) / (WIDTH * 0.44)) ** 2 + ((y - HEIGHT / 2) / (HEIGHT * 0.46)) ** 2 > 1) continue;
    if (minutiae.some((m) => Math.hypot(m.x - x, m.y - y) < MIN_GAP)) continue;
    // Ridges loop around the core: direction tangent to the circle through the point, plus noise.
    const tangent = (Math.atan2(cy - y, x - cx) * 180) / Math.PI + 90 + (random() - 0.5) * 30;
    const angle = Math.round((((tangent % 360) + 360) % 360) * 10) / 10;
    minutiae.push({ x, y, angle: angle >= 360 ? 0 : angle, type: random() < 0.55 ? 'ending' : 'bifurcation', quality: 40 + Math.floor(random() * 61) });
  }
  return { quality: 60 + Math.floor(random() * 41), minutiae };
}

mkdirSync('fixtures/fingers', { recursive: true });
for (const file of readdirSync('fixtures/citizens').sort()) {
  const n = /citizen-(\d+)\.json$/.exec(file)?.[1];
  if (n === undefined) continue;
  const { id } = JSON.parse(readFileSync(`fixtures/citizens/${file}`, 'utf8')) as { id: string };
  const random = prng(Number(id.slice(-9)));
  const positions = Number(n) % 2 === 0 ? [2, 7] : [2];
  const list = { width: WIDTH, height: HEIGHT, resolution: 197, fingers: positions.map((position) => ({ position, ...finger(random) })) };
  const iso = fingerJsonToIso(list).iso;
  writeFileSync(`fixtures/fingers/finger-${n}.json`, `${JSON.stringify(list, null, 1)}\n`);
  writeFileSync(`fixtures/fingers/finger-${n}.iso`, iso);
  console.log(`fixtures/fingers/finger-${n}.{json,iso}`, list.fingers.map((f) => f.minutiae.length).join('+'), 'minutiae,', iso.length, 'bytes');
}
