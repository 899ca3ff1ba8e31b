/**
 * BER-TLV as used by ISO/IEC 7816-4 §5.2 and ICAO 9303-10 §4: multi-byte tags, short and
 * long-form lengths. Two modes: 'der' rejects anything X.690 §10 forbids (non-minimal lengths,
 * indefinite length, trailing bytes); 'lenient' accepts what real cards write (non-minimal
 * lengths, indefinite length on constructed values, 00/FF padding after the last object).
 * Tags are numbers made of their bytes: 0x5F1F, 0x7F61.
 */
import { concat } from './bytes.js';
import { ParseError } from './errors.js';

export type TlvMode = 'der' | 'lenient';

export interface Tlv {
  readonly tag: number;
  readonly constructed: boolean;
  /** The value bytes (a view into the source). */
  readonly value: Uint8Array;
  /** The whole object, tag and length included, exactly as read. */
  readonly raw: Uint8Array;
  /** Offset of the tag, counted from the start of the outermost buffer. */
  readonly offset: number;
  readonly valueOffset: number;
  /** raw.length, without making the view. */
  readonly size: number;
}

const MAX_TAG_BYTES = 3;
const MAX_LENGTH_BYTES = 4;
/**
 * Deepest nesting of indefinite lengths, the only place this reader recurses: ICAO 9303 and
 * RFC 5652/5280 structures nest a few dozen levels; 20,000 would overflow the stack.
 */
export const MAX_TLV_DEPTH = 64;

/**
 * A TLV as positions in its source buffer. `value` and `raw` are views made on first use: a
 * certificate or EF.SOD holds a hundred nodes, and most callers read the bytes of a few.
 */
class TlvView implements Tlv {
  readonly #bytes: Uint8Array;
  readonly #start: number;
  readonly #valueStart: number;
  readonly #valueEnd: number;
  /** Past the object: the value's end, or after the end-of-contents octets of an indefinite length. */
  readonly #end: number;
  readonly #tag: number;
  readonly #base: number;
  #value: Uint8Array | undefined;
  #raw: Uint8Array | undefined;

  constructor(bytes: Uint8Array, start: number, valueStart: number, valueEnd: number, end: number, tag: number, base: number) {
    this.#bytes = bytes;
    this.#start = start;
    this.#valueStart = valueStart;
    this.#valueEnd = valueEnd;
    this.#end = end;
    this.#tag = tag;
    this.#base = base;
  }

