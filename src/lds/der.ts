/**
 * ASN.1 DER/BER building blocks (X.690 §8, §10, §11) over the TLV reader: ordered SEQUENCE
 * fields, SET OF / SEQUENCE OF elements, INTEGER, OBJECT IDENTIFIER, OCTET STRING, the X.690 §11.6
 * SET OF order, and AlgorithmIdentifier (RFC 5280 §4.1.1.2). Shared by the DER modules of this
 * layer (cms, sod, public-key, security-infos) and the PKI code above it.
 */
import { concat, hex } from './bytes.js';
import { ParseError } from './errors.js';
import { decodeOid, encodeOid } from './oid.js';
import { childrenOf, encodeTlv, tagHex, type Tlv, type TlvMode } from './tlv.js';

const TAG_INTEGER = 0x02;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;

/** Reads the elements of a constructed value in order, the way an ASN.1 SEQUENCE is defined. */
export interface Fields {
  /** The next element; it must carry `tag`. */
  take(tag: number, field: string): Tlv;
  /** The next element if it carries `tag`, else undefined (OPTIONAL components). */
  maybe(tag: number): Tlv | undefined;
  /** The next element whatever its tag (ANY). */
  any(field: string): Tlv;
  /** True when every element has been read. */
  readonly empty: boolean;
  /** Fails if elements are left over. */
  done(): void;
}

export function fields(parent: Tlv, mode: TlvMode, what: string): Fields {
  return new FieldReader(parent, childrenOf(parent, mode), what);
}

class FieldReader implements Fields {
  readonly #parent: Tlv;
  readonly #items: readonly Tlv[];
  readonly #what: string;
  #i = 0;

  constructor(parent: Tlv, items: readonly Tlv[], what: string) {
    this.#parent = parent;
    this.#items = items;
    this.#what = what;
  }

  take(tag: number, field: string): Tlv {
    const t = this.any(field);
    if (t.tag !== tag) {
      throw new ParseError('TLV_UNEXPECTED_TAG', `${this.#what}.${field}: expected tag ${tagHex(tag)}, found ${tagHex(t.tag)}`, {
        tag: t.tag,
        offset: t.offset,
        field: `${this.#what}.${field}`,
      });
    }
    return t;
  }

  maybe(tag: number): Tlv | undefined {
    const t = this.#items[this.#i];
    if (t === undefined || t.tag !== tag) return undefined;
    this.#i++;
    return t;
  }

  any(field: string): Tlv {
    const t = this.#items[this.#i];
    if (t === undefined) {
      throw new ParseError('TLV_MISSING', `${this.#what}: ${field} missing`, {
        tag: this.#parent.tag,
        offset: this.#parent.offset,
        field: `${this.#what}.${field}`,
      });
    }
    this.#i++;
    return t;
  }

  get empty(): boolean {
    return this.#i >= this.#items.length;
  }

  done(): void {
    const t = this.#items[this.#i];
    if (t !== undefined) {
      throw new ParseError('TLV_EXTRA_ELEMENT', `${this.#what}: unexpected element ${tagHex(t.tag)}`, {
        tag: t.tag,
        offset: t.offset,
        field: this.#what,
      });
    }
  }
}

/** The elements of a SET OF / SEQUENCE OF, all with tag `tag`. */
export function elementsOf(parent: Tlv, tag: number, mode: TlvMode, what: string): Tlv[] {
  const items = childrenOf(parent, mode);
  for (const t of items) {
    if (t.tag !== tag) {
      throw new ParseError('TLV_UNEXPECTED_TAG', `${what}: expected tag ${tagHex(tag)}, found ${tagHex(t.tag)}`, {
        tag: t.tag,
        offset: t.offset,
        field: what,
      });
    }
  }
  return items;
}

/** `t` itself if it carries `tag`, else a ParseError naming `what`. */
export function expectElement(t: Tlv, tag: number, what: string): Tlv {
  if (t.tag !== tag) {
    throw new ParseError('TLV_UNEXPECTED_TAG', `${what}: expected tag ${tagHex(tag)}, found ${tagHex(t.tag)}`, {
      tag: t.tag,
      offset: t.offset,
      field: what,
    });
  }
  return t;
}

function primitive(t: Tlv, tag: number, what: string): Uint8Array {
  return expectElement(t, tag, what).value;
}

