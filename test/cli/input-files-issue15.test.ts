/**
 * Issue 15 item 9 (docs/input-limits.md): every file the CLI reads is a regular file under the cap
 * of its kind. The hostile files are made with the system's own tools (ln -s, mkfifo, truncate),
 * and each must end in exit 4 with one line naming the file — never a hang, never gigabytes read.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INPUT_LIMITS, readInputFile, readInputFileSync, readInputText } from '../../src/crypto/file-io.js';
import { loadSigner } from '../../src/crypto/keystore.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'cancuoc-inputs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const S = 'test/vectors/samples';
const TRUST = `${S}/bsi-tr03105/CSCA_NL_serial6_210621-340630.cer`;
const fifo = join(work, 'fifo');
execFileSync('mkfifo', [fifo]);
const zero = join(work, 'zero.bin');
symlinkSync('/dev/zero', zero);
const huge = join(work, 'huge.cer');
execFileSync('truncate', ['-s', String(INPUT_LIMITS.trust + 1), huge]); // sparse: costs no disk

function expectBadInput(r: CliResult, names: string): void {
  expect(r.status).toBe(4);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(names);
  expect(r.stderr).not.toContain('internal error');
}

describe('one bounded reader for every file input', () => {
  it('refuses a FIFO without waiting for a writer', async () => {
    await expect(readInputFile(fifo, 'trust')).rejects.toMatchObject({ code: 'INPUT_NOT_REGULAR' });
    expect(() => readInputFileSync(fifo, 'cardImage')).toThrow(/a FIFO, expected a regular file/);
  });

  it('refuses a link to /dev/zero and a directory, naming the file', async () => {
    await expect(readInputFile(zero, 'ef')).rejects.toMatchObject({ code: 'INPUT_NOT_REGULAR', message: expect.stringContaining('a character device') });
    await expect(readInputFile(work, 'json')).rejects.toMatchObject({ code: 'INPUT_NOT_REGULAR', message: expect.stringContaining(`a directory, expected a regular file (file ${work})`) });
  });

  it('refuses a file one byte over its cap, and accepts one at the cap', async () => {
    await expect(readInputFile(huge, 'trust')).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
    const atCap = join(work, 'at-cap.bin');
    execFileSync('truncate', ['-s', String(INPUT_LIMITS.ef), atCap]);
    expect((await readInputFile(atCap, 'ef')).length).toBe(INPUT_LIMITS.ef);
  });

  it('drops a UTF-8 byte-order mark from text and refuses bytes that are not UTF-8', async () => {
    const bom = join(work, 'bom.json');
    writeFileSync(bom, Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"a":1}')]));
    expect(JSON.parse(await readInputText(bom, 'json'))).toEqual({ a: 1 });
    const latin1 = join(work, 'latin1.json');
    writeFileSync(latin1, Buffer.from([0x22, 0xe9, 0x22]));
    await expect(readInputText(latin1, 'json')).rejects.toMatchObject({ code: 'INPUT_NOT_UTF8' });
  });

  it('a key file linked to /dev/urandom is refused, not read forever', async () => {
    const key = join(work, 'ds-key.pem');
    symlinkSync('/dev/urandom', key);
    await expect(loadSigner({ kind: 'pkcs8', suite: 'ecdsa-p256', file: key, encrypted: false })).rejects.toThrow(/a character device/);
  });
});

describe('the CLI on hostile files: exit 4, one line, the file named', () => {
  it('verify --dir with DG2.bin linked to /dev/zero', () => {
    const dump = join(work, 'dump');
    cpSync(`${S}/bsi2008`, dump, { recursive: true });
    rmSync(join(dump, 'Datagroup2.bin'));
    symlinkSync('/dev/zero', join(dump, 'Datagroup2.bin'));
    expectBadInput(runCli(['verify', '--dir', dump, '--trust', TRUST, '--no-face']), `a character device, expected a regular file (file ${join(dump, 'Datagroup2.bin')})`);
  });

  it('verify --dir with an EF larger than a chip can hold (64 KB)', () => {
    const dump = join(work, 'dump-big');
    cpSync(`${S}/bsi2008`, dump, { recursive: true });
    execFileSync('truncate', ['-s', String(INPUT_LIMITS.ef + 1), join(dump, 'Datagroup3.bin')]);
    expectBadInput(runCli(['verify', '--dir', dump, '--trust', TRUST, '--no-face']), `larger than 65536 bytes, its limit (docs/input-limits.md) (file ${join(dump, 'Datagroup3.bin')})`);
  });

  it('--trust /dev/zero, a FIFO, and a sparse 16 MB file', () => {
    expectBadInput(runCli(['lds', 'verify', `${S}/bsi2008`, '--trust', '/dev/zero']), 'a character device, expected a regular file (file /dev/zero)');
    expectBadInput(runCli(['lds', 'verify', `${S}/bsi2008`, '--trust', fifo]), `a FIFO, expected a regular file (file ${fifo})`);
    expectBadInput(runCli(['lds', 'verify', `${S}/bsi2008`, '--trust', huge]), 'larger than');
  });

  it('lds build --finger /dev/zero, --record a directory', () => {
    const base = ['lds', 'build', '--photo', 'fixtures/faces/face-02.jpg', '--pki', join(work, 'no-pki'), '--out', join(work, 'set')];
    expectBadInput(runCli([...base, '--record', 'fixtures/citizens/citizen-02.json', '--finger', '/dev/zero']), '/dev/zero');
    mkdirSync(join(work, 'record-dir'));
    expectBadInput(runCli([...base, '--record', join(work, 'record-dir')]), `a directory, expected a regular file (file ${join(work, 'record-dir')})`);
  });

  it('card serve --image /dev/zero', () => {
    expectBadInput(runCli(['card', 'serve', '--image', zero, '--port', '1']), `a character device, expected a regular file (file ${zero})`);
  });
});