  get tag(): number {
    return this.#tag;
  }
  get constructed(): boolean {
    return (this.#bytes[this.#start]! & 0x20) !== 0;
  }
  get value(): Uint8Array {
    return (this.#value ??= this.#bytes.subarray(this.#valueStart, this.#valueEnd));
  }
  get raw(): Uint8Array {
    return (this.#raw ??= this.#bytes.subarray(this.#start, this.#end));
  }
  get offset(): number {
    return this.#base + this.#start;
  }
  get valueOffset(): number {
    return this.#base + this.#valueStart;
  }
  get size(): number {
    return this.#end - this.#start;
  }
  /** The children, read in place from the source (no view of the value made). */
  children(mode: TlvMode): Tlv[] {
    return readList(this.#bytes, this.#valueStart, this.#valueEnd, mode, this.#base);
  }
}

function need(at: number, end: number, n: number, what: string, base: number): void {
  if (at + n > end) {
    throw new ParseError('TLV_TRUNCATED', `truncated ${what}: need ${n} more byte(s), have ${end - at}`, {
      offset: base + at,
    });
  }
}

/** Reads one TLV at `at` in `bytes`; `base` is the absolute offset of bytes[0]. */
export function readTlv(bytes: Uint8Array, at = 0, mode: TlvMode = 'der', base = 0): Tlv {
  return readIn(bytes, at, bytes.length, mode, base, 0);
}

/** One TLV at `at` that must end by `end` (the end of the buffer, or of the value holding it). */
function readIn(bytes: Uint8Array, at: number, end: number, mode: TlvMode, base: number, depth: number): TlvView {
  const start = at;
  need(at, end, 1, 'tag', base);
  const first = bytes[at++]!;
  let tag = first;
  if ((first & 0x1f) === 0x1f) {
    let count = 1;
    for (;;) {
      need(at, end, 1, 'tag', base);
      const b = bytes[at++]!;
      tag = tag * 256 + b;
      count++;
      if (count > MAX_TAG_BYTES) {
        throw new ParseError('TLV_TAG_TOO_LONG', `tag longer than ${MAX_TAG_BYTES} bytes`, { offset: base + start });
      }
      if ((b & 0x80) === 0) break;
    }
  }
  need(at, end, 1, 'length', base);
  const lengthStart = at;
  const l0 = bytes[at++]!;
  let length: number;
  if (l0 < 0x80) {
    length = l0;
  } else if (l0 === 0x80) {
    return readIndefinite(bytes, start, at, end, tag, mode, base, depth);
  } else {
    const n = l0 & 0x7f;
    if (n > MAX_LENGTH_BYTES) {
      throw new ParseError('TLV_LENGTH_TOO_LONG', `length field of ${n} bytes`, { tag, offset: base + lengthStart });
    }
    need(at, end, n, 'length', base);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[at++]!;
    if (mode === 'der' && (length < 0x80 || (n > 1 && bytes[lengthStart + 1] === 0))) {
      throw new ParseError('TLV_NON_MINIMAL_LENGTH', `length ${length} not in minimal form (X.690 §10.1)`, {
        tag,
        offset: base + lengthStart,
      });
    }
  }
  if (at + length > end) {
    throw new ParseError('TLV_TRUNCATED', `value of ${length} bytes runs past the end (${end - at} left)`, {
      tag,
      offset: base + start,
    });
  }
  return new TlvView(bytes, start, at, at + length, at + length, tag, base);
}

function readIndefinite(bytes: Uint8Array, start: number, valueStart: number, end: number, tag: number, mode: TlvMode, base: number, depth: number): TlvView {
  if (mode === 'der' || (bytes[start]! & 0x20) === 0) {
    throw new ParseError('TLV_INDEFINITE_LENGTH', 'indefinite length not allowed here (X.690 §8.1.3.6)', {
      tag,
      offset: base + start,
    });
  }
  if (depth >= MAX_TLV_DEPTH) {
    throw new ParseError('TLV_TOO_DEEP', `objects nested deeper than ${MAX_TLV_DEPTH} levels`, { tag, offset: base + start });
  }
  let at = valueStart;
  for (;;) {
    if (at + 2 <= end && bytes[at] === 0 && bytes[at + 1] === 0) break;
    if (at >= end) {
      throw new ParseError('TLV_TRUNCATED', 'indefinite length without end-of-contents', { tag, offset: base + start });
    }
    at += readIn(bytes, at, end, mode, base, depth + 1).size;
  }
  return new TlvView(bytes, start, valueStart, at, at + 2, tag, base);
}

/** Reads every TLV in `bytes`. In lenient mode trailing 00 or FF padding is ignored. */
export function readTlvList(bytes: Uint8Array, mode: TlvMode = 'der', base = 0): Tlv[] {
  return readList(bytes, 0, bytes.length, mode, base);
}

function readList(bytes: Uint8Array, from: number, end: number, mode: TlvMode, base: number): Tlv[] {
  const out: Tlv[] = [];
  let at = from;
  while (at < end) {
    if (mode === 'lenient' && isPadding(bytes, at, end)) break;
    const t = readIn(bytes, at, end, mode, base, 0);
    out.push(t);
    at += t.size;
  }
  return out;
}

/** Reads exactly one TLV that fills `bytes` (lenient mode: padding may follow). */
export function decodeTlv(bytes: Uint8Array, mode: TlvMode = 'der', base = 0): Tlv {
  const t = readTlv(bytes, 0, mode, base);
  const end = t.size;
  if (end < bytes.length && !(mode === 'lenient' && isPadding(bytes, end, bytes.length))) {
    throw new ParseError('TLV_TRAILING_BYTES', `${bytes.length - end} byte(s) after the object`, {
      tag: t.tag,
      offset: base + end,
    });
  }
  return t;
}

/** The TLVs inside a constructed TLV, with absolute offsets. */
export function childrenOf(parent: Tlv, mode: TlvMode = 'der'): Tlv[] {
  if (!parent.constructed) {
    throw new ParseError('TLV_NOT_CONSTRUCTED', 'expected a constructed object', {
      tag: parent.tag,
      offset: parent.offset,
    });
  }
  return parent instanceof TlvView ? parent.children(mode) : readTlvList(parent.value, mode, parent.valueOffset);
}

/** Reads one TLV and checks its tag. */
export function expectTag(t: Tlv, tag: number, what: string): Tlv {
  if (t.tag !== tag) {
    throw new ParseError('TLV_UNEXPECTED_TAG', `${what}: expected tag ${tagHex(tag)}, found ${tagHex(t.tag)}`, {
      tag: t.tag,
      offset: t.offset,
    });
  }
  return t;
}

/** The first child with `tag`, or a ParseError naming the parent. */
export function requireChild(list: readonly Tlv[], tag: number, parent: Tlv | undefined, what: string): Tlv {
  const found = list.find((t) => t.tag === tag);
  if (found === undefined) {
    throw new ParseError('TLV_MISSING', `${what}: tag ${tagHex(tag)} missing`, {
      tag: parent?.tag ?? tag,
      offset: parent?.offset ?? 0,
    });
  }
  return found;
}

function isPadding(bytes: Uint8Array, from: number, end: number): boolean {
  const pad = bytes[from];
  if (pad !== 0x00 && pad !== 0xff) return false;
  for (let i = from; i < end; i++) if (bytes[i] !== pad) return false;
  return true;
}

export function tagHex(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(2, '0');
}

export function encodeTag(tag: number): Uint8Array {
  if (!Number.isSafeInteger(tag) || tag < 0 || tag > 0xffffff) throw new RangeError(`"tag" out of range: ${tag}`);
  const out: number[] = [];
  for (let t = tag; ; t = Math.floor(t / 256)) {
    out.unshift(t % 256);
    if (t < 256) break;
  }
  return Uint8Array.from(out);
}

/** DER length (X.690 §8.1.3): short form below 128, else the minimal long form. */
export function encodeLength(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0 || length > 0xffffffff) {
    throw new RangeError(`"length" out of range: ${length}`);
  }
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let l = length; l > 0; l = Math.floor(l / 256)) bytes.unshift(l % 256);
  return Uint8Array.from([0x80 | bytes.length, ...bytes]);
}

/** Encodes a TLV; several values are concatenated (convenient for constructed objects). */
export function encodeTlv(tag: number, ...values: readonly Uint8Array[]): Uint8Array {
  const value = values.length === 1 ? values[0]! : concat(...values);
  return concat(encodeTag(tag), encodeLength(value.length), value);
}
