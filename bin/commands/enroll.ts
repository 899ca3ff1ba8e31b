import { checkOutputDir, readInputFile, readInputText, writeFileAtomic } from '../../src/crypto/file-io.js';
import { fingerInputToIso } from '../../src/issuance/finger-input.js';
import type { Command } from 'commander';
import { loadPki } from '../../src/crypto/pki.js';
import { ValidationError } from '../../src/lds/errors.js';
import { parseCitizenRecord } from '../../src/issuance/citizen.js';
import { enroll, ENROLL_FILES, writeEnrollment, type CardQr } from '../../src/issuance/enroll.js';
import type { FaceBox } from '../../src/issuance/portrait.js';
import { FACE_REFUSALS } from '../../src/issuance/photo-judge.js';
import { renderPreview, renderRefusedPreview } from '../../src/issuance/portrait-preview.js';
import { eacOption, fingerFiles, photoBudgetOption, sodHashOption } from './options.js';

interface EnrollOptions {
  record: string;
  photo: string;
  finger?: string[];
  pki: string;
  out: string;
  faceBox?: string;
  grayscale?: boolean;
  hash: string;
  photoBudget: string;
  cardQr: string;
  insecurePlainKeys?: boolean;
  force?: boolean;
  preview?: string;
}

/** `--face-box x,y,w,h` in pixels of the photo. */
export function parseFaceBox(text: string): FaceBox {
  const parts = text.split(',').map((p) => p.trim());
  const [left, top, width, height] = parts.map(Number) as [number, number, number, number];
  if (parts.length !== 4 || ![left, top, width, height].every((n) => Number.isInteger(n) && n >= 0) || width === 0 || height === 0) {
    throw new ValidationError('CLI_FACE_BOX', `--face-box ${text}: expected x,y,w,h in whole pixels, w and h > 0`, { field: '--face-box' });
  }
  return { left, top, width, height };
}

export function registerEnroll(program: Command): void {
  program
    .command('enroll')
    .description('enroll one citizen: document set with chip keys, both QR payloads and the card face (extends `lds build`)')
    .requiredOption('--record <file>', 'citizen record (JSON)')
    .requiredOption('--photo <file>', 'face photo (JPEG or PNG)')
    .option('--finger <file...>', 'finger template: ISO/IEC 19794-2, ANSI INCITS 378 or JSON minutiae list; one or two fingers')
    .requiredOption('--pki <dir>', 'PKI made by `cancuoc pki init`')
    .requiredOption('--out <dir>', 'directory for the enrollment')
    .option('--face-box <x,y,w,h>', 'where the head is in the photo, in pixels (default: found by the face detector)')
    .option('--preview <file.png>', 'also write the photo with the face, the eyes and the portrait crop drawn on it')
    .option('--grayscale', 'grayscale portrait')
    .option('--hash <name>', 'SOD hash: sha256, sha384 or sha512', 'sha256')
    .option('--photo-budget <bytes>', 'largest DG2 JPEG', '15000')
    .option('--card-qr <payload>', 'what the printed QR carries: plain or seal', 'plain')
    .option('--insecure-plain-keys', 'write the chip keys unencrypted (throwaway test sets only)')
    .option('--force', 'replace an existing, non-empty output folder (the whole set)')
    .action(async (opts: EnrollOptions) => {
      const hash = sodHashOption(opts.hash);
      await checkOutputDir(opts.out, opts.force === true); // before any work or passphrase prompt
      const budget = photoBudgetOption(opts.photoBudget);
      if (opts.cardQr !== 'plain' && opts.cardQr !== 'seal') {
        throw new ValidationError('CLI_CARD_QR', `--card-qr ${opts.cardQr}: expected plain or seal`, { field: '--card-qr' });
      }
      const faceBox = opts.faceBox === undefined ? undefined : parseFaceBox(opts.faceBox);
      const record = parseCitizenRecord(await readInputText(opts.record, 'json'));
      const photo = await readInputFile(opts.photo, 'photo');
      const fingers = await fingerFiles(opts.finger, fingerInputToIso);
      const pki = await loadPki(opts.pki);
      try {
        const enrollment = await enroll({
          record,
          photo,
          fingers,
          ...(faceBox === undefined ? {} : { faceBox }),
          grayscale: opts.grayscale === true,
          photoBudget: budget,
          dsSigner: pki.signers.ds,
          dsCertificate: pki.certificates.ds,
          sealSigner: pki.signers.seal,
          sealCertificate: pki.certificates.seal,
          hash,
          cardQr: opts.cardQr as CardQr,
          ...eacOption(pki),
        }).catch(async (e: unknown) => {
          // A refused photo still gets its preview (the faces found), so the operator sees why.
          if (opts.preview !== undefined && e instanceof ValidationError && FACE_REFUSALS.has(e.code)) {
            await writeFileAtomic(opts.preview, await renderRefusedPreview(photo));
          }
          throw e;
        });
        const manifest = await writeEnrollment(opts.out, enrollment, { insecurePlainKeys: opts.insecurePlainKeys === true, force: opts.force === true });
        const extra = [ENROLL_FILES.qrPlain, ...(enrollment.qrSeal === undefined ? [] : [ENROLL_FILES.qrSeal]), ENROLL_FILES.front, ENROLL_FILES.back];
        const { portrait } = enrollment.documentSet;
        process.stdout.write(
          `enrollment written to ${opts.out}: ${[...Object.values(manifest.files), ...extra].join(', ')}, manifest.json ` +
            `(portrait ${portrait.width}×${portrait.height}, ${portrait.bytes} bytes; ${enrollment.fingers.length} finger template(s))\n`,
        );
        for (const note of enrollment.notes) process.stdout.write(`note: ${note}\n`);
        if (opts.preview !== undefined) {
          await writeFileAtomic(opts.preview, await renderPreview(photo, enrollment.portrait.analysis));
          process.stdout.write(`preview written to ${opts.preview}\n`);
        }
      } finally {
        pki.close();
      }
    });
}
