/**
 * The one way cancuoc reads and writes files given to it (docs/input-limits.md).
 *
 * Reads: only regular files (a FIFO, /dev/zero or a directory is refused before a byte is read;
 * the open is non-blocking so a FIFO cannot hang it), at most the cap of their kind, and the bytes
 * past the cap are never read. Writes: a temporary file created exclusively beside the target
 * (O_CREAT|O_EXCL: a planted symlink or file makes it fail, never followed), mode set on the open
 * descriptor, fsync, rename over the target, fsync of the directory.
 *
 * It lives in src/crypto because src/lds does no I/O and every layer that reads files comes after.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { link, mkdir, mkdtemp, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ValidationError } from '../lds/errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The largest file accepted, per kind of input (docs/input-limits.md says why each). */
export const INPUT_LIMITS = Object.freeze({
  /** An elementary file of the LDS: a chip addresses at most 64 KB per EF (ISO/IEC 7816-4 §7.2.2, 15-bit offset + extended read). */
  ef: 64 * KiB,
  /** CSCA certificates, CRLs, master lists, revocation lists. */
  trust: 16 * MiB,
  /** A face photo as taken (a phone JPEG). */
  photo: 32 * MiB,
  /** A fingerprint template (ISO/IEC 19794-2, ANSI 378). */
  finger: 1 * MiB,
  /** JSON: citizen records, manifests, pki.json. */
  json: 1 * MiB,
  /** PEM private keys and certificates. */
  pem: 1 * MiB,
  /** A card-verifiable certificate or request (TR-03110-3 annex C; a few hundred bytes). */
  cvcert: 64 * KiB,
  /** A virtual card image (every EF plus the chip's state). */
  cardImage: 8 * MiB,
  /** A batch queue (JSON lines or CSV). */
  queue: 16 * MiB,
  /** An image to scan for QR codes. */
  qrImage: 32 * MiB,
});

export type InputKind = keyof typeof INPUT_LIMITS;

const WHAT: Readonly<Record<InputKind, string>> = Object.freeze({
  ef: 'LDS file',
  trust: 'trust file',
  photo: 'photo',
  finger: 'finger file',
  json: 'JSON file',
  pem: 'key or certificate file',
  cvcert: 'CV certificate',
  cardImage: 'card image',
  queue: 'queue file',
  qrImage: 'image',
});

function typeOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function openError(path: string, kind: InputKind, e: unknown): ValidationError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ELOOP' ? 'too many symbolic links' : (code ?? 'cannot open');
  return new ValidationError(code === 'ENOENT' ? 'INPUT_NOT_FOUND' : 'INPUT_UNREADABLE', `${WHAT[kind]}: ${why}`, { file: path }, { cause: e });
}

function checkStat(path: string, kind: InputKind, st: fs.Stats): void {
  if (!st.isFile()) throw new ValidationError('INPUT_NOT_REGULAR', `${WHAT[kind]}: ${typeOf(st)}, expected a regular file`, { file: path });
  if (st.size > INPUT_LIMITS[kind]) throw tooLarge(path, kind);
}

function tooLarge(path: string, kind: InputKind): ValidationError {
  return new ValidationError('INPUT_TOO_LARGE', `${WHAT[kind]}: larger than ${INPUT_LIMITS[kind]} bytes, its limit (docs/input-limits.md)`, { file: path });
}

const READ_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

/** The buffer to read a checked file into: one byte more than its size, so growth shows. */
function bufferFor(path: string, kind: InputKind, st: fs.Stats): Uint8Array {
  checkStat(path, kind, st);
  return new Uint8Array(st.size + 1);
}

/** `n` bytes read into `buf`; a full buffer means the file grew while it was read. */
function readBytes(path: string, kind: InputKind, buf: Uint8Array, n: number): Uint8Array {
  if (n < buf.length) return buf.subarray(0, n);
  if (n > INPUT_LIMITS[kind]) throw tooLarge(path, kind);
  throw new ValidationError('INPUT_CHANGED', `${WHAT[kind]}: it grew while it was read`, { file: path });
}

/** Reads a regular file of at most INPUT_LIMITS[kind] bytes; a typed error naming the file otherwise. */
export async function readInputFile(path: string, kind: InputKind): Promise<Uint8Array> {
  const fh = await open(path, READ_FLAGS).catch((e: unknown) => {
    throw openError(path, kind, e);
  });
  try {
    const buf = bufferFor(path, kind, await fh.stat());
    let n = 0;
    for (let got = 1; got > 0 && n < buf.length; n += got) got = (await fh.read(buf, n, buf.length - n, null)).bytesRead;
    return readBytes(path, kind, buf, n);
  } catch (e) {
    if (e instanceof ValidationError) throw e;
    throw openError(path, kind, e);
  } finally {
    await fh.close();
  }
}