/** INTEGER (X.690 §8.3) as a signed bigint; 'der' also rejects redundant leading octets. */
export function readInteger(t: Tlv, mode: TlvMode, what: string): bigint {
  const v = primitive(t, TAG_INTEGER, what);
  if (v.length === 0) throw new ParseError('INTEGER_EMPTY', `${what}: empty INTEGER`, { tag: t.tag, offset: t.offset, field: what });
  if (mode === 'der' && v.length > 1 && ((v[0] === 0 && v[1]! < 0x80) || (v[0] === 0xff && v[1]! >= 0x80))) {
    throw new ParseError('INTEGER_NON_MINIMAL', `${what}: INTEGER not in minimal form (X.690 §8.3.2)`, {
      tag: t.tag,
      offset: t.offset,
      field: what,
    });
  }
  // one bigint from hex, not one per octet: serial numbers and moduli run to hundreds of octets
  const n = BigInt(`0x${hex(v)}`);
  return v[0]! >= 0x80 ? n - (1n << BigInt(8 * v.length)) : n;
}

/**
 * A non-negative INTEGER such as an RSA modulus. Some issuers wrote moduli without the leading
 * zero octet (a negative number in DER terms); 'lenient' reads the octets as unsigned.
 */
export function readUnsigned(t: Tlv, mode: TlvMode, what: string): bigint {
  const n = readInteger(t, mode, what);
  if (n >= 0n) return n;
  if (mode === 'lenient') return n + (1n << BigInt(8 * t.value.length));
  throw new ParseError('INTEGER_NEGATIVE', `${what}: negative INTEGER`, { tag: t.tag, offset: t.offset, field: what });
}

/** A small non-negative INTEGER (versions, numbers, identifiers). */
export function readSmallInt(t: Tlv, mode: TlvMode, what: string): number {
  const v = t.value;
  // one octet, the common case (versions, DG numbers): no bigint
  if (t.tag === TAG_INTEGER && v.length === 1 && v[0]! < 0x80) return v[0]!;
  const n = readInteger(t, mode, what);
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ParseError('INTEGER_OUT_OF_RANGE', `${what}: ${n} out of range`, { tag: t.tag, offset: t.offset, field: what });
  }
  return Number(n);
}

export function readOid(t: Tlv, what: string): string {
  return decodeOid(primitive(t, TAG_OID, what), t.valueOffset);
}

/**
 * OCTET STRING value. 'lenient' also takes the constructed form (X.690 §8.7.3) some BER
 * encoders emit, concatenating the segments.
 */
export function readOctetString(t: Tlv, mode: TlvMode, what: string): Uint8Array {
  if (mode === 'lenient' && t.tag === (TAG_OCTET_STRING | 0x20)) {
    return concat(...elementsOf(t, TAG_OCTET_STRING, mode, what).map((s) => s.value));
  }
  return primitive(t, TAG_OCTET_STRING, what);
}

/** INTEGER TLV in minimal two's complement (X.690 §8.3.2). */
export function encodeInteger(value: number | bigint): Uint8Array {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`"value" expected an integer, got ${value}`);
  let v = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0xffn);
    out.unshift(byte);
    v >>= 8n;
    if ((v === 0n && byte < 0x80) || (v === -1n && byte >= 0x80)) break;
  }
  return encodeTlv(TAG_INTEGER, Uint8Array.from(out));
}

export function encodeOidTlv(oid: string): Uint8Array {
  return encodeTlv(TAG_OID, encodeOid(oid));
}

/** X.690 §11.6 order of SET OF components: compare encodings, the shorter padded with zeros. */
export function compareDer(a: Uint8Array, b: Uint8Array): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** DER SET OF: the encoded components sorted (X.690 §11.6). */
export function encodeSetOf(components: readonly Uint8Array[]): Uint8Array {
  return encodeTlv(TAG_SET, ...[...components].sort(compareDer));
}

// AlgorithmIdentifier (RFC 5280 §4.1.1.2)

export interface AlgorithmIdentifier {
  readonly oid: string;
  /** Raw DER of the parameters element, undefined when absent. */
  readonly params: Uint8Array | undefined;
}

export function decodeAlgorithmIdentifier(t: Tlv, mode: TlvMode, what: string): AlgorithmIdentifier {
  const f = fields(expectElement(t, TAG_SEQUENCE, what), mode, what);
  const oid = readOid(f.take(TAG_OID, 'algorithm'), `${what}.algorithm`);
  const params = f.empty ? undefined : f.any('parameters').raw;
  f.done();
  return Object.freeze({ oid, params });
}

export function encodeAlgorithmIdentifier(a: AlgorithmIdentifier): Uint8Array {
  return encodeTlv(TAG_SEQUENCE, encodeOidTlv(a.oid), ...(a.params === undefined ? [] : [a.params]));
}
