/**
 * EF.DG11, additional personal details (ICAO 9303-10 (8th ed.) §4.7.11), and the template it
 * shares with DG12 (§4.7.12): `tag L { 5C tag list, data elements … }`, where repeated names go
 * in `A0 { 02 01 count, item … }`. Elements are kept in file order and unknown tags are kept as
 * read, so decode → encode returns the same bytes for a file whose tag list matches its content.
 */
import { abytes, concat, utf8 } from './bytes.js';
import { ParseError, ValidationError } from './errors.js';
import { TAG_LIST_TAG, decodeTagList, encodeTagList } from './com.js';
import { childrenOf, decodeTlv, encodeTlv, expectTag, tagHex, type Tlv } from './tlv.js';

const LIST_TAG = 0xa0; // content-specific constructed object holding repeated items
const COUNT_TAG = 0x02;

export type DetailKind = 'text' | 'bytes' | 'list';

/** One data element of a detail template: where it sits and how its value reads. */
export interface DetailElement {
  readonly tag: number;
  readonly key: string;
  readonly kind: DetailKind;
  /** For kind 'list': the tag of each item inside A0. */
  readonly itemTag?: number;
}

export interface DetailSpec {
  readonly file: string;
  readonly tag: number;
  readonly elements: readonly DetailElement[];
}

export interface UnknownElement {
  readonly tag: number;
  readonly value: Uint8Array;
}

/** Layout kept by decode so that encode can write the elements back in the same order. */
export interface DetailLayout {
  /** Element tags in file order (A0 for lists, unknown tags included). */
  readonly order?: readonly number[];
  readonly unknown?: readonly UnknownElement[];
}

export type DetailValue = string | Uint8Array | readonly string[];

const TEXT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function readText(t: Tlv, file: string, key: string): string {
  try {
    return TEXT.decode(t.value);
  } catch {
    throw new ParseError('DETAIL_TEXT_INVALID', `${key} is not valid UTF-8`, { tag: t.tag, offset: t.valueOffset, file, field: key });
  }
}

function readList(t: Tlv, el: DetailElement, file: string): readonly string[] {
  const kids = childrenOf(t, 'lenient');
  const count = kids[0];
  if (count === undefined || count.tag !== COUNT_TAG || count.value.length !== 1) {
    throw new ParseError('DETAIL_LIST_INVALID', `${el.key}: A0 must start with a one-byte count (02 01 n)`, {
      tag: LIST_TAG,
      offset: t.offset,
      file,
      field: el.key,
    });
  }
  const items = kids.slice(1);
  for (const item of items) expectTag(item, el.itemTag!, `${file} ${el.key}`);
  if (items.length !== count.value[0]) {
    throw new ParseError('DETAIL_LIST_INVALID', `${el.key}: count ${count.value[0]} but ${items.length} item(s)`, {
      tag: LIST_TAG,
      offset: count.offset,
      file,
      field: el.key,
    });
  }
  return Object.freeze(items.map((i) => readText(i, file, el.key)));
}

export interface DecodedDetails {
  readonly values: Readonly<Record<string, DetailValue>>;
  readonly tagList: readonly number[];
  readonly order: readonly number[];
  readonly unknown: readonly UnknownElement[];
  readonly raw: Uint8Array;
}

/** Decodes a DG11/DG12-style template by `spec`. Failures are ParseErrors with tag and offset. */
export function decodeDetails(bytes: Uint8Array, spec: DetailSpec): DecodedDetails {
  abytes(bytes, 'bytes');
  const outer = expectTag(decodeTlv(bytes, 'lenient'), spec.tag, spec.file);
  const kids = childrenOf(outer, 'lenient');
  const first = kids[0];
  if (first === undefined || first.tag !== TAG_LIST_TAG) {
    throw new ParseError('DETAIL_TAG_LIST_MISSING', `${spec.file} must start with the tag list 5C`, {
      tag: first?.tag ?? spec.tag,
      offset: first?.offset ?? outer.valueOffset,
      file: spec.file,
    });
  }
  const values: Record<string, DetailValue> = {};
  const order: number[] = [];
  const unknown: UnknownElement[] = [];
  for (const t of kids.slice(1)) {
    order.push(t.tag);
    const el = spec.elements.find((e) => e.tag === t.tag);
    if (el === undefined) {
      unknown.push(Object.freeze({ tag: t.tag, value: t.value }));
      continue;
    }
    if (el.key in values) {
      throw new ParseError('DETAIL_DUPLICATE', `${spec.file}: element ${tagHex(t.tag)} appears twice`, {
        tag: t.tag,
        offset: t.offset,
        file: spec.file,
        field: el.key,
      });
    }
    values[el.key] = el.kind === 'list' ? readList(t, el, spec.file) : el.kind === 'bytes' ? t.value : readText(t, spec.file, el.key);
  }
  return Object.freeze({
    values: Object.freeze(values),
    tagList: decodeTagList(first, spec.file),
    order: Object.freeze(order),
    unknown: Object.freeze(unknown),
    raw: outer.raw,
  });
}

