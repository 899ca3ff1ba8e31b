/**
 * Personalization of a blank chip from a document set (`cancuoc lds build`), with the protocol
 * of docs/perso.md: the JMRTD passport applet's commands (docs/perso-jmrtd.md, steps 0–6)
 * plus cancuoc's PUT DATA forms for the CAN, an EC AA key and a prime-curve CA key.
 *
 *   SELECT AID; per file CREATE FILE 00 E0 00 00 06 63 04 <size> <fid>, SELECT, UPDATE BINARY
 *   chunks (D7 with DO'54'/'53' beyond offset 32767); PUT DATA 62 MRZ seed, 65 CAN, 60/61 RSA or
 *   66 EC AA key, 67 CA key, xx 64 CVCA trust points and 68 the chip's date for Terminal
 *   Authentication (docs/eac.md). The PACE parameters are those EF.CardAccess announces.
 *
 * Then, before anything is locked: a PACE session with the CAN reads every file back and
 * compares bytes, Active Authentication runs against DG15 and Chip Authentication against DG14
 * (with DG1 read again under the new keys). Only then `00 DA DE AD` locks the card. Any failure
 * leaves the card unlocked and throws PersonalizationError naming the step and the file.
 */

import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { basename, join } from 'node:path';
import { commandApdu, encodeCommandApdu, decodeResponseApdu, INS, swHex, type CommandApdu } from '../lds/apdu.js';
import { ascii, concat, equalBytes, uintBE } from '../lds/bytes.js';
import { cvDateDigits } from '../lds/cvc.js';
import { CancuocError, ValidationError } from '../lds/errors.js';
import { fileByName } from '../lds/files.js';
import { encodeOid } from '../lds/oid.js';
import { decodePublicKey } from '../lds/public-key.js';
import { childrenOf, decodeTlv, encodeTlv } from '../lds/tlv.js';
import { ecDomainByNodeName, i2os, os2i } from '../crypto/curves.js';
import { readInputFile, readInputText } from '../crypto/file-io.js';
import { LDS1_AID, openCard } from './card-session.js';
import { learnReadLimits, selectEf, SHORT_LIMITS, type ReadLimits } from './read-file.js';
import { plainExchange, type Exchange } from './secure-transport.js';
import { borrowedTransport, type Transport } from './transport.js';

/** manifest.json of a document set (version 1, defined by the lead for `cancuoc lds build`). */
export interface DocumentSetManifest {
  readonly version: 1;
  readonly documentNumber: string;
  readonly dateOfBirth: string;
  /** YYMMDD, or '<<<<<<' for a card without expiry. */
  readonly dateOfExpiry: string;
  readonly can: string;
  /** LDS file name (COM, CardAccess, DG1…, SOD) → file name inside the set. */
  readonly files: Readonly<Record<string, string>>;
  /** `encrypted`: the key files are PKCS#8 encrypted with a passphrase (absent = look at the PEM). */
  readonly keys: { readonly aa: string; readonly ca: string; readonly encrypted?: boolean };
  readonly caKeyId?: number;
  /** Terminal Authentication: CVCA certificate files (trust points) and the chip's first date. */
  readonly eac?: { readonly cvca: readonly string[]; readonly currentDate: string };
}

/** A document set in memory, ready to write. */
export interface DocumentSet {
  readonly manifest: DocumentSetManifest;
  /** LDS file name → bytes. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly aaKey: KeyObject;
  readonly caKey: KeyObject;
  /** CVCA certificates to store as trust points and the chip's first current date (YYYY-MM-DD). */
  readonly eac?: { readonly trustPoints: readonly Uint8Array[]; readonly currentDate: string };
}

/** Personalization stopped; the card was left unlocked. `place.step` / `place.file` say where. */
export class PersonalizationError extends CancuocError {}

function manifestError(field: string, why: string): ValidationError {
  return new ValidationError('MANIFEST_INVALID', `manifest.json: ${field} ${why}`, { file: 'manifest.json', field });
}

