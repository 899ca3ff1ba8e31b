/**
 * EF.SOD, the Document Security Object: ICAO 9303-10 (8th ed.) §4.6.2 and Appendix D.
 * EF.SOD = 77 L ContentInfo; the SignedData's eContent is an LDSSecurityObject:
 *
 *   LDSSecurityObject ::= SEQUENCE {
 *     version LDSSecurityObjectVersion,            -- v0(0), v1(1); v1 iff ldsVersionInfo present
 *     hashAlgorithm DigestAlgorithmIdentifier,
 *     dataGroupHashValues SEQUENCE SIZE (2..ub-DataGroups) OF DataGroupHash,
 *     ldsVersionInfo LDSVersionInfo OPTIONAL }
 *   DataGroupHash ::= SEQUENCE { dataGroupNumber INTEGER (1..16), dataGroupHashValue OCTET STRING }
 *   LDSVersionInfo ::= SEQUENCE { ldsVersion PrintableString, unicodeVersion PrintableString }
 */
import { abytes, ascii } from './bytes.js';
import { decodeSignedData, type SignedData } from './cms.js';
import { decodeAlgorithmIdentifier, elementsOf, encodeAlgorithmIdentifier, encodeInteger, expectElement, fields, readOctetString, readSmallInt, type AlgorithmIdentifier } from './der.js';
import { ParseError } from './errors.js';
import { OID } from './oid.js';
import { decodeTlv, encodeTlv, type Tlv, type TlvMode } from './tlv.js';

export interface DataGroupHash {
  readonly dg: number;
  readonly hash: Uint8Array;
}

export interface LdsSecurityObject {
  readonly version: 0 | 1;
  readonly hashAlgorithm: AlgorithmIdentifier;
  readonly dataGroupHashes: readonly DataGroupHash[];
  readonly ldsVersion: string | undefined;
  readonly unicodeVersion: string | undefined;
  /** The eContent bytes. */
  readonly raw: Uint8Array;
}

export interface Sod {
  readonly signedData: SignedData;
  readonly securityObject: LdsSecurityObject;
  /** eContentType is a pre-standard arc (BE/FR 1.3.27.1.1.1, NL 1.2.528.1.1006.1.20.1), not 2.23.136.1.1.1. */
  readonly legacyContentType: boolean;
  /** The whole EF, tag 77 included (padding excluded). */
  readonly raw: Uint8Array;
}

const TAG_SOD = 0x77;
const TAG_INTEGER = 0x02;
const TAG_SEQUENCE = 0x30;
const TAG_PRINTABLE_STRING = 0x13;
const TAG_NULL = 0x05;
const MAX_DG = 16;

const LEGACY_CONTENT_TYPES: readonly string[] = [OID.ldsSecurityObjectBeFr, OID.ldsSecurityObjectNl];

/** Output lengths of the digest algorithms ICAO 9303-12 §4.2 allows, to check hash values. */
const DIGEST_LENGTHS: ReadonlyMap<string, number> = new Map([
  [OID.sha1, 20],
  [OID.sha224, 28],
  [OID.sha256, 32],
  [OID.sha384, 48],
  [OID.sha512, 64],
]);

/**
 * Decodes EF.SOD. The default 'lenient' mode takes what real cards write: padding after the
 * object, non-minimal lengths, a constructed eContent; the signed parts are kept as read.
 */
export function decodeSod(ef: Uint8Array, mode: TlvMode = 'lenient'): Sod {
  const t = decodeTlv(abytes(ef, 'ef'), mode);
  expectElement(t, TAG_SOD, 'EF.SOD');
  const signedData = decodeSignedData(t.value, mode, t.valueOffset);
  const legacy = LEGACY_CONTENT_TYPES.includes(signedData.contentType);
  if (signedData.contentType !== OID.ldsSecurityObject && !legacy) {
    throw new ParseError('SOD_BAD_CONTENT_TYPE', `eContentType ${signedData.contentType} is not id-icao-mrtd-security-ldsSecurityObject`, {
      tag: 0x06,
      offset: t.valueOffset,
      field: 'EncapsulatedContentInfo.eContentType',
      file: 'SOD',
    });
  }
  const securityObject = decodeLdsSecurityObject(signedData.content, mode, signedData.contentOffset);
  return Object.freeze({ signedData, securityObject, legacyContentType: legacy, raw: t.raw });
}