/** readInputFile, synchronous (the virtual chip loads its image before it serves). */
export function readInputFileSync(path: string, kind: InputKind): Uint8Array {
  let fd: number;
  try {
    fd = fs.openSync(path, READ_FLAGS);
  } catch (e) {
    throw openError(path, kind, e);
  }
  try {
    const buf = bufferFor(path, kind, fs.fstatSync(fd));
    let n = 0;
    for (let got = 1; got > 0 && n < buf.length; n += got) got = fs.readSync(fd, buf, n, buf.length - n, null);
    return readBytes(path, kind, buf, n);
  } catch (e) {
    if (e instanceof ValidationError) throw e;
    throw openError(path, kind, e);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A text file as UTF-8; a leading byte-order mark (U+FEFF, which editors on Windows write) is
 * dropped, and bytes that are not UTF-8 are refused rather than turned into U+FFFD.
 */
export async function readInputText(path: string, kind: InputKind): Promise<string> {
  const bytes = await readInputFile(path, kind);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ValidationError('INPUT_NOT_UTF8', `${WHAT[kind]}: not UTF-8 text`, { file: path });
  }
  return text;
}

function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

const TEMPORARY = /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/;

/** Removes the temporary files a killed writeFileAtomic left in `dir` (before rewriting its set). */
export async function removeTemporaries(dir: string): Promise<void> {
  const names = await fs.promises.readdir(dir);
  await Promise.all(names.filter((n) => TEMPORARY.test(n)).map((n) => unlink(join(dir, n)).catch(() => undefined)));
}

/**
 * Writes `data` so that readers see either the old file or the whole new one: a temporary file
 * created exclusively in the same directory, fsync, rename over the target, fsync the directory.
 * `mode` defaults to 0600 (personal data and keys). With `replace` false an existing target is
 * never touched: the temporary file is linked in (link(2) fails with EEXIST) instead of renamed.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o600, replace = true): Promise<void> {
  const tmp = tempPath(path);
  const fh = await open(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, mode);
  try {
    try {
      await fh.chmod(mode); // the umask may have narrowed it, or the caller widened it
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (replace) await rename(tmp, path);
    else await link(tmp, path).finally(() => unlink(tmp));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && !replace) throw new ValidationError('OUTPUT_EXISTS', 'file exists; not overwritten', { file: path });
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDirectory(dirname(path));
}

/** writeFileAtomic, synchronous (the virtual chip saves its image from synchronous handlers). */
export function writeFileAtomicSync(path: string, data: Uint8Array, mode = 0o600): void {
  const tmp = tempPath(path);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, mode);
  try {
    try {
      fs.fchmodSync(fd, mode);
      fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  const dir = fs.openSync(dirname(path), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Whether output folder `dir` exists; throws unless it is empty or `force` is given, so that two
 * sets never mix (a citizen's DG3 beside another's SOD).
 */
export async function checkOutputDir(dir: string, force: boolean): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'ENOTDIR') throw new ValidationError('OUTPUT_NOT_DIRECTORY', 'output is not a directory', { file: dir });
    throw e;
  }
  if (names.length > 0 && !force) throw notEmpty(dir);
  return true;
}

function notEmpty(dir: string): ValidationError {
  return new ValidationError('OUTPUT_NOT_EMPTY', 'output folder is not empty: refusing to mix two sets (--force replaces the whole set)', { file: dir });
}

/**
 * Writes a whole folder at once: `fill` writes into a fresh 0700 folder beside `dir`, which then
 * takes the place of `dir` by rename(2) — atomic over a missing or empty folder; over a non-empty
 * one (only with `force`) the old folder is moved aside first and removed after, so a reader sees
 * the old set, no set, or the new set, never a mix.
 */
export async function replaceDirectory<T>(dir: string, force: boolean, fill: (staging: string) => Promise<T>): Promise<T> {
  await checkOutputDir(dir, force);
  const parent = dirname(resolve(dir));
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(parent, `.${basename(resolve(dir))}.`));
  let result: T;
  try {
    result = await fill(staging);
    try {
      await rename(staging, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      if (!force) throw notEmpty(dir);
      const old = `${staging}.old`;
      await rename(dir, old);
      await rename(staging, dir);
      await rm(old, { recursive: true, force: true });
    }
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
  await syncDirectory(parent);
  return result;
}
