/**
 * The card image: everything a chip keeps in its non-volatile memory — the elementary files,
 * the access keys (MRZ information, CAN), the AA and CA private keys, the life-cycle state and
 * the chip serial number — as one JSON file.
 *
 * Writes are atomic: the image goes to a temporary file beside the target, is fsync'ed, renamed
 * over the target, and the directory is fsync'ed (POSIX rename(2) replaces atomically), so a
 * crash leaves either the old image or the new one, never half of one. Like a chip's EEPROM, the
 * image holds the chip's private keys in the clear; it is written with mode 0600.
 */
import { randomBytes } from 'node:crypto';
import { readInputFileSync, writeFileAtomicSync } from '../crypto/file-io.js';
import { fromHex, hex } from '../lds/bytes.js';
import { ParseError } from '../lds/errors.js';

export const IMAGE_FORMAT = 'cancuoc-card-image/1';

/** The AA key: RSA arrives in two PUT DATA commands (modulus, then exponent), EC in one. */
export type AaKeyImage =
  | { readonly kind: 'rsa'; readonly modulus?: Uint8Array; readonly privateExponent?: Uint8Array }
  | { readonly kind: 'ec'; readonly parameterId: number; readonly privateKey: Uint8Array; readonly publicKey: Uint8Array };

/** A Chip Authentication key on a Table 12 curve (ICAO 9303-11 §9.5.1). */
export interface CaKeyImage {
  readonly keyId?: number;
  readonly parameterId: number;
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A CVCA trust anchor stored for Terminal Authentication (JMRTD PUT DATA 01 64), kept opaque. */
export interface CvcaImage {
  readonly slot: number;
  readonly body: Uint8Array;
}

export interface ChipImage {
  /** Random chip serial number, fixed when the blank card is made. */
  readonly serial: Uint8Array;
  /** After PUT DATA DE AD: no more personalization, reads need access control. */
  readonly locked: boolean;
  /** Elementary files by FID; each array has the size CREATE FILE gave it. */
  readonly files: ReadonlyMap<number, Uint8Array>;
  /** MRZ_information (ICAO 9303-11 §9.7.2) for BAC and PACE-MRZ. */
  readonly mrzInformation?: string;
  readonly can?: string;
  readonly aaKey?: AaKeyImage;
  readonly caKeys: readonly CaKeyImage[];
  readonly cvca: readonly CvcaImage[];
  /** Failed BAC / PACE attempts since the last success (access-attempts.ts); absent in older images = 0. */
  readonly accessFailures?: number;
  /** The chip's current date for Terminal Authentication, YYYY-MM-DD (docs/eac.md). */
  readonly currentDate?: string;
}

/** Far above what anyone reaches at MAX_DELAY_MS a try; bounds what an edited image may claim. */
const MAX_ACCESS_FAILURES = 0xffffffff;

const SERIAL_LENGTH = 8;

/** A new blank card: no files, no keys, unlocked, a fresh serial number. */
export function blankImage(serial: Uint8Array = new Uint8Array(randomBytes(SERIAL_LENGTH))): ChipImage {
  return Object.freeze({ serial, locked: false, files: new Map(), caKeys: [], cvca: [] });
}

// ---------------------------------------------------------------------------------------------
// JSON encoding

const fidHex = (fid: number): string => fid.toString(16).toUpperCase().padStart(4, '0');

/** The image as JSON text (UTF-8 bytes). */
export function encodeImage(image: ChipImage): Uint8Array {
  const files: Record<string, string> = {};
  for (const [fid, data] of [...image.files].sort((a, b) => a[0] - b[0])) files[fidHex(fid)] = hex(data);
  const aa = image.aaKey;
  const json = {
    format: IMAGE_FORMAT,
    serial: hex(image.serial),
    locked: image.locked,
    files,
    ...(image.mrzInformation === undefined ? {} : { mrzInformation: image.mrzInformation }),
    ...(image.can === undefined ? {} : { can: image.can }),
    ...(aa === undefined
      ? {}
      : {
          aaKey:
            aa.kind === 'rsa'
              ? { kind: 'rsa', modulus: optHex(aa.modulus), privateExponent: optHex(aa.privateExponent) }
              : { kind: 'ec', parameterId: aa.parameterId, privateKey: hex(aa.privateKey), publicKey: hex(aa.publicKey) },
        }),
    caKeys: image.caKeys.map((k) => ({ keyId: k.keyId, parameterId: k.parameterId, privateKey: hex(k.privateKey), publicKey: hex(k.publicKey) })),
    cvca: image.cvca.map((c) => ({ slot: c.slot, body: hex(c.body) })),
    ...(image.accessFailures === undefined || image.accessFailures === 0 ? {} : { accessFailures: image.accessFailures }),
    ...(image.currentDate === undefined ? {} : { currentDate: image.currentDate }),
  };
  return new TextEncoder().encode(JSON.stringify(json, null, 1) + '\n');
}

function optHex(b: Uint8Array | undefined): string | undefined {
  return b === undefined ? undefined : hex(b);
}

function invalid(field: string, why: string): ParseError {
  return new ParseError('CARD_IMAGE_INVALID', `card image: ${why}`, { field });
}

type Json = Record<string, unknown>;

function obj(v: unknown, field: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(field, 'expected an object');
  return v as Json;
}

function bytesField(v: unknown, field: string): Uint8Array {
  if (typeof v !== 'string' || !/^([0-9a-f]{2})*$/i.test(v)) throw invalid(field, 'expected hex digits');
  return fromHex(v);
}

function optBytes(v: unknown, field: string): Uint8Array | undefined {
  return v === undefined ? undefined : bytesField(v, field);
}

function intField(v: unknown, field: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw invalid(field, `expected an integer 0..${max}`);
  return v;
}

function stringField(v: unknown, field: string, pattern: RegExp): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !pattern.test(v)) throw invalid(field, 'malformed');
  return v;
}

