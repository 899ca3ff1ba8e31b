/**
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) for the keys a travel document carries: the Active
 * Authentication key in DG15 (ICAO 9303-11 (8th ed.) §6.1), Chip Authentication keys in DG14
 * (§9.2.6) and Document Signer keys. Algorithms per RFC 3279 §2.3:
 *
 *   SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
 *   RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
 *   EcpkParameters ::= CHOICE { ecParameters ECParameters, namedCurve OBJECT IDENTIFIER, implicitlyCA NULL }
 *   ECParameters ::= SEQUENCE { version INTEGER (1), fieldID FieldID, curve Curve, base ECPoint,
 *                               order INTEGER, cofactor INTEGER OPTIONAL }
 *   FieldID ::= SEQUENCE { fieldType OBJECT IDENTIFIER, parameters ANY }   -- prime-field: p INTEGER
 *   Curve ::= SEQUENCE { a OCTET STRING, b OCTET STRING, seed BIT STRING OPTIONAL }
 *   DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER, privateValueLength INTEGER OPTIONAL } -- PKCS #3
 *   DomainParameters ::= SEQUENCE { p INTEGER, g INTEGER, q INTEGER, j INTEGER OPTIONAL,
 *                                   validationParms ValidationParms OPTIONAL }             -- X9.42
 * The decoded key keeps its raw DER; hashes and key ids are computed over that.
 */
import { abytes, concat } from './bytes.js';
import { decodeAlgorithmIdentifier, encodeAlgorithmIdentifier, encodeInteger, encodeOidTlv, expectElement, fields, readOctetString, readOid, readSmallInt, readUnsigned, type AlgorithmIdentifier } from './der.js';
import { ParseError } from './errors.js';
import { OID } from './oid.js';
import { decodeTlv, encodeTlv, type Tlv, type TlvMode } from './tlv.js';

/** Explicit prime-curve domain parameters (X9.62 §6.4, BSI TR-03111 §2.3.1). */
export interface EcCurveParameters {
  readonly p: bigint;
  readonly a: bigint;
  readonly b: bigint;
  /** The base point G as encoded (04 || x || y), and its coordinates. */
  readonly generator: Uint8Array;
  readonly gx: bigint;
  readonly gy: bigint;
  readonly n: bigint;
  readonly h: bigint | undefined;
}

export type PublicKeyInfo =
  | {
      readonly kind: 'rsa';
      readonly algorithm: AlgorithmIdentifier;
      readonly n: bigint;
      readonly e: bigint;
      readonly raw: Uint8Array;
    }
  | {
      readonly kind: 'ec';
      readonly algorithm: AlgorithmIdentifier;
      /** The curve's OID when the key names it. */
      readonly namedCurve: string | undefined;
      /** The curve's parameters when the key spells them out. */
      readonly curve: EcCurveParameters | undefined;
      /** The public point as encoded (04 || x || y, or compressed 02/03 || x). */
      readonly point: Uint8Array;
      readonly raw: Uint8Array;
    }
  | {
      readonly kind: 'dh';
      readonly algorithm: AlgorithmIdentifier;
      readonly p: bigint;
      readonly g: bigint;
      /** Subgroup order (X9.42 only). */
      readonly q: bigint | undefined;
      /** PKCS #3 only. */
      readonly privateValueLength: number | undefined;
      readonly y: bigint;
      readonly raw: Uint8Array;
    }
  | {
      readonly kind: 'unknown';
      readonly algorithm: AlgorithmIdentifier;
      /** The subjectPublicKey BIT STRING contents, unused-bits octet removed. */
      readonly key: Uint8Array;
      readonly raw: Uint8Array;
    };

const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_NULL = 0x05;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x30;

const RSA_OIDS: readonly string[] = [OID.rsaEncryption, OID.rsassaPss];
const EC_OIDS: readonly string[] = [OID.ecPublicKey, OID.idPK_ECDH];
const DH_OIDS: readonly string[] = [OID.dhKeyAgreement, OID.dhPublicNumber, OID.idPK_DH];

function fail(code: string, message: string, t: Tlv, field: string): ParseError {
  return new ParseError(code, message, { tag: t.tag, offset: t.offset, field });
}

/** Decodes a DER SubjectPublicKeyInfo; `base` is the absolute offset of spki[0]. */
export function decodePublicKey(spki: Uint8Array, mode: TlvMode = 'der', base = 0): PublicKeyInfo {
  return decodePublicKeyTlv(decodeTlv(abytes(spki, 'spki'), mode, base), mode);
}

