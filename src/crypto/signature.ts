/**
 * Verification of the signatures found in eMRTD PKI objects: SOD SignerInfos, DS and CSCA
 * certificates, CRLs, master lists. ICAO 9303-12 (8th ed.) §5 allows ECDSA (RFC 5758 OIDs and
 * the BSI TR-03111 plain r‖s OIDs), RSASSA-PKCS1-v1_5 and RSASSA-PSS (RFC 4055).
 *
 * Node's OpenSSL does the maths. It also maps EC keys with explicit domain parameters (the
 * BSI 2008 test DS: brainpoolP224r1 spelled out) to the named curve they equal, and it accepts
 * high-S ECDSA values, which real Document Signers produce.
 *
 * Bad bytes never throw: the result is true, false, or a VerifyProblem saying why the
 * signature could not be checked at all.
 */
import { constants, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { abytes, equalBytes } from '../lds/bytes.js';
import { attributeValue, type SignedData, type SignerInfo } from '../lds/cms.js';
import { decodeAlgorithmIdentifier, expectElement, fields, readOctetString, readOid, readSmallInt, type AlgorithmIdentifier } from '../lds/der.js';
import { attempt } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import { decodeTlv, type Tlv } from '../lds/tlv.js';
import { ahash, digest, hashFromOid, type HashName } from './algorithms.js';

/** Why a signature could not be checked (as opposed to checked and found wrong). */
export interface VerifyProblem {
  readonly code: string;
  readonly reason: string;
}

export interface VerifyInput {
  /** DER SubjectPublicKeyInfo of the signer. */
  readonly spki: Uint8Array;
  readonly algorithm: AlgorithmIdentifier;
  /** The signed bytes, exactly as they were signed (not a hash). */
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
  /**
   * Hash to use when the algorithm OID names none: rsaEncryption or id-ecPublicKey given as a
   * signature algorithm, as some real SODs do; pass the SignerInfo digestAlgorithm's hash.
   */
  readonly hash?: HashName;
}

/** Parameters and attributes are read leniently: issuers encode DEFAULT values DER would drop. */
const MODE = 'lenient';

type Scheme = 'ecdsa-der' | 'ecdsa-plain' | 'rsa-pkcs1' | 'rsa-pss';

interface SchemeEntry {
  readonly scheme: Scheme;
  /** undefined: taken from the parameters (PSS) or from the caller's hint. */
  readonly hash: HashName | undefined;
}

const entry = (scheme: Scheme, hash?: HashName): SchemeEntry => Object.freeze({ scheme, hash });

const SCHEMES: ReadonlyMap<string, SchemeEntry> = new Map([
  // RFC 5758 §3.2, ANSI X9.62: ECDSA-Sig-Value in DER
  [OID.ecdsaWithSha1, entry('ecdsa-der', 'sha1')],
  [OID.ecdsaWithSha224, entry('ecdsa-der', 'sha224')],
  [OID.ecdsaWithSha256, entry('ecdsa-der', 'sha256')],
  [OID.ecdsaWithSha384, entry('ecdsa-der', 'sha384')],
  [OID.ecdsaWithSha512, entry('ecdsa-der', 'sha512')],
  [OID.ecPublicKey, entry('ecdsa-der')],
  // BSI TR-03111 §5.2.1: plain r‖s, each of the order's byte length
  [OID.ecdsaPlainSha1, entry('ecdsa-plain', 'sha1')],
  [OID.ecdsaPlainSha224, entry('ecdsa-plain', 'sha224')],
  [OID.ecdsaPlainSha256, entry('ecdsa-plain', 'sha256')],
  [OID.ecdsaPlainSha384, entry('ecdsa-plain', 'sha384')],
  [OID.ecdsaPlainSha512, entry('ecdsa-plain', 'sha512')],
  // RFC 8017 §8.2, RFC 4055 §5
  [OID.sha1WithRSA, entry('rsa-pkcs1', 'sha1')],
  [OID.sha224WithRSA, entry('rsa-pkcs1', 'sha224')],
  [OID.sha256WithRSA, entry('rsa-pkcs1', 'sha256')],
  [OID.sha384WithRSA, entry('rsa-pkcs1', 'sha384')],
  [OID.sha512WithRSA, entry('rsa-pkcs1', 'sha512')],
  [OID.rsaEncryption, entry('rsa-pkcs1')],
  // RFC 4055 §3.1: hash, MGF and salt length come from RSASSA-PSS-params
  [OID.rsassaPss, entry('rsa-pss')],
]);

const problem = (code: string, reason: string): VerifyProblem => Object.freeze({ code, reason });

export function isVerifyProblem(value: boolean | VerifyProblem): value is VerifyProblem {
  return typeof value === 'object';
}

/**
 * Checks `signature` over `data` with the key in `spki` under `algorithm`. Returns true when
 * it verifies, false when it does not, a VerifyProblem when it cannot be checked (unknown
 * algorithm, malformed key or parameters, key type not matching the algorithm).
 */
export function verifySignature(input: VerifyInput): boolean | VerifyProblem {
  if (typeof input !== 'object' || input === null) throw new TypeError('"input" expected an object');
  abytes(input.spki, 'spki');
  abytes(input.data, 'data');
  abytes(input.signature, 'signature');
  if (typeof input.algorithm !== 'object' || input.algorithm === null || typeof input.algorithm.oid !== 'string') {
    throw new TypeError('"algorithm" expected an AlgorithmIdentifier');
  }
  if (input.hash !== undefined) ahash(input.hash, 'hash');

  const scheme = SCHEMES.get(input.algorithm.oid);
  if (scheme === undefined) {
    return problem('SIGNATURE_ALGORITHM_UNSUPPORTED', `signature algorithm ${input.algorithm.oid} is not supported`);
  }
  const key = importKey(input.spki);
  if (isProblem(key)) return key;
  const keyProblem = checkKeyType(key, scheme.scheme);
  if (keyProblem !== undefined) return keyProblem;

  if (scheme.scheme === 'rsa-pss') {
    const pss = parsePssParams(input.algorithm.params);
    if (isProblem(pss)) return pss;
    return run(() =>
      nodeVerify(pss.hash, input.data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength }, input.signature),
    );
  }
  const hash = scheme.hash ?? input.hash;
  if (hash === undefined) {
    return problem('SIGNATURE_HASH_UNKNOWN', `signature algorithm ${input.algorithm.oid} names no hash and none was given`);
  }
  switch (scheme.scheme) {
    case 'ecdsa-der':
      return run(() => nodeVerify(hash, input.data, { key, dsaEncoding: 'der' }, input.signature));
    case 'ecdsa-plain':
      return run(() => nodeVerify(hash, input.data, { key, dsaEncoding: 'ieee-p1363' }, input.signature));
    case 'rsa-pkcs1':
      return run(() => nodeVerify(hash, input.data, { key, padding: constants.RSA_PKCS1_PADDING }, input.signature));
  }
}