/** Decodes the eContent of EF.SOD; `base` is its absolute offset for error places. */
export function decodeLdsSecurityObject(content: Uint8Array, mode: TlvMode = 'der', base = 0): LdsSecurityObject {
  const t = decodeTlv(abytes(content, 'content'), mode, base);
  const f = fields(expectElement(t, TAG_SEQUENCE, 'LDSSecurityObject'), mode, 'LDSSecurityObject');
  const vt = f.take(TAG_INTEGER, 'version');
  const version = readSmallInt(vt, mode, 'LDSSecurityObject.version');
  const hashAlgorithm = decodeHashAlgorithm(f.take(TAG_SEQUENCE, 'hashAlgorithm'), mode);
  const dataGroupHashes = decodeHashes(f.take(TAG_SEQUENCE, 'dataGroupHashValues'), mode, hashAlgorithm);
  const info = f.maybe(TAG_SEQUENCE);
  f.done();
  // §4.6.2: version is v1 if and only if ldsVersionInfo is present
  if (version !== (info === undefined ? 0 : 1)) {
    throw new ParseError('SOD_BAD_VERSION', `LDSSecurityObject version ${version} with${info ? '' : 'out'} ldsVersionInfo`, {
      tag: vt.tag,
      offset: vt.offset,
      field: 'LDSSecurityObject.version',
      file: 'SOD',
    });
  }
  let ldsVersion: string | undefined;
  let unicodeVersion: string | undefined;
  if (info !== undefined) {
    const vf = fields(info, mode, 'LDSVersionInfo');
    ldsVersion = printable(vf.take(TAG_PRINTABLE_STRING, 'ldsVersion'), 'LDSVersionInfo.ldsVersion');
    unicodeVersion = printable(vf.take(TAG_PRINTABLE_STRING, 'unicodeVersion'), 'LDSVersionInfo.unicodeVersion');
    vf.done();
  }
  return Object.freeze({
    version: version as 0 | 1,
    hashAlgorithm,
    dataGroupHashes,
    ldsVersion,
    unicodeVersion,
    raw: t.raw,
  });
}

/** §4.6.2: parameters absent (as the spec asks) or NULL (as many issuers write) are both taken. */
function decodeHashAlgorithm(t: Tlv, mode: TlvMode): AlgorithmIdentifier {
  const a = decodeAlgorithmIdentifier(t, mode, 'LDSSecurityObject.hashAlgorithm');
  if (a.params !== undefined && !(a.params.length === 2 && a.params[0] === TAG_NULL && a.params[1] === 0)) {
    throw new ParseError('SOD_BAD_HASH_PARAMS', 'hashAlgorithm parameters must be absent or NULL', {
      tag: t.tag,
      offset: t.offset,
      field: 'LDSSecurityObject.hashAlgorithm',
      file: 'SOD',
    });
  }
  return a;
}

function decodeHashes(t: Tlv, mode: TlvMode, alg: AlgorithmIdentifier): readonly DataGroupHash[] {
  const items = elementsOf(t, TAG_SEQUENCE, mode, 'LDSSecurityObject.dataGroupHashValues');
  if (items.length < 2 || items.length > MAX_DG) {
    throw new ParseError('SOD_HASH_COUNT', `${items.length} data group hashes, expected 2..${MAX_DG}`, {
      tag: t.tag,
      offset: t.offset,
      field: 'LDSSecurityObject.dataGroupHashValues',
      file: 'SOD',
    });
  }
  const expected = DIGEST_LENGTHS.get(alg.oid);
  const seen = new Set<number>();
  const out = items.map((item) => {
    const f = fields(item, mode, 'DataGroupHash');
    const nt = f.take(TAG_INTEGER, 'dataGroupNumber');
    const dg = readSmallInt(nt, mode, 'DataGroupHash.dataGroupNumber');
    const ht = f.any('dataGroupHashValue');
    const hash = readOctetString(ht, mode, 'DataGroupHash.dataGroupHashValue');
    f.done();
    if (dg < 1 || dg > MAX_DG || seen.has(dg)) {
      throw new ParseError('SOD_BAD_DG_NUMBER', `data group number ${dg} ${seen.has(dg) ? 'repeated' : 'outside 1..16'}`, {
        tag: nt.tag,
        offset: nt.offset,
        field: 'DataGroupHash.dataGroupNumber',
        file: 'SOD',
      });
    }
    seen.add(dg);
    if (expected !== undefined && hash.length !== expected) {
      throw new ParseError('SOD_BAD_HASH_LENGTH', `DG${dg} hash is ${hash.length} bytes, ${alg.oid} gives ${expected}`, {
        tag: ht.tag,
        offset: ht.offset,
        field: 'DataGroupHash.dataGroupHashValue',
        file: 'SOD',
      });
    }
    return Object.freeze({ dg, hash });
  });
  return Object.freeze(out);
}

