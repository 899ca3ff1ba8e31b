/**
 * Enrollment time per citizen (issue 5 §4, issue 11): photo → face detection, portrait, DGs, SOD
 * signing, chip keys, both QR payloads and the card face, for every fixtures/citizens record with its
 * face and fingers; the mean over the fixtures after one warm-up (which also loads the detector).
 * Beside it: the face detection alone, and the card face alone (the baseline in the same run).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initPki, loadPki } from '../src/crypto/pki.js';
import { renderCardFace } from '../src/issuance/card-face.js';
import { parseCitizenRecord } from '../src/issuance/citizen.js';
import { enroll } from '../src/issuance/enroll.js';
import { packageRoot } from '../bin/commands/package-root.js';
import { round } from './measure.js';

export async function runEnrollBench(): Promise<Record<string, number>> {
  const root = packageRoot();
  const citizens = readdirSync(join(root, 'fixtures/citizens')).filter((f) => f.endsWith('.json')).sort();
  const inputs = citizens.map((f) => {
    const n = /(\d+)/.exec(f)![1]!;
    return {
      record: parseCitizenRecord(readFileSync(join(root, 'fixtures/citizens', f), 'utf8')),
      photo: new Uint8Array(readFileSync(join(root, `fixtures/faces/face-${n}.jpg`))),
      fingers: [new Uint8Array(readFileSync(join(root, `fixtures/fingers/finger-${n}.iso`)))],
    };
  });
  const dir = await mkdtemp(join(tmpdir(), 'cancuoc-bench-enroll-'));
  try {
    await initPki({ dir, suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true });
    const pki = await loadPki(dir);
    try {
      const signers = { dsSigner: pki.signers.ds, dsCertificate: pki.certificates.ds, sealSigner: pki.signers.seal, sealCertificate: pki.certificates.seal };
      const first = await enroll({ ...inputs[0]!, ...signers }); // warm-up
      let total = 0;
      let detectTotal = 0;
      let faceTotal = 0;
      for (const input of inputs) {
        const start = performance.now();
        const e = await enroll({ ...input, ...signers });
        total += performance.now() - start;
        detectTotal += e.portrait.analysis.detectMs;
        const faceStart = performance.now();
        await renderCardFace({ record: input.record, portrait: e.portrait.jpeg, qr: e.qrPlain });
        faceTotal += performance.now() - faceStart;
      }
      if (first.documentSet.files.size === 0) throw new Error('bench enrollment made no files');
      return {
        'issuance.enroll_ms': round(total / inputs.length),
        'issuance.face_detect_ms': round(detectTotal / inputs.length),
        'issuance.card_face_ms': round(faceTotal / inputs.length),
      };
    } finally {
      pki.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