function checkManifest(m: unknown): DocumentSetManifest {
  if (m === null || typeof m !== 'object') throw manifestError('(root)', 'is not an object');
  const o = m as Record<string, unknown>;
  if (o.version !== 1) throw manifestError('version', 'must be 1');
  for (const f of ['documentNumber', 'dateOfBirth', 'dateOfExpiry', 'can'] as const) {
    if (typeof o[f] !== 'string') throw manifestError(f, 'must be a string');
  }
  if (!/^[0-9]{1,16}$/.test(o.can as string)) throw manifestError('can', 'must be decimal digits');
  const files = o.files as Record<string, unknown> | undefined;
  if (files === null || typeof files !== 'object') throw manifestError('files', 'must be an object');
  for (const [name, path] of Object.entries(files)) {
    if (fileByName(name) === undefined) throw manifestError(`files.${name}`, 'is not an LDS file name');
    if (typeof path !== 'string' || basename(path) !== path) throw manifestError(`files.${name}`, 'must be a file name inside the set');
  }
  for (const need of ['COM', 'SOD', 'DG1', 'CardAccess']) if (files[need] === undefined) throw manifestError(`files.${need}`, 'is missing');
  const keys = o.keys as Record<string, unknown> | undefined;
  if (keys === null || typeof keys !== 'object' || typeof keys.aa !== 'string' || typeof keys.ca !== 'string') {
    throw manifestError('keys', 'must name the aa and ca key files');
  }
  if (basename(keys.aa) !== keys.aa || basename(keys.ca) !== keys.ca) throw manifestError('keys', 'must be file names inside the set');
  if (o.caKeyId !== undefined && (!Number.isInteger(o.caKeyId) || (o.caKeyId as number) < 0 || (o.caKeyId as number) > 0x7fffffff)) {
    throw manifestError('caKeyId', 'must be a non-negative 31-bit integer');
  }
  if (o.eac !== undefined) {
    const eac = o.eac as Record<string, unknown> | null;
    if (eac === null || typeof eac !== 'object' || !Array.isArray(eac.cvca) || eac.cvca.length === 0 || eac.cvca.length > 4) {
      throw manifestError('eac.cvca', 'must list 1 to 4 CVCA certificate files');
    }
    if (eac.cvca.some((f) => typeof f !== 'string' || basename(f) !== f)) throw manifestError('eac.cvca', 'must be file names inside the set');
    if (typeof eac.currentDate !== 'string' || !/^20\d\d-\d\d-\d\d$/.test(eac.currentDate)) throw manifestError('eac.currentDate', 'must be YYYY-MM-DD');
  }
  return o as unknown as DocumentSetManifest;
}

/**
 * Loads a document-set directory. Keys are PKCS#8 PEM, encrypted with `passphrase` (the CLI
 * passes CANCUOC_PASSPHRASE) unless the set was built with --insecure-plain-keys.
 */
export async function loadDocumentSet(dir: string, passphrase?: string): Promise<DocumentSet> {
  if (typeof dir !== 'string') throw new TypeError('"dir" expected a directory path');
  let manifestJson: unknown;
  try {
    manifestJson = JSON.parse(await readInputText(join(dir, 'manifest.json'), 'json'));
  } catch (e) {
    if (e instanceof SyntaxError) throw manifestError('(root)', 'is not JSON');
    throw e;
  }
  const manifest = checkManifest(manifestJson);
  const files = new Map<string, Uint8Array>();
  for (const [name, path] of Object.entries(manifest.files)) files.set(name, await readInputFile(join(dir, path), 'ef'));
  const key = async (name: string): Promise<KeyObject> => {
    const pem = await readInputText(join(dir, name), 'pem');
    const encrypted = pem.includes('ENCRYPTED PRIVATE KEY');
    if (encrypted && (passphrase === undefined || passphrase === '')) {
      throw new ValidationError('PASSPHRASE_REQUIRED', `${name} is encrypted: set CANCUOC_PASSPHRASE`, { file: name });
    }
    try {
      return createPrivateKey(encrypted ? { key: pem, passphrase: passphrase! } : { key: pem });
    } catch (e) {
      throw new ValidationError('KEY_UNREADABLE', `${name} cannot be read (wrong passphrase?)`, { file: name }, { cause: e });
    }
  };
  const eac = manifest.eac && {
    trustPoints: await Promise.all(manifest.eac.cvca.map(async (f) => await readInputFile(join(dir, f), 'cvcert'))),
    currentDate: manifest.eac.currentDate,
  };
  return Object.freeze({ manifest, files, aaKey: await key(manifest.keys.aa), caKey: await key(manifest.keys.ca), ...(eac && { eac }) });
}

// ---------------------------------------------------------------------------------------------
// The commands (pure)