/** Decodes a SubjectPublicKeyInfo already read as a TLV (inside DG14, DG15, a certificate). */
export function decodePublicKeyTlv(t: Tlv, mode: TlvMode = 'der'): PublicKeyInfo {
  const f = fields(expectElement(t, TAG_SEQUENCE, 'SubjectPublicKeyInfo'), mode, 'SubjectPublicKeyInfo');
  const algTlv = f.take(TAG_SEQUENCE, 'algorithm');
  const algorithm = decodeAlgorithmIdentifier(algTlv, mode, 'SubjectPublicKeyInfo.algorithm');
  const bits = f.take(TAG_BIT_STRING, 'subjectPublicKey');
  f.done();
  // RFC 5280 §4.1.2.7: the key is a whole number of octets
  if (bits.value.length < 2 || bits.value[0] !== 0) {
    throw fail('PK_BAD_BIT_STRING', 'subjectPublicKey must be a non-empty BIT STRING with 0 unused bits', bits, 'subjectPublicKey');
  }
  const key = bits.value.subarray(1);
  const keyTlv = (): Tlv => decodeTlv(key, mode, bits.valueOffset + 1);
  if (RSA_OIDS.includes(algorithm.oid)) {
    const kf = fields(expectElement(keyTlv(), TAG_SEQUENCE, 'RSAPublicKey'), mode, 'RSAPublicKey');
    const n = readUnsigned(kf.take(TAG_INTEGER, 'modulus'), mode, 'RSAPublicKey.modulus');
    const e = readUnsigned(kf.take(TAG_INTEGER, 'publicExponent'), mode, 'RSAPublicKey.publicExponent');
    kf.done();
    return Object.freeze({ kind: 'rsa', algorithm, n, e, raw: t.raw });
  }
  if (EC_OIDS.includes(algorithm.oid)) return decodeEcKey(algTlv, algorithm, key, bits, mode, t.raw);
  if (DH_OIDS.includes(algorithm.oid)) return decodeDhKey(algTlv, algorithm, keyTlv(), mode, t.raw);
  return Object.freeze({ kind: 'unknown', algorithm, key, raw: t.raw });
}

function paramsTlv(algTlv: Tlv, mode: TlvMode): Tlv | undefined {
  const f = fields(algTlv, mode, 'AlgorithmIdentifier');
  f.any('algorithm');
  return f.empty ? undefined : f.any('parameters');
}

function decodeEcKey(
  algTlv: Tlv,
  algorithm: AlgorithmIdentifier,
  point: Uint8Array,
  bits: Tlv,
  mode: TlvMode,
  raw: Uint8Array,
): PublicKeyInfo {
  const params = paramsTlv(algTlv, mode);
  if (params === undefined || params.tag === TAG_NULL) {
    // RFC 5480 §2.1.1: implicitlyCA MUST NOT be used; the key alone is unusable
    throw fail('PK_NO_CURVE', 'EC key without curve parameters', params ?? algTlv, 'AlgorithmIdentifier.parameters');
  }
  const namedCurve = params.tag === TAG_OID ? readOid(params, 'namedCurve') : undefined;
  const curve = params.tag === TAG_OID ? undefined : decodeEcParameters(params, mode);
  const format = point[0];
  const ok = format === 0x04 ? point.length % 2 === 1 : (format === 0x02 || format === 0x03) && point.length > 1;
  if (!ok) throw fail('PK_BAD_POINT', 'EC public point is neither uncompressed nor compressed (X9.62 §4.3.6)', bits, 'subjectPublicKey');
  if (curve !== undefined && point.length !== 1 + 2 * byteLength(curve.p) && format === 0x04) {
    throw fail('PK_BAD_POINT', `EC public point of ${point.length} bytes for a ${byteLength(curve.p)}-byte field`, bits, 'subjectPublicKey');
  }
  return Object.freeze({ kind: 'ec', algorithm, namedCurve, curve, point, raw });
}

