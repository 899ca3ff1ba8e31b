import { readFileSync, writeFileSync } from 'node:fs';
import { parseCitizenRecord } from './src/issuance/citizen.js';
import { makePortrait } from './src/issuance/portrait.js';
import { renderCardFace } from './src/issuance/card-face.js';
import { cccdQrText } from './src/issuance/qr-payloads.js';
for (const n of process.argv.slice(2)) {
  const record = parseCitizenRecord(readFileSync(`fixtures/citizens/citizen-${n}.json`, 'utf8'));
  const p = await makePortrait(new Uint8Array(readFileSync(`fixtures/faces/face-${n}.jpg`)), { faceBox: { left: 225, top: 135, width: 350, height: 475 } });
  const t = performance.now();
  const face = await renderCardFace({ record, portrait: p.jpeg, qr: cccdQrText(record) });
  console.log(n, performance.now() - t);
  writeFileSync(`/tmp/h10/front-${n}.png`, face.front);
  writeFileSync(`/tmp/h10/back-${n}.png`, face.back);
}