function arrayField(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw invalid(field, 'expected an array');
  return v;
}

/** Parses an image file; anything malformed is a ParseError CARD_IMAGE_INVALID naming the field. */
export function decodeImage(bytes: Uint8Array): ChipImage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ParseError('CARD_IMAGE_INVALID', 'card image is not JSON text', {}, { cause: e });
  }
  const j = obj(parsed, 'image');
  if (j.format !== IMAGE_FORMAT) throw invalid('format', `expected ${IMAGE_FORMAT}`);
  if (typeof j.locked !== 'boolean') throw invalid('locked', 'expected true or false');
  const files = new Map<number, Uint8Array>();
  for (const [name, data] of Object.entries(obj(j.files, 'files'))) {
    if (!/^[0-9A-F]{4}$/.test(name)) throw invalid(`files.${name}`, 'file id must be 4 upper-case hex digits');
    files.set(parseInt(name, 16), bytesField(data, `files.${name}`));
  }
  const serial = bytesField(j.serial, 'serial');
  if (serial.length === 0) throw invalid('serial', 'empty');
  const image: ChipImage = {
    serial,
    locked: j.locked,
    files,
    mrzInformation: stringField(j.mrzInformation, 'mrzInformation', /^[0-9A-Z<]{15,}$/),
    can: stringField(j.can, 'can', /^[0-9]{1,16}$/),
    aaKey: j.aaKey === undefined ? undefined : decodeAaKey(obj(j.aaKey, 'aaKey')),
    caKeys: arrayField(j.caKeys, 'caKeys').map((k, i) => {
      const o = obj(k, `caKeys.${i}`);
      return Object.freeze({
        ...(o.keyId === undefined ? {} : { keyId: intField(o.keyId, `caKeys.${i}.keyId`, 0xffffffff) }),
        parameterId: intField(o.parameterId, `caKeys.${i}.parameterId`, 31),
        privateKey: bytesField(o.privateKey, `caKeys.${i}.privateKey`),
        publicKey: bytesField(o.publicKey, `caKeys.${i}.publicKey`),
      });
    }),
    cvca: arrayField(j.cvca, 'cvca').map((c, i) => {
      const o = obj(c, `cvca.${i}`);
      return Object.freeze({ slot: intField(o.slot, `cvca.${i}.slot`, 0xff), body: bytesField(o.body, `cvca.${i}.body`) });
    }),
    accessFailures: j.accessFailures === undefined ? 0 : intField(j.accessFailures, 'accessFailures', MAX_ACCESS_FAILURES),
    currentDate: stringField(j.currentDate, 'currentDate', /^20\d\d-[01]\d-[0-3]\d$/),
  };
  return Object.freeze(image);
}