/** ECParameters (X9.62 §6.4; BSI TR-03111 §4.1.1): prime fields only, as ICAO 9303 requires. */
export function decodeEcParameters(t: Tlv, mode: TlvMode = 'der'): EcCurveParameters {
  const f = fields(expectElement(t, TAG_SEQUENCE, 'ECParameters'), mode, 'ECParameters');
  const vt = f.take(TAG_INTEGER, 'version');
  if (readSmallInt(vt, mode, 'ECParameters.version') !== 1) {
    throw fail('PK_BAD_EC_PARAMETERS', 'ECParameters version must be 1', vt, 'ECParameters.version');
  }
  const field = fields(f.take(TAG_SEQUENCE, 'fieldID'), mode, 'FieldID');
  const ft = field.take(TAG_OID, 'fieldType');
  if (readOid(ft, 'FieldID.fieldType') !== OID.primeField) {
    throw fail('PK_UNSUPPORTED_FIELD', 'only prime-field curves are supported', ft, 'FieldID.fieldType');
  }
  const p = readUnsigned(field.take(TAG_INTEGER, 'parameters'), mode, 'FieldID.parameters');
  field.done();
  const cf = fields(f.take(TAG_SEQUENCE, 'curve'), mode, 'Curve');
  const a = bigintOf(readOctetString(cf.any('a'), mode, 'Curve.a'));
  const b = bigintOf(readOctetString(cf.any('b'), mode, 'Curve.b'));
  cf.maybe(TAG_BIT_STRING);
  cf.done();
  const gt = f.any('base');
  const generator = readOctetString(gt, mode, 'ECParameters.base');
  const size = byteLength(p);
  // TR-03111 §3.2: the base point in uncompressed form
  if (generator.length !== 1 + 2 * size || generator[0] !== 0x04) {
    throw fail('PK_BAD_EC_PARAMETERS', `base point is not an uncompressed point of a ${size}-byte field`, gt, 'ECParameters.base');
  }
  const n = readUnsigned(f.take(TAG_INTEGER, 'order'), mode, 'ECParameters.order');
  const ht = f.maybe(TAG_INTEGER);
  f.done();
  return Object.freeze({
    p,
    a,
    b,
    generator,
    gx: bigintOf(generator.subarray(1, 1 + size)),
    gy: bigintOf(generator.subarray(1 + size)),
    n,
    h: ht === undefined ? undefined : readUnsigned(ht, mode, 'ECParameters.cofactor'),
  });
}

function decodeDhKey(algTlv: Tlv, algorithm: AlgorithmIdentifier, keyTlv: Tlv, mode: TlvMode, raw: Uint8Array): PublicKeyInfo {
  const params = paramsTlv(algTlv, mode);
  if (params === undefined) throw fail('PK_NO_DH_PARAMETERS', 'DH key without domain parameters', algTlv, 'AlgorithmIdentifier.parameters');
  const f = fields(expectElement(params, TAG_SEQUENCE, 'DHParameters'), mode, 'DHParameters');
  const p = readUnsigned(f.take(TAG_INTEGER, 'p'), mode, 'DHParameters.p');
  const g = readUnsigned(f.take(TAG_INTEGER, 'g'), mode, 'DHParameters.g');
  let q: bigint | undefined;
  let privateValueLength: number | undefined;
  const third = f.maybe(TAG_INTEGER);
  if (algorithm.oid === OID.dhKeyAgreement) {
    privateValueLength = third === undefined ? undefined : readSmallInt(third, mode, 'DHParameter.privateValueLength');
    f.done();
  } else {
    // X9.42 DomainParameters; j and validationParms are not needed to use the key
    if (third === undefined) throw fail('PK_NO_DH_PARAMETERS', 'X9.42 DomainParameters without q', params, 'DomainParameters.q');
    q = readUnsigned(third, mode, 'DomainParameters.q');
    f.maybe(TAG_INTEGER);
    f.maybe(TAG_SEQUENCE);
    f.done();
  }
  const y = readUnsigned(expectElement(keyTlv, TAG_INTEGER, 'DHPublicKey'), mode, 'DHPublicKey');
  return Object.freeze({ kind: 'dh', algorithm, p, g, q, privateValueLength, y, raw });
}

function bigintOf(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function byteLength(n: bigint): number {
  return Math.ceil(n.toString(16).length / 2);
}

export type PublicKeyInput =
  | { readonly kind: 'rsa'; readonly n: bigint; readonly e: bigint }
  | { readonly kind: 'ec'; readonly namedCurve: string; readonly point: Uint8Array };

/** DER SubjectPublicKeyInfo: RSA (RFC 3279 §2.3.1, NULL parameters) or EC on a named curve (RFC 5480 §2.1.1). */
export function encodePublicKey(key: PublicKeyInput): Uint8Array {
  let algorithm: AlgorithmIdentifier;
  let body: Uint8Array;
  if (key.kind === 'rsa') {
    if (typeof key.n !== 'bigint' || key.n <= 0n) throw new RangeError('"n" expected a positive bigint');
    if (typeof key.e !== 'bigint' || key.e <= 0n) throw new RangeError('"e" expected a positive bigint');
    algorithm = { oid: OID.rsaEncryption, params: Uint8Array.of(TAG_NULL, 0) };
    body = encodeTlv(TAG_SEQUENCE, encodeInteger(key.n), encodeInteger(key.e));
  } else if (key.kind === 'ec') {
    if (!(key.point instanceof Uint8Array) || key.point.length < 2) throw new TypeError('"point" expected an encoded EC point');
    algorithm = { oid: OID.ecPublicKey, params: encodeOidTlv(key.namedCurve) };
    body = key.point;
  } else {
    throw new TypeError(`"key.kind" expected 'rsa' or 'ec'`);
  }
  return encodeTlv(TAG_SEQUENCE, encodeAlgorithmIdentifier(algorithm), encodeTlv(TAG_BIT_STRING, concat(Uint8Array.of(0), body)));
}