/**
 * The hash a signature algorithm uses (RSASSA-PSS: from its parameters, RFC 4055 §3.1), or
 * `hint` for algorithms that name none; undefined when unknown.
 */
export function signatureHash(algorithm: AlgorithmIdentifier, hint?: HashName): HashName | undefined {
  const scheme = SCHEMES.get(algorithm.oid);
  if (scheme === undefined) return undefined;
  if (scheme.scheme !== 'rsa-pss') return scheme.hash ?? hint;
  const pss = parsePssParams(algorithm.params);
  return isProblem(pss) ? undefined : pss.hash;
}

/** Outcome of the signed-attribute checks of one SignerInfo. */
export interface AttributeCheck {
  readonly ok: boolean;
  readonly code: string;
  readonly reason: string;
}

export interface SignerInfoVerification {
  /** undefined when the SignerInfo has no signed attributes (the signature then covers eContent). */
  readonly attributes: AttributeCheck | undefined;
  readonly signature: boolean | VerifyProblem;
}

/** RFC 5652 §5.4, §5.6: the signature covers the DER SET of signed attributes as read, else eContent. */
export function verifySignerSignature(signedData: SignedData, signerInfo: SignerInfo, spki: Uint8Array): boolean | VerifyProblem {
  const hash = hashFromOid(signerInfo.digestAlgorithm.oid);
  return verifySignature({
    spki,
    algorithm: signerInfo.signatureAlgorithm,
    data: signerInfo.signedAttrsDer ?? signedData.content,
    signature: signerInfo.signature,
    ...(hash === undefined ? {} : { hash }),
  });
}

