/**
 * Reading elementary files with as few APDUs as the chip allows.
 *
 * 1. What the chip can take: the ATR historical bytes (ISO/IEC 7816-4 (2020) §12.1.1, card
 *    capabilities, third software function table: b7 extended Lc/Le, b6 "extended length
 *    information in EF.ATR/INFO") and DO'7F66' in EF.ATR/INFO (FID 2F01, §12.7.1) with the
 *    largest command and response. Without them: short APDUs only.
 * 2. The block: the largest plain length whose protected response still fits (ICAO 9303-11
 *    (8th ed.) §9.8.5: DO'87' with the padding indicator and padding, DO'99', DO'8E'); 223
 *    bytes is what short APDUs leave under AES.
 * 3. The file: READ BINARY with the SFI in P1 (no SELECT) for as much as a block takes, the
 *    length from the TLV header of the first bytes, then B0 with the offset in P1-P2, or B1 with
 *    DO'54' once the offset passes 32767 (§11.3.3; the data comes back in DO'53').
 */

import { commandApdu, INS, swHex, type CommandApdu } from '../lds/apdu.js';
import { concat, readUintBE, uintBE } from '../lds/bytes.js';
import { ParseError } from '../lds/errors.js';
import type { LdsFile } from '../lds/files.js';
import { readTlv, readTlvList, encodeTlv } from '../lds/tlv.js';
import { blockSize, type CipherName } from '../crypto/cipher.js';
import { CardStatusError, type Exchange } from './secure-transport.js';
import type { Transport } from './transport.js';

/** What the chip announced about APDU sizes. */
export interface ReadLimits {
  /** Extended Lc/Le may be used. */
  readonly extended: boolean;
  /** Largest command APDU, in bytes. */
  readonly maxCommandLength: number;
  /** Largest N_e (response data bytes) the chip sends in one response. */
  readonly maxResponseLength: number;
  /** Where the figures came from. */
  readonly source: 'EF.ATR/INFO' | 'short';
}

/** No announcement: ISO/IEC 7816-4 short APDUs (Lc ≤ 255, Le ≤ 256). */
export const SHORT_LIMITS: ReadLimits = Object.freeze({
  extended: false,
  maxCommandLength: 4 + 1 + 255 + 1,
  maxResponseLength: 256,
  source: 'short',
});

export interface CardCapabilities {
  /** Third software function table b7: the card accepts extended Lc and Le. */
  readonly extendedLength: boolean;
  /** b6: its limits are in EF.ATR/INFO. */
  readonly extendedLengthInfo: boolean;
}

/**
 * The historical bytes of an ATR (ISO/IEC 7816-3 §8.2: T0's low nibble K counts them, after the
 * interface bytes that TD chains announce), read for the card-capabilities compact-TLV (tag 7).
 * A malformed ATR is a ParseError.
 */
export function cardCapabilities(atr: Uint8Array): CardCapabilities {
  const none = Object.freeze({ extendedLength: false, extendedLengthInfo: false });
  const bad = (why: string, offset: number) => new ParseError('ATR_INVALID', `ATR ${why}`, { offset, field: 'ATR' });
  if (atr.length < 2) throw bad('shorter than TS T0', atr.length);
  const k = atr[1]! & 0x0f;
  // Each of T0, TD1, TD2… announces TA, TB, TC, TD in its high nibble; TD is the last of them.
  let y = atr[1]! >> 4;
  let at = 2;
  for (;;) {
    const count = (y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1) + ((y >> 3) & 1);
    at += count;
    if ((y & 0x8) === 0) break;
    if (at - 1 >= atr.length) throw bad('truncated in the interface bytes', atr.length);
    y = atr[at - 1]! >> 4;
  }
  const historical = atr.subarray(at, at + k);
  if (historical.length !== k) throw bad(`announces ${k} historical bytes, has ${historical.length}`, at);
  // §12.1.1: category 80 = compact-TLV objects only; 00 = compact-TLV then a 3-byte status indicator.
  const category = historical[0];
  if (category !== 0x80 && category !== 0x00) return none;
  const end = category === 0x00 ? historical.length - 3 : historical.length;
  for (let i = 1; i < end; ) {
    const tag = historical[i]! >> 4;
    const len = historical[i]! & 0x0f;
    if (i + 1 + len > end) throw bad('compact-TLV object runs past the historical bytes', at + i);
    if (tag === 0x7 && len >= 3) {
      const third = historical[i + 3]!;
      return Object.freeze({ extendedLength: (third & 0x40) !== 0, extendedLengthInfo: (third & 0x20) !== 0 });
    }
    i += 1 + len;
  }
  return none;
}

/**
 * DO'7F66' in the contents of EF.ATR/INFO (§12.7.1): INTEGERs for the largest command APDU and
 * the largest response APDU; undefined when the file does not carry it.
 */
