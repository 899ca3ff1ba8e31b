/**
 * Issue 15 item 10 and issue 10 item 9: a set is written as a whole folder. `lds build` into
 * another citizen's folder is refused (exit 4) unless --force, which replaces the whole set — no
 * DG3 of the previous citizen left beside the new SOD. Personal data and keys are 0600 in a 0700
 * folder; a temporary file planted as a symbolic link is never written through.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualChip } from '../../src/card/chip.js';
import { saveImage } from '../../src/card/image.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'cancuoc-sets-'));
const pki = join(work, 'pki');
const set = join(work, 'set');
afterAll(() => rmSync(work, { recursive: true, force: true }));

const build = (citizen: string, extra: string[] = []) =>
  runCli(['lds', 'build', '--record', `fixtures/citizens/citizen-${citizen}.json`, '--photo', `fixtures/faces/face-${citizen}.jpg`, '--pki', pki, '--out', set, '--insecure-plain-keys', ...extra]);

beforeAll(() => {
  const init = runCli(['pki', 'init', '--out', pki, '--insecure-plain-keys']);
  expect(init.status).toBe(0);
  const first = build('02', ['--finger', 'test/vectors/fmr/iso19794-2-2005_sourceafis-probe.fmr']);
  expect(first.stderr).toBe('');
  expect(first.status).toBe(0);
});

describe('lds build into an existing set', () => {
  it('files holding personal data and keys are 0600 in a 0700 folder (ls -l as the judge)', () => {
    expect(statSync(set).mode & 0o777).toBe(0o700);
    const listing = execFileSync('ls', ['-l', set], { encoding: 'utf8' }).split('\n').filter((l) => l.endsWith('.bin') || l.endsWith('.pem') || l.endsWith('.json'));
    expect(listing.length).toBeGreaterThanOrEqual(10);
    for (const line of listing) expect(line.startsWith('-rw-------')).toBe(true);
  });

  it('refuses a non-empty folder without --force and leaves it as it was', () => {
    const before = readFileSync(join(set, 'SOD.bin'));
    const r = build('01');
    expect(r.status).toBe(4);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('not empty');
    expect(readFileSync(join(set, 'SOD.bin'))).toEqual(before);
    expect(readdirSync(set)).toContain('DG3.bin');
  });

  it('enroll refuses it too, before any work', () => {
    const r = runCli(['enroll', '--record', 'fixtures/citizens/citizen-01.json', '--photo', 'fixtures/faces/face-01.jpg', '--pki', pki, '--out', set, '--insecure-plain-keys']);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^cancuoc: output folder is not empty.*\n$/);
    expect(readdirSync(set)).toContain('DG3.bin');
  });

  it('--force replaces the whole set: the previous citizen\'s DG3 is gone, nothing is left beside the folder', () => {
    const r = build('01', ['--force']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readdirSync(set)).not.toContain('DG3.bin');
    const manifest = JSON.parse(readFileSync(join(set, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
    expect(Object.keys(manifest.files)).not.toContain('DG3');
    expect(readdirSync(work).sort()).toEqual(['pki', 'set']);
    expect(statSync(set).mode & 0o777).toBe(0o700);
  });

  it('an existing empty folder is used without --force', () => {
    const empty = join(work, 'empty');
    mkdirSync(empty, { mode: 0o755 });
    const r = runCli(['lds', 'build', '--record', 'fixtures/citizens/citizen-03.json', '--photo', 'fixtures/faces/face-03.jpg', '--pki', pki, '--out', empty, '--insecure-plain-keys']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readdirSync(empty)).toContain('SOD.bin');
    expect(statSync(empty).mode & 0o777).toBe(0o700);
    rmSync(empty, { recursive: true });
  });
});

describe('temporary files are created exclusively', () => {
  it('a symbolic link planted where the card image used to put its temporary file is not followed', () => {
    const dir = join(work, 'cards');
    mkdirSync(dir);
    const file = join(dir, 'card.json');
    const victim = join(work, 'victim.txt');
    writeFileSync(victim, 'untouched');
    symlinkSync(victim, `${file}.${process.pid}.tmp`); // the old, predictable name
    saveImage(file, new VirtualChip().image());
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(lstatSync(file).isFile()).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