/** The signature and, when there are signed attributes, their checks. */
export function verifySignerInfo(signedData: SignedData, signerInfo: SignerInfo, spki: Uint8Array): SignerInfoVerification {
  const signature = verifySignerSignature(signedData, signerInfo, spki);
  const attributes = signerInfo.signedAttrs === undefined ? undefined : checkSignedAttributes(signedData, signerInfo);
  return Object.freeze({ attributes, signature });
}

/**
 * RFC 5652 §11.1, §11.2: the content-type attribute must equal eContentType and the
 * message-digest attribute the digest of eContent, each present once with one value.
 */
export function checkSignedAttributes(signedData: SignedData, signerInfo: SignerInfo): AttributeCheck {
  const verdict = (ok: boolean, code: string, reason: string): AttributeCheck => Object.freeze({ ok, code, reason });
  const attrs = signerInfo.signedAttrs;
  if (attrs === undefined) return verdict(false, 'CMS_SIGNED_ATTRS_MISSING', 'SignerInfo has no signed attributes');
  for (const type of [OID.contentType, OID.messageDigest]) {
    const found = attrs.filter((a) => a.type === type);
    if (found.length !== 1 || found[0]!.values.length !== 1) {
      return verdict(false, 'CMS_ATTRIBUTE_MISSING', `signed attribute ${type} must appear once with one value (RFC 5652 §11)`);
    }
  }
  const ct = attempt(() => readOid(decodeTlv(attributeValue(attrs, OID.contentType)!, MODE), 'contentType'));
  if (!ct.ok) return verdict(false, 'CMS_ATTRIBUTE_INVALID', `content-type attribute: ${ct.error.message}`);
  if (ct.value !== signedData.contentType) {
    return verdict(false, 'CMS_CONTENT_TYPE_MISMATCH', `content-type attribute ${ct.value} differs from eContentType ${signedData.contentType}`);
  }
  const md = attempt(() => readOctetString(decodeTlv(attributeValue(attrs, OID.messageDigest)!, MODE), MODE, 'messageDigest'));
  if (!md.ok) return verdict(false, 'CMS_ATTRIBUTE_INVALID', `message-digest attribute: ${md.error.message}`);
  const hash = hashFromOid(signerInfo.digestAlgorithm.oid);
  if (hash === undefined) {
    return verdict(false, 'CMS_DIGEST_UNSUPPORTED', `digest algorithm ${signerInfo.digestAlgorithm.oid} is not supported`);
  }
  const actual = digest(hash, signedData.content);
  if (!equalBytes(actual, md.value)) {
    return verdict(false, 'CMS_MESSAGE_DIGEST_MISMATCH', `message-digest attribute differs from the ${hash} of eContent`);
  }
  return verdict(true, 'OK', `content type matches eContentType; message digest matches the ${hash} of eContent`);
}

function isProblem<T extends object>(value: T | VerifyProblem): value is VerifyProblem {
  return typeof (value as VerifyProblem).code === 'string' && typeof (value as VerifyProblem).reason === 'string';
}

/**
 * Imported keys by their SubjectPublicKeyInfo bytes. Importing costs several times a verification,
 * and a checkpoint sees the same few Document Signer and CSCA keys over and over.
 */
const KEY_CACHE_SIZE = 256;
const keyCache = new Map<string, KeyObject>();