function decodeAaKey(o: Json): AaKeyImage {
  if (o.kind === 'rsa') {
    const modulus = optBytes(o.modulus, 'aaKey.modulus');
    const privateExponent = optBytes(o.privateExponent, 'aaKey.privateExponent');
    return Object.freeze({ kind: 'rsa', ...(modulus && { modulus }), ...(privateExponent && { privateExponent }) });
  }
  if (o.kind === 'ec') {
    return Object.freeze({
      kind: 'ec',
      parameterId: intField(o.parameterId, 'aaKey.parameterId', 31),
      privateKey: bytesField(o.privateKey, 'aaKey.privateKey'),
      publicKey: bytesField(o.publicKey, 'aaKey.publicKey'),
    });
  }
  throw invalid('aaKey.kind', 'expected rsa or ec');
}

// ---------------------------------------------------------------------------------------------
// Files

/** Reads and parses an image file; an error names the file. */
export function loadImage(file: string): ChipImage {
  const bytes = readInputFileSync(file, 'cardImage');
  try {
    return decodeImage(bytes);
  } catch (e) {
    if (e instanceof ParseError) throw new ParseError(e.code, `card image ${file}: ${e.message}`, {}, { cause: e });
    throw e;
  }
}

/**
 * Writes the image atomically: temp file in the same directory, fsync, rename over `file`,
 * fsync of the directory. A failure before the rename leaves the old image untouched.
 */
export function saveImage(file: string, image: ChipImage): void {
  writeFileAtomicSync(file, encodeImage(image), 0o600);
}

/** How the chip hands its state to storage; see ImageFile. */
export interface ChipPersistence {
  /** The state changed; the store may write it later. */
  changed(snapshot: () => ChipImage): void;
  /** Writes any pending change now; throws if it cannot. */
  flush(): void;
}

/**
 * An image file that the chip keeps up to date. Changes are written `delayMs` after the last
 * one (personalization sends many UPDATE BINARY chunks); the chip flushes before it answers the
 * lock command, and the owner flushes at shutdown.
 */
export class ImageFile implements ChipPersistence {
  #pending: (() => ChipImage) | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #delayMs: number;
  readonly #onError: (e: unknown) => void;

  constructor(
    readonly file: string,
    opts: { readonly delayMs?: number; readonly onError?: (e: unknown) => void } = {},
  ) {
    if (typeof file !== 'string' || file.length === 0) throw new TypeError('"file" expected a path');
    this.#delayMs = opts.delayMs ?? 200;
    this.#onError = opts.onError ?? ((e) => process.emitWarning(e instanceof Error ? e.message : String(e)));
  }

  changed(snapshot: () => ChipImage): void {
    this.#pending = snapshot;
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      try {
        this.flush();
      } catch (e) {
        this.#onError(e);
      }
    }, this.#delayMs);
    this.#timer.unref();
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const snapshot = this.#pending;
    if (snapshot === undefined) return;
    saveImage(this.file, snapshot());
    this.#pending = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The chip's working copy

/** The mutable memory a running chip works on; `imageOf` freezes a copy of it. */
export interface ChipMemory {
  readonly serial: Uint8Array;
  locked: boolean;
  readonly files: Map<number, Uint8Array>;
  mrzInformation?: string;
  can?: string;
  aaKey?: AaKeyImage;
  caKeys: CaKeyImage[];
  cvca: CvcaImage[];
  accessFailures: number;
  currentDate?: string;
}

/** A working copy of an image (file contents copied: the image stays untouched). */
export function memoryOf(image: ChipImage): ChipMemory {
  const files = new Map<number, Uint8Array>();
  for (const [fid, data] of image.files) files.set(fid, data.slice());
  return {
    serial: image.serial.slice(),
    locked: image.locked,
    files,
    ...(image.mrzInformation === undefined ? {} : { mrzInformation: image.mrzInformation }),
    ...(image.can === undefined ? {} : { can: image.can }),
    ...(image.aaKey === undefined ? {} : { aaKey: image.aaKey }),
    caKeys: [...image.caKeys],
    cvca: [...image.cvca],
    accessFailures: image.accessFailures ?? 0,
    ...(image.currentDate === undefined ? {} : { currentDate: image.currentDate }),
  };
}

/** A frozen snapshot of the memory. */
export function imageOf(memory: ChipMemory): ChipImage {
  const files = new Map<number, Uint8Array>();
  for (const [fid, data] of memory.files) files.set(fid, data.slice());
  return Object.freeze({
    serial: memory.serial.slice(),
    locked: memory.locked,
    files,
    mrzInformation: memory.mrzInformation,
    can: memory.can,
    aaKey: memory.aaKey,
    caKeys: Object.freeze([...memory.caKeys]),
    cvca: Object.freeze([...memory.cvca]),
    accessFailures: memory.accessFailures,
    currentDate: memory.currentDate,
  });
}