export function extendedLengthInfo(efAtrInfo: Uint8Array): ReadLimits | undefined {
  const dos = readTlvList(efAtrInfo, 'lenient');
  const info = dos.find((d) => d.tag === 0x7f66);
  if (info === undefined) return undefined;
  const ints = readTlvList(info.value, 'lenient', info.valueOffset).filter((d) => d.tag === 0x02);
  if (ints.length < 2 || ints.some((i) => i.value.length < 1 || i.value.length > 3)) {
    throw new ParseError('ATR_INFO_INVALID', "DO'7F66' must hold two INTEGERs of 1 to 3 bytes", { tag: 0x7f66, offset: info.offset });
  }
  const [command, response] = ints.map((i) => readUintBE(i.value, 0, i.value.length)) as [number, number];
  if (command < 5 || response < 3) {
    throw new ParseError('ATR_INFO_INVALID', `DO'7F66' announces ${command}/${response} bytes`, { tag: 0x7f66, offset: info.offset });
  }
  // The second figure counts the whole response APDU, SW1 SW2 included.
  const data = Math.min(response - 2, 65536);
  return Object.freeze({
    extended: command > SHORT_LIMITS.maxCommandLength || data > 256,
    maxCommandLength: Math.min(command, 65544),
    maxResponseLength: data,
    source: 'EF.ATR/INFO' as const,
  });
}

// ---------------------------------------------------------------------------------------------
// Block sizes

function lengthOfLength(n: number): number {
  return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 4;
}

/**
 * Bytes of response data a READ BINARY of `n` file bytes produces: plain (B0: n; B1: DO'53'),
 * or protected (§9.8.5: DO'87' = 87 L 01 ‖ cryptogram, DO'85' for B1; DO'99' 4; DO'8E' 10).
 */
export function responseSize(n: number, cipher: CipherName | undefined, odd: boolean): number {
  const plain = odd ? 1 + lengthOfLength(n) + n : n;
  if (cipher === undefined) return plain;
  const b = blockSize(cipher);
  const cryptogram = (Math.floor(plain / b) + 1) * b + (odd ? 0 : 1);
  return 1 + lengthOfLength(cryptogram) + cryptogram + 4 + 10;
}