function importKey(spki: Uint8Array): KeyObject | VerifyProblem {
  const der = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength);
  const id = der.toString('latin1');
  const cached = keyCache.get(id);
  if (cached !== undefined) return cached;
  try {
    const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value!);
    keyCache.set(id, key);
    return key;
  } catch (e) {
    return problem('KEY_INVALID', `public key does not parse: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Node ignores RSA padding options for an EC key (and the reverse), so the pairing is checked here. */
function checkKeyType(key: KeyObject, scheme: Scheme): VerifyProblem | undefined {
  const type = key.asymmetricKeyType;
  const fits = scheme.startsWith('ecdsa') ? type === 'ec' : type === 'rsa' || type === 'rsa-pss';
  return fits ? undefined : problem('KEY_ALGORITHM_MISMATCH', `a ${type ?? 'unknown'} key cannot verify ${scheme}`);
}

/** OpenSSL rejecting a malformed signature value is a wrong signature, not a problem. */
function run(fn: () => boolean): boolean {
  try {
    return fn();
  } catch {
    return false;
  }
}

interface PssParams {
  readonly hash: HashName;
  readonly saltLength: number;
}

/**
 * RFC 4055 §3.1: RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] DEFAULT sha1,
 * maskGenAlgorithm [1] DEFAULT mgf1SHA1, saltLength [2] DEFAULT 20, trailerField [3] DEFAULT 1 }.
 * The parameters must be present. Node's MGF1 always uses the message hash, so a different
 * MGF1 hash is reported as unsupported rather than guessed.
 */
function parsePssParams(params: Uint8Array | undefined): PssParams | VerifyProblem {
  if (params === undefined) return problem('PSS_PARAMS_MISSING', 'RSASSA-PSS without parameters (RFC 4055 §3.1)');
  // A Document Signer writes the same few parameter sets on every SOD.
  const id = Buffer.from(params.buffer, params.byteOffset, params.byteLength).toString('latin1');
  let known = pssCache.get(id);
  if (known === undefined) {
    known = parsePssParamsUncached(params);
    if (pssCache.size >= PSS_CACHE_SIZE) pssCache.delete(pssCache.keys().next().value!);
    pssCache.set(id, known);
  }
  return known;
}

const PSS_CACHE_SIZE = 64;
const pssCache = new Map<string, PssParams | VerifyProblem>();

function parsePssParamsUncached(params: Uint8Array): PssParams | VerifyProblem {
  const parsed = attempt(() => readPssParams(params));
  if (!parsed.ok) return problem('PSS_PARAMS_INVALID', `RSASSA-PSS parameters: ${parsed.error.message}`);
  const { hashOid, mgfOid, mgfHashOid, saltLength, trailer } = parsed.value;
  const hash = hashFromOid(hashOid);
  if (hash === undefined) return problem('PSS_HASH_UNSUPPORTED', `RSASSA-PSS hash ${hashOid} is not supported`);
  if (mgfOid !== OID.mgf1) return problem('PSS_MGF_UNSUPPORTED', `RSASSA-PSS mask generation ${mgfOid} is not MGF1`);
  if (mgfHashOid !== hashOid) {
    return problem('PSS_MGF_HASH_UNSUPPORTED', `RSASSA-PSS MGF1 hash ${mgfHashOid} differs from the message hash ${hashOid}`);
  }
  if (trailer !== 1) return problem('PSS_TRAILER_UNSUPPORTED', `RSASSA-PSS trailerField ${trailer} (only 1 is defined)`);
  return Object.freeze({ hash, saltLength });
}

function readPssParams(params: Uint8Array): {
  hashOid: string;
  mgfOid: string;
  mgfHashOid: string;
  saltLength: number;
  trailer: number;
} {
  const what = 'RSASSA-PSS-params';
  const f = fields(expectElement(decodeTlv(params, MODE), 0x30, what), MODE, what);
  const hashAlg = explicit(f.maybe(0xa0), 'hashAlgorithm');
  const mgfAlg = explicit(f.maybe(0xa1), 'maskGenAlgorithm');
  const salt = explicit(f.maybe(0xa2), 'saltLength');
  const trailer = explicit(f.maybe(0xa3), 'trailerField');
  f.done();
  const mgf = mgfAlg === undefined ? undefined : decodeAlgorithmIdentifier(mgfAlg, MODE, `${what}.maskGenAlgorithm`);
  // the MGF1 parameter is the hash AlgorithmIdentifier (RFC 4055 §2.2)
  const mgfHash = mgf?.params === undefined ? undefined : decodeAlgorithmIdentifier(decodeTlv(mgf.params, MODE), MODE, `${what}.mgf1`);
  return {
    hashOid: hashAlg === undefined ? OID.sha1 : decodeAlgorithmIdentifier(hashAlg, MODE, `${what}.hashAlgorithm`).oid,
    mgfOid: mgf?.oid ?? OID.mgf1,
    mgfHashOid: mgfHash?.oid ?? OID.sha1,
    saltLength: salt === undefined ? 20 : readSmallInt(salt, MODE, `${what}.saltLength`),
    trailer: trailer === undefined ? 1 : readSmallInt(trailer, MODE, `${what}.trailerField`),
  };
}

/** The one element inside an EXPLICIT [n] tag. */
function explicit(t: Tlv | undefined, field: string): Tlv | undefined {
  if (t === undefined) return undefined;
  const f = fields(t, MODE, `RSASSA-PSS-params.${field}`);
  const inner = f.any(field);
  f.done();
  return inner;
}