/** One personalization command with where it belongs, for error messages. */
export interface PersoStep {
  readonly step: string;
  readonly file?: string;
  readonly command: CommandApdu;
}

const INS_CREATE_FILE = 0xe0;
const INS_PUT_DATA = 0xda;
const INS_UPDATE_BINARY_ODD = 0xd7;

function putData(tag: number, ...objects: Uint8Array[]): CommandApdu {
  return commandApdu({ cla: 0, ins: INS_PUT_DATA, p1: tag >> 8, p2: tag & 0xff, data: encodeTlv(tag, ...objects) });
}

/** Unsigned big-endian integer bytes of a key part from a JWK (base64url). */
function jwkPart(value: string | undefined, what: string): Uint8Array {
  if (value === undefined) throw new ValidationError('KEY_UNSUPPORTED', `RSA key without ${what}`, { field: what });
  return new Uint8Array(Buffer.from(value, 'base64url'));
}

/** d and Q of an EC private key, whatever the curve (Node's JWK export knows no brainpool). */
function ecParts(key: KeyObject, what: string): { readonly oid: string; readonly d: Uint8Array; readonly q: Uint8Array } {
  const domain = ecDomainByNodeName(key.asymmetricKeyDetails?.namedCurve ?? '');
  if (domain === undefined) throw new ValidationError('KEY_UNSUPPORTED', `${what} key is not on a 9303-11 Table 12 curve`, { field: what });
  // RFC 5915: ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, … }
  const sec1 = decodeTlv(new Uint8Array(key.export({ format: 'der', type: 'sec1' })), 'der');
  const d = childrenOf(sec1, 'der')[1]!.value;
  const spki = decodePublicKey(new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' })));
  if (spki.kind !== 'ec') throw new ValidationError('KEY_UNSUPPORTED', `${what} key is not an EC key`, { field: what });
  return Object.freeze({ oid: domain.oid, d: i2os(os2i(d), domain.fieldLength), q: spki.point });
}

/** AA key: RSA as JMRTD (60 modulus, 61 private exponent), EC as docs/perso.md (66). */
function aaKeyCommands(key: KeyObject): CommandApdu[] {
  if (key.asymmetricKeyType === 'rsa') {
    const jwk = key.export({ format: 'jwk' });
    return [putData(0x60, encodeTlv(0x04, jwkPart(jwk.n, 'modulus'))), putData(0x61, encodeTlv(0x04, jwkPart(jwk.d, 'privateExponent')))];
  }
  if (key.asymmetricKeyType === 'ec') {
    const { oid, d, q } = ecParts(key, 'aa');
    return [putData(0x66, encodeTlv(0x06, encodeOid(oid)), encodeTlv(0x81, d), encodeTlv(0x82, q))];
  }
  throw new ValidationError('KEY_UNSUPPORTED', `AA key of type ${key.asymmetricKeyType}`, { field: 'aa' });
}

/** CA key (docs/perso.md, 67): [02 keyId] 06 curve 81 d 82 Q. */
function caKeyCommand(key: KeyObject, keyId: number | undefined): CommandApdu {
  if (key.asymmetricKeyType !== 'ec') throw new ValidationError('KEY_UNSUPPORTED', 'the CA key must be an EC key', { field: 'ca' });
  const { oid, d, q } = ecParts(key, 'ca');
  const id = keyId === undefined ? [] : [encodeTlv(0x02, positiveInteger(keyId))];
  return putData(0x67, ...id, encodeTlv(0x06, encodeOid(oid)), encodeTlv(0x81, d), encodeTlv(0x82, q));
}

/** DER INTEGER contents of a non-negative number: minimal, with a 00 in front of a high bit. */
function positiveInteger(n: number): Uint8Array {
  const bytes = i2os(BigInt(n), Math.max(1, Math.ceil(n.toString(16).length / 2)));
  return bytes[0]! & 0x80 ? concat(Uint8Array.of(0), bytes) : bytes;
}

/** CREATE FILE, SELECT and UPDATE BINARY in chunks of at most `chunk` bytes for one file. */
function fileCommands(name: string, bytes: Uint8Array, chunk: number): PersoStep[] {
  const file = fileByName(name)!;
  if (bytes.length === 0 || bytes.length > 0xffff) {
    throw new ValidationError('FILE_SIZE_INVALID', `${name} has ${bytes.length} bytes; CREATE FILE takes 1..65535`, { file: name });
  }
  const create = concat(Uint8Array.of(0x63, 0x04), uintBE(bytes.length, 2), uintBE(file.fid, 2));
  const steps: PersoStep[] = [
    { step: 'CREATE FILE', file: name, command: commandApdu({ cla: 0, ins: INS_CREATE_FILE, p1: 0, p2: 0, data: create }) },
    { step: 'SELECT', file: name, command: selectEf(file.fid) },
  ];
  for (let at = 0; at < bytes.length; at += chunk) {
    const part = bytes.subarray(at, at + chunk);
    const command =
      at <= 0x7fff
        ? commandApdu({ cla: 0, ins: INS.UPDATE_BINARY, p1: at >> 8, p2: at & 0xff, data: part })
        : commandApdu({ cla: 0, ins: INS_UPDATE_BINARY_ODD, p1: 0, p2: 0, data: concat(encodeTlv(0x54, uintBE(at, 3)), encodeTlv(0x53, part)) });
    steps.push({ step: 'UPDATE BINARY', file: name, command });
  }
  return steps;
}

/**
 * Every personalization command, in order: SELECT AID, the files, PUT DATA for the MRZ seed, the
 * CAN, the AA key and the CA key. `chunk` is the UPDATE BINARY size (255 = JMRTD's short form).
 */
export function personalizationSteps(set: DocumentSet, chunk = 255): readonly PersoStep[] {
  const m = set.manifest;
  const steps: PersoStep[] = [{ step: 'SELECT AID', command: commandApdu({ cla: 0, ins: INS.SELECT, p1: 4, p2: 0x0c, data: LDS1_AID }) }];
  for (const [name, bytes] of set.files) steps.push(...fileCommands(name, bytes, chunk));
  const seed = putData(0x62, encodeTlv(0x04, ascii(m.documentNumber)), encodeTlv(0x04, ascii(m.dateOfBirth)), encodeTlv(0x04, ascii(m.dateOfExpiry)));
  steps.push({ step: 'PUT DATA MRZ seed', command: seed });
  steps.push({ step: 'PUT DATA CAN', command: putData(0x65, encodeTlv(0x04, ascii(m.can))) });
  for (const command of aaKeyCommands(set.aaKey)) steps.push({ step: 'PUT DATA AA key', command });
  steps.push({ step: 'PUT DATA CA key', command: caKeyCommand(set.caKey, m.caKeyId) });
  if (set.eac !== undefined) steps.push(...eacCommands(set.eac));
  return Object.freeze(steps.map((s) => Object.freeze(s)));
}

/** Trust points in slots 1, 2, … (PUT DATA xx 64, JMRTD step 3) and the date (PUT DATA 68, docs/perso.md). */
function eacCommands(eac: NonNullable<DocumentSet['eac']>): PersoStep[] {
  if (eac.trustPoints.length === 0 || eac.trustPoints.length > 4) {
    throw new ValidationError('EAC_TRUST_POINTS', `${eac.trustPoints.length} CVCA trust points; a chip holds 1 to 4`, { field: 'eac' });
  }
  const steps: PersoStep[] = eac.trustPoints.map((cert, i) => ({
    step: 'PUT DATA CVCA',
    command: commandApdu({ cla: 0, ins: INS_PUT_DATA, p1: i + 1, p2: 0x64, data: cert }),
  }));
  steps.push({ step: 'PUT DATA current date', command: putData(0x68, encodeTlv(0x04, cvDateDigits(eac.currentDate, 'eac.currentDate'))) });
  return steps;
}

/** PUT DATA DE AD: the end of personalization (JMRTD step 6). */
export const LOCK_COMMAND: CommandApdu = commandApdu({ cla: 0, ins: INS_PUT_DATA, p1: 0xde, p2: 0xad });

// ---------------------------------------------------------------------------------------------
// The run

export interface PersonalizeOptions {
  /** Lock the card at the end (default true). */
  readonly lock?: boolean;
  /** The card's ATR when the transport does not expose one. */
  readonly atr?: Uint8Array;
  /** Called after each step, e.g. for a progress line. */
  readonly onStep?: (step: string, file?: string) => void;
}

export interface PersonalizeReport {
  readonly commands: number;
  readonly filesVerified: readonly string[];
  readonly activeAuthentication: boolean;
  readonly chipAuthentication: boolean;
  readonly locked: boolean;
}

function fail(code: string, message: string, step: string, file: string | undefined, cause?: unknown, sw?: number): PersonalizationError {
  const place = { step, ...(file === undefined ? {} : { file }), ...(sw === undefined ? {} : { sw }) };
  return new PersonalizationError(code, `personalization failed, card left unlocked: ${message}`, place, cause === undefined ? undefined : { cause });
}

function chunkFor(limits: ReadLimits): number {
  // Header 4 + extended Lc 3 + D7 wrapping (54 05 off:3, 53 83 L:3) = 17 bytes around the data.
  return limits.extended ? Math.min(limits.maxCommandLength - 17, 0xffff - 17) : 255;
}

async function send(exchange: Exchange, s: PersoStep): Promise<void> {
  let sw: number;
  try {
    sw = (await exchange(s.command)).sw;
  } catch (e) {
    throw fail('PERSO_TRANSPORT', `${s.step} could not be sent`, s.step, s.file, e);
  }
  if (sw !== 0x9000) throw fail('PERSO_REJECTED', `the chip answered ${swHex(sw)} to ${s.step}${s.file ? ` of ${s.file}` : ''}`, s.step, s.file, undefined, sw);
}

/** Writes the set to a blank (unlocked) chip, verifies it through PACE with the CAN, then locks. */
export async function personalize(transport: Transport, set: DocumentSet, options: PersonalizeOptions = {}): Promise<PersonalizeReport> {
  if (transport === null || typeof transport !== 'object' || typeof transport.transmit !== 'function') throw new TypeError('"transport" expected a Transport');
  if (set === null || typeof set !== 'object' || !(set.files instanceof Map)) throw new TypeError('"set" expected a DocumentSet');
  const plain = plainExchange(transport);
  const atr = options.atr ?? (transport as { readonly atr?: Uint8Array }).atr;
  const limits = await learnReadLimits(plain, transport, atr !== undefined && atr.length > 1 ? atr : undefined).catch(() => SHORT_LIMITS);
  const steps = personalizationSteps(set, chunkFor(limits));
  for (const s of steps) {
    await send(plain, s);
    options.onStep?.(s.step, s.file);
  }

  // Read everything back through PACE with the CAN, as a terminal in the field would.
  let session;
  try {
    session = await openCard(borrowedTransport(transport), { can: set.manifest.can }, { method: 'pace', ...(atr && { atr }) });
  } catch (e) {
    throw fail('PERSO_VERIFY_FAILED', `PACE with the CAN failed (${e instanceof CancuocError ? e.code : 'error'})`, 'verify PACE', 'CardAccess', e);
  }
  const verified: string[] = [];
  try {
    for (const [name, expected] of set.files) {
      const got = name === 'CardAccess' ? session.cardAccess : await session.readFile(name).catch((e: unknown) => {
        throw fail('PERSO_VERIFY_FAILED', `${name} cannot be read back`, 'verify read', name, e);
      });
      if (got === undefined || !equalBytes(got, expected)) throw fail('PERSO_READBACK_MISMATCH', `${name} reads back different bytes`, 'verify read', name);
      verified.push(name);
      options.onStep?.('verify read', name);
    }
    const aa = await session.activeAuth().catch((e: unknown) => {
      throw fail('PERSO_AA_FAILED', 'Active Authentication could not run', 'verify AA', 'DG15', e);
    });
    if (!aa.valid) throw fail('PERSO_AA_FAILED', 'the chip\'s AA signature does not verify against DG15', 'verify AA', 'DG15', aa.error);
    options.onStep?.('verify AA', 'DG15');
    await session.chipAuth().catch((e: unknown) => {
      throw fail('PERSO_CA_FAILED', 'Chip Authentication with the DG14 key failed', 'verify CA', 'DG14', e);
    });
    options.onStep?.('verify CA', 'DG14');
    if (options.lock !== false) {
      const response = decodeResponseApdu(await session.transport.transmit(encodeCommandApdu(LOCK_COMMAND)));
      if (response.sw !== 0x9000) throw fail('PERSO_REJECTED', `the chip answered ${swHex(response.sw)} to LOCK`, 'LOCK', undefined, undefined, response.sw);
      options.onStep?.('LOCK');
    }
  } finally {
    await session.close();
  }
  return Object.freeze({
    commands: steps.length,
    filesVerified: Object.freeze(verified),
    activeAuthentication: true,
    chipAuthentication: true,
    locked: options.lock !== false,
  });
}
