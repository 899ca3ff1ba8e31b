/**
 * Issue 15 item 13: `verify --dir` writes the face (personal data) only when --face asks for it,
 * and never over an existing file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const ROOT = join(import.meta.dirname, '..', '..');
const S = join(ROOT, 'test/vectors/samples');
const TRUST = join(S, 'bsi-tr03105/CSCA_NL_serial6_210621-340630.cer');
const work = mkdtempSync(join(tmpdir(), 'cancuoc-face-file-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('verify --dir and the face file', () => {
  it('writes nothing into the current folder without --face', () => {
    const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'bin/cli.ts'), 'verify', '--dir', join(S, 'bsi2008'), '--trust', TRUST, '--at', '2008-06-01T00:00:00Z'], {
      cwd: work,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('VERDICT: UNTRUSTED');
    expect(r.stdout).toMatch(/Ảnh chân dung:.*not saved/);
    expect(readdirSync(work)).toEqual([]);
  });

  it('--face FILE writes a new file, mode 0600 (with --json too)', () => {
    const face = join(work, 'face.jpg');
    const r = runCli(['verify', '--dir', join(S, 'bsi2008'), '--trust', TRUST, '--at', '2008-06-01T00:00:00Z', '--face', face, '--json']);
    expect(r.status).toBe(2);
    // bsi2008 holds JPEG 2000: kept as .jp2 when sharp has no decoder for it
    const written = (JSON.parse(r.stdout) as { faceFile: string }).faceFile;
    expect([face, join(work, 'face.jp2')]).toContain(written);
    expect(['ffd8', '0000']).toContain(readFileSync(written).subarray(0, 2).toString('hex'));
    expect(statSync(written).mode & 0o777).toBe(0o600);
  });

  it('refuses an existing --face file (exit 4, one line) and leaves it as it was', () => {
    const face = join(work, 'mine.jpg');
    writeFileSync(face, 'not to be lost');
    const r = runCli(['verify', '--dir', join(S, 'bsi2008'), '--trust', TRUST, '--face', face]);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^cancuoc: --face .*mine\.jpg: the file exists; not overwritten.*\n$/);
    expect(readFileSync(face, 'utf8')).toBe('not to be lost');
  });
});