/** The largest number of file bytes one READ BINARY can return within `limits`. */
export function maxReadLength(limits: ReadLimits, cipher: CipherName | undefined, odd = false): number {
  let n = Math.min(limits.maxResponseLength, limits.extended ? 65536 : 256);
  while (n > 1 && responseSize(n, cipher, odd) > limits.maxResponseLength) n--;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Commands

/** READ BINARY B0 with the SFI in P1 (b8 = 1) and a one-byte offset (§11.3.3). */
function readBySfi(sfi: number, ne: number): CommandApdu {
  return commandApdu({ cla: 0, ins: INS.READ_BINARY, p1: 0x80 | sfi, p2: 0, ne });
}

/** READ BINARY on the current EF: B0 with a 15-bit offset, or B1 with DO'54' beyond 32767. */
function readAt(offset: number, ne: number): CommandApdu {
  if (offset <= 0x7fff) return commandApdu({ cla: 0, ins: INS.READ_BINARY, p1: offset >> 8, p2: offset & 0xff, ne });
  const data = encodeTlv(0x54, uintBE(offset, offset <= 0xffff ? 2 : 3));
  // N_e counts the whole response data field, DO'53' header included.
  return commandApdu({ cla: 0, ins: INS.READ_BINARY_ODD, p1: 0, p2: 0, data, ne: Math.min(responseSize(ne, undefined, true), 65536) });
}

/** SELECT EF by file identifier, no response data (§11.2.2: P1 02, P2 0C). */
export function selectEf(fid: number): CommandApdu {
  return commandApdu({ cla: 0, ins: INS.SELECT, p1: 0x02, p2: 0x0c, data: uintBE(fid, 2) });
}

/** Largest file this reader accepts: a 3-byte B1 offset (16 MiB), far above any LDS file. */
const MAX_FILE_LENGTH = 0xffffff;

/**
 * How many bytes the TLV at the start of a file has (tag up to 3 bytes, length up to 3), from
 * its first bytes; undefined while the header itself is still incomplete.
 */
function tlvExtent(head: Uint8Array, file: string): number | undefined {
  const bad = (why: string, offset: number) => new ParseError('FILE_HEADER_INVALID', `${file}: ${why}`, { file, offset });
  if (head.length === 0) return undefined;
  let at = 1;
  if ((head[0]! & 0x1f) === 0x1f) {
    while (at < head.length && (head[at]! & 0x80) !== 0) at++;
    at++;
    if (at > 3) throw bad('tag longer than 3 bytes', 0);
  }
  if (at >= head.length) return undefined;
  const l0 = head[at++]!;
  if (l0 < 0x80) return at + l0;
  const width = l0 & 0x7f;
  if (width === 0 || width > 3) throw bad(`length form ${swHex(l0).slice(2)} is not a definite length of 1 to 3 bytes`, at - 1);
  if (at + width > head.length) return undefined;
  const total = at + width + readUintBE(head, at, width);
  if (total > MAX_FILE_LENGTH) throw bad(`announces ${total} bytes`, at);
  return total;
}

function ok(sw: number): boolean {
  // §11.3.3: 62 82 = end of file reached before N_e bytes; the data is there.
  return sw === 0x9000 || sw === 0x6282;
}

function readFailure(sw: number, file: string, step: string): CardStatusError {
  const code = sw === 0x6a82 ? 'FILE_NOT_FOUND' : sw === 0x6982 ? 'SECURITY_STATUS_NOT_SATISFIED' : 'CARD_STATUS';
  return new CardStatusError(code, `reading ${file} failed: the chip answered ${swHex(sw)}`, { file, step, sw });
}

export interface ReadOptions {
  readonly limits: ReadLimits;
  /** The secure-messaging cipher in use (block size for the overhead), undefined for plain reads. */
  readonly cipher?: CipherName;
  /** 'sfi' (default): first READ BINARY names the file by SFI; 'select': SELECT by FID first. */
  readonly access?: 'sfi' | 'select';
}

/**
 * Reads a whole file: exactly the bytes of its outer TLV (padding after it is not returned).
 * Card answers that cannot be a file — no TLV header, empty reads before the end — are
 * ParseErrors; refusals are CardStatusErrors with the file and the status word.
 */
export async function readFile(exchange: Exchange, file: Pick<LdsFile, 'name' | 'fid' | 'sfi'>, options: ReadOptions): Promise<Uint8Array> {
  if (typeof exchange !== 'function') throw new TypeError('"exchange" expected a function');
  const { limits, cipher } = options;
  const name = file.name;
  const even = maxReadLength(limits, cipher, false);
  const odd = maxReadLength(limits, cipher, true);
  if (options.access === 'select') {
    const selected = await exchange(selectEf(file.fid));
    if (selected.sw !== 0x9000) throw readFailure(selected.sw, name, 'SELECT');
  }
  const first = await exchange(options.access === 'select' ? readAt(0, even) : readBySfi(file.sfi, even));
  if (!ok(first.sw)) throw readFailure(first.sw, name, 'READ BINARY');
  const parts = [first.data];
  let have = first.data.length;
  let total = tlvExtent(first.data, name);
  while (total === undefined || have < total) {
    const want = total === undefined ? 8 : Math.min(have > 0x7fff ? odd : even, total - have);
    const response = await exchange(readAt(have, want));
    if (!ok(response.sw)) throw readFailure(response.sw, name, 'READ BINARY');
    const data = have > 0x7fff ? offsetData(response.data, name, have) : response.data;
    if (data.length === 0) {
      throw new ParseError('FILE_TRUNCATED', `${name} ends at ${have} bytes, its header says ${total ?? 'more'}`, { file: name, offset: have });
    }
    parts.push(data);
    have += data.length;
    if (total === undefined) total = tlvExtent(concat(...parts), name);
  }
  return concat(...parts).slice(0, total);
}

/** B1 answers carry the bytes in DO'53' (§11.3.3). */
function offsetData(data: Uint8Array, file: string, offset: number): Uint8Array {
  try {
    const t = readTlv(data, 0, 'lenient');
    if (t.tag === 0x53) return t.value;
  } catch {
    // fall through to the typed error below
  }
  throw new ParseError('READ_BINARY_ODD_INVALID', "READ BINARY B1 answer is not a DO'53'", { file, offset, tag: data[0] ?? 0 });
}

// ---------------------------------------------------------------------------------------------
// Learning the limits

/** §12.7.1: EF.ATR/INFO in the master file. */
const FID_ATR_INFO = 0x2f01;

/**
 * EF.ATR/INFO (ISO/IEC 7816-4 §12.7.1), read in the clear: a list of data objects, not one TLV,
 * and short, so one READ BINARY. `data` is undefined, with the refusing status word, when the
 * card has none or refuses it.
 */
export async function readAtrInfo(exchange: Exchange): Promise<{ readonly data: Uint8Array | undefined; readonly sw: number }> {
  const select = await exchange(selectEf(FID_ATR_INFO));
  if (select.sw !== 0x9000) return { data: undefined, sw: select.sw };
  const response = await exchange(readAt(0, 256));
  return { data: ok(response.sw) ? response.data : undefined, sw: response.sw };
}

/** ISO/IEC 7816-4 §12.7.1 via the ATR: EF.ATR/INFO is read only when the card says it holds the limits. */
export async function learnReadLimits(exchange: Exchange, transport: Transport, atr: Uint8Array | undefined): Promise<ReadLimits> {
  const caps = atr === undefined ? undefined : cardCapabilities(atr);
  if (caps !== undefined && !(caps.extendedLength && caps.extendedLengthInfo)) return SHORT_LIMITS;
  const info = (await readAtrInfo(exchange)).data;
  let limits: ReadLimits | undefined;
  try {
    limits = info === undefined ? undefined : extendedLengthInfo(info);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e; // a garbled EF.ATR/INFO: fall back to short APDUs
  }
  if (limits === undefined || !limits.extended) return SHORT_LIMITS;
  // The transport may carry less than the chip takes (T=0 has no extended APDUs here).
  const max = transport.maxCommandLength;
  return max !== undefined && max <= SHORT_LIMITS.maxCommandLength ? SHORT_LIMITS : limits;
}