// X.680 §41.4 PrintableString: letters, digits, space and '()+,-./:=?
const PRINTABLE: ReadonlySet<number> = new Set(
  Array.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?", (c) => c.charCodeAt(0)),
);

function printable(t: Tlv, what: string): string {
  for (let i = 0; i < t.value.length; i++) {
    if (!PRINTABLE.has(t.value[i]!)) {
      throw new ParseError('SOD_BAD_STRING', `${what}: character 0x${t.value[i]!.toString(16)} not in PrintableString`, {
        tag: t.tag,
        offset: t.valueOffset + i,
        field: what,
        file: 'SOD',
      });
    }
  }
  return String.fromCharCode(...t.value);
}

export interface LdsSecurityObjectInput {
  readonly hashAlgorithm: AlgorithmIdentifier;
  readonly dataGroupHashes: readonly DataGroupHash[];
  readonly ldsVersion?: string;
  readonly unicodeVersion?: string;
}

/** DER LDSSecurityObject; v1 with LDSVersionInfo iff `ldsVersion` is given (§4.6.2). */
export function encodeLdsSecurityObject(o: LdsSecurityObjectInput): Uint8Array {
  const n = o.dataGroupHashes.length;
  if (n < 2 || n > MAX_DG) throw new RangeError(`"dataGroupHashes" expected 2..${MAX_DG} entries, got ${n}`);
  const seen = new Set<number>();
  const hashes = o.dataGroupHashes.map(({ dg, hash }) => {
    if (!Number.isInteger(dg) || dg < 1 || dg > MAX_DG || seen.has(dg)) {
      throw new RangeError(`"dataGroupHashes" data group number ${dg} outside 1..16 or repeated`);
    }
    seen.add(dg);
    return encodeTlv(TAG_SEQUENCE, encodeInteger(dg), encodeTlv(0x04, hash));
  });
  const v1 = o.ldsVersion !== undefined;
  if (v1 && o.unicodeVersion === undefined) throw new TypeError('"unicodeVersion" is required with "ldsVersion"');
  return encodeTlv(
    TAG_SEQUENCE,
    encodeInteger(v1 ? 1 : 0),
    encodeAlgorithmIdentifier(o.hashAlgorithm),
    encodeTlv(TAG_SEQUENCE, ...hashes),
    ...(v1
      ? [
          encodeTlv(
            TAG_SEQUENCE,
            encodeTlv(TAG_PRINTABLE_STRING, ascii(o.ldsVersion!)),
            encodeTlv(TAG_PRINTABLE_STRING, ascii(o.unicodeVersion!)),
          ),
        ]
      : []),
  );
}

/** EF.SOD bytes: 77 L ContentInfo (ICAO 9303-10 §4.6.2). */
export function wrapSod(contentInfo: Uint8Array): Uint8Array {
  return encodeTlv(TAG_SOD, contentInfo);
}

/** The hash the SOD lists for data group `dg`, or undefined when the SOD does not list it. */
export function dataGroupHash(o: LdsSecurityObject, dg: number): Uint8Array | undefined {
  return o.dataGroupHashes.find((h) => h.dg === dg)?.hash;
}
