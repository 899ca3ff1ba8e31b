/**
 * EF.COM (ICAO 9303-10 (8th ed.) §4.6.1, App. A.1):
 * `60 L { 5F01 04 "aabb" LDS version, 5F36 06 "aabbcc" Unicode version, 5C L tag list }`.
 * Also the tag-list codec (data object 5C), which DG11 and DG12 use the same way (§4.7.11).
 */
import { abytes, ascii, concat } from './bytes.js';
import { ParseError, ValidationError } from './errors.js';
import { fileByDg, fileByTag } from './files.js';
import { childrenOf, decodeTlv, encodeTag, encodeTlv, expectTag, type Tlv } from './tlv.js';

const COM_TAG = 0x60;
const LDS_VERSION_TAG = 0x5f01;
const UNICODE_VERSION_TAG = 0x5f36;
export const TAG_LIST_TAG = 0x5c;

/** Reads the concatenated BER tags of a 5C object (ISO 7816-4 §5.2 tag encoding). */
export function decodeTagList(t: Tlv, file: string): readonly number[] {
  const v = t.value;
  const tags: number[] = [];
  for (let i = 0; i < v.length; ) {
    const start = i;
    let tag = v[i++]!;
    if ((tag & 0x1f) === 0x1f) {
      for (;;) {
        if (i >= v.length || i - start >= 3) {
          throw new ParseError('TAG_LIST_INVALID', 'tag list ends inside a tag', {
            tag: TAG_LIST_TAG,
            offset: t.valueOffset + start,
            file,
          });
        }
        const b = v[i++]!;
        tag = tag * 256 + b;
        if ((b & 0x80) === 0) break;
      }
    }
    tags.push(tag);
  }
  return Object.freeze(tags);
}

export function encodeTagList(tags: readonly number[]): Uint8Array {
  return encodeTlv(TAG_LIST_TAG, concat(...tags.map(encodeTag)));
}

export interface Com {
  /** Four digits "aabb": LDS version aa.bb, e.g. "0107" = 1.7. */
  readonly ldsVersion: string;
  /** Six digits "aabbcc": Unicode version aa.bb.cc, e.g. "040000" = 4.0.0. */
  readonly unicodeVersion: string;
  /** The tag list as written (one tag per data group present). */
  readonly tags: readonly number[];
  /** Data group numbers of the tags that name a data group, in tag-list order. */
  readonly dataGroups: readonly number[];
  readonly raw: Uint8Array;
}

function digits(t: Tlv, length: number, what: string): string {
  const text = String.fromCharCode(...t.value);
  if (t.value.length !== length || !/^[0-9]*$/.test(text)) {
    throw new ParseError('COM_VERSION_INVALID', `${what} must be ${length} ASCII digits`, {
      tag: t.tag,
      offset: t.valueOffset,
      file: 'COM',
      field: what,
    });
  }
  return text;
}

/** Decodes EF.COM. The three objects must appear in the order of §4.6.1 and nothing else. */
export function decodeCom(bytes: Uint8Array): Com {
  abytes(bytes, 'bytes');
  const outer = expectTag(decodeTlv(bytes, 'lenient'), COM_TAG, 'EF.COM');
  const kids = childrenOf(outer, 'lenient');
  const expected = [LDS_VERSION_TAG, UNICODE_VERSION_TAG, TAG_LIST_TAG];
  for (let i = 0; i < Math.max(kids.length, expected.length); i++) {
    const kid = kids[i];
    if (kid === undefined || kid.tag !== expected[i]) {
      throw new ParseError('COM_STRUCTURE', 'EF.COM must hold 5F01, 5F36 and 5C in this order', {
        tag: kid?.tag ?? COM_TAG,
        offset: kid?.offset ?? outer.offset,
        file: 'COM',
      });
    }
  }
  const tags = decodeTagList(kids[2]!, 'COM');
  const dataGroups = tags.map((t) => fileByTag(t)?.dg).filter((dg): dg is number => dg !== undefined);
  return Object.freeze({
    ldsVersion: digits(kids[0]!, 4, 'ldsVersion'),
    unicodeVersion: digits(kids[1]!, 6, 'unicodeVersion'),
    tags,
    dataGroups: Object.freeze(dataGroups),
    raw: outer.raw,
  });
}

export interface ComInput {
  readonly ldsVersion: string;
  readonly unicodeVersion: string;
  /** Either data group numbers (mapped to their tags through files.ts) or the raw tags. */
  readonly dataGroups?: readonly number[];
  readonly tags?: readonly number[];
}

/** Encodes EF.COM; `tags` wins over `dataGroups` when both are given. */
export function encodeCom(input: ComInput): Uint8Array {
  const version = (value: string, length: number, field: string): Uint8Array => {
    if (typeof value !== 'string' || !new RegExp(`^[0-9]{${length}}$`).test(value)) {
      throw new ValidationError('COM_VERSION_INVALID', `${field} must be ${length} digits`, { field });
    }
    return ascii(value);
  };
  const tags =
    input.tags ??
    (input.dataGroups ?? []).map((dg) => {
      const f = fileByDg(dg);
      if (f?.tag === undefined) throw new RangeError(`"dataGroups" has no data group ${dg}`);
      return f.tag;
    });
  return encodeTlv(
    COM_TAG,
    encodeTlv(LDS_VERSION_TAG, version(input.ldsVersion, 4, 'ldsVersion')),
    encodeTlv(UNICODE_VERSION_TAG, version(input.unicodeVersion, 6, 'unicodeVersion')),
    encodeTagList(tags),
  );
}