function encodeElement(el: DetailElement, value: DetailValue): Uint8Array {
  if (el.kind === 'list') {
    const items = value as readonly string[];
    if (!Array.isArray(items) || items.length > 255 || items.some((i) => typeof i !== 'string')) {
      throw new ValidationError('DETAIL_VALUE_INVALID', `${el.key} expected up to 255 strings`, { field: el.key });
    }
    return encodeTlv(LIST_TAG, encodeTlv(COUNT_TAG, Uint8Array.of(items.length)), ...items.map((i) => encodeTlv(el.itemTag!, utf8(i))));
  }
  if (el.kind === 'bytes') return encodeTlv(el.tag, abytes(value, el.key));
  if (typeof value !== 'string') throw new TypeError(`"${el.key}" expected a string`);
  return encodeTlv(el.tag, utf8(value));
}

/**
 * Encodes the template: elements in `layout.order` where given, then the remaining present
 * elements in the order of `spec`, then unknown elements not placed yet. The tag list names
 * every element written (the item tag for lists).
 */
export function encodeDetails(spec: DetailSpec, values: Readonly<Record<string, DetailValue | undefined>>, layout: DetailLayout = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const tags: number[] = [];
  const done = new Set<DetailElement>();
  const unknown = [...(layout.unknown ?? [])];
  const write = (el: DetailElement): void => {
    const v = values[el.key];
    if (v === undefined || done.has(el)) return;
    done.add(el);
    parts.push(encodeElement(el, v));
    tags.push(el.kind === 'list' ? el.itemTag! : el.tag);
  };
  for (const tag of layout.order ?? []) {
    const el = spec.elements.find((e) => e.tag === tag);
    if (el !== undefined) {
      write(el);
      continue;
    }
    const at = unknown.findIndex((u) => u.tag === tag);
    if (at >= 0) {
      const [u] = unknown.splice(at, 1);
      parts.push(encodeTlv(u!.tag, u!.value));
      tags.push(u!.tag);
    }
  }
  spec.elements.forEach(write);
  for (const u of unknown) {
    parts.push(encodeTlv(u.tag, u.value));
    tags.push(u.tag);
  }
  return encodeTlv(spec.tag, encodeTagList(tags), concat(...parts));
}

// ---------------------------------------------------------------------------------------------
// DG11 (ICAO 9303-10 §4.7.11)

export const DG11_SPEC: DetailSpec = Object.freeze({
  file: 'DG11',
  tag: 0x6b,
  elements: Object.freeze([
    { tag: 0x5f0e, key: 'fullName', kind: 'text' },
    { tag: LIST_TAG, key: 'otherNames', kind: 'list', itemTag: 0x5f0f },
    { tag: 0x5f10, key: 'personalNumber', kind: 'text' },
    { tag: 0x5f2b, key: 'fullDateOfBirth', kind: 'text' },
    { tag: 0x5f11, key: 'placeOfBirth', kind: 'text' },
    { tag: 0x5f42, key: 'permanentAddress', kind: 'text' },
    { tag: 0x5f12, key: 'telephone', kind: 'text' },
    { tag: 0x5f13, key: 'profession', kind: 'text' },
    { tag: 0x5f14, key: 'title', kind: 'text' },
    { tag: 0x5f15, key: 'personalSummary', kind: 'text' },
    { tag: 0x5f16, key: 'proofOfCitizenship', kind: 'bytes' },
    { tag: 0x5f17, key: 'otherValidTdNumbers', kind: 'text' },
    { tag: 0x5f18, key: 'custodyInformation', kind: 'text' },
  ] as const),
});

export interface Dg11Fields {
  /** Primary and secondary identifiers, '<<' between them, in national characters. */
  readonly fullName?: string;
  readonly otherNames?: readonly string[];
  readonly personalNumber?: string;
  /** yyyymmdd */
  readonly fullDateOfBirth?: string;
  /** Components separated by '<'. */
  readonly placeOfBirth?: string;
  /** Components separated by '<'. */
  readonly permanentAddress?: string;
  readonly telephone?: string;
  readonly profession?: string;
  readonly title?: string;
  readonly personalSummary?: string;
  /** An image (ISO/IEC 10918 JPEG). */
  readonly proofOfCitizenship?: Uint8Array;
  /** Numbers separated by '<'. */
  readonly otherValidTdNumbers?: string;
  readonly custodyInformation?: string;
}

export interface Dg11 extends Dg11Fields, DetailLayout {
  /** The tag list as read (encode writes a fresh one from the elements present). */
  readonly tagList: readonly number[];
  readonly raw: Uint8Array;
}

export function decodeDg11(bytes: Uint8Array): Dg11 {
  const d = decodeDetails(bytes, DG11_SPEC);
  return Object.freeze({ ...(d.values as Dg11Fields), tagList: d.tagList, order: d.order, unknown: d.unknown, raw: d.raw });
}

export function encodeDg11(value: Dg11Fields & DetailLayout): Uint8Array {
  return encodeDetails(DG11_SPEC, value as Record<string, DetailValue | undefined>, value);
}
