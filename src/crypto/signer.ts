/**
 * The one signing interface of cancuoc: a key that makes X.509 / CMS signature values, whether it
 * lives in memory (Node's OpenSSL) or on a PKCS#11 token. ECDSA values are DER ECDSA-Sig-Value
 * (RFC 5758 §3.2, X9.62); RSA values are RSASSA-PSS (RFC 8017 §8.1) with MGF1 of the same hash and
 * salt = hash length (RFC 4055 §3.1), matching `signatureAlgorithmIdentifier`.
 */
import {
  constants,
  createPublicKey,
  generateKeyPairSync,
  sign as nodeSign,
  type KeyObject,
} from 'node:crypto';
import { abytes, hex } from '../lds/bytes.js';
import { encodeInteger } from '../lds/der.js';
import { ParseError } from '../lds/errors.js';
import { decodeTlv, encodeTlv, readTlvList } from '../lds/tlv.js';
import { ahash, asuite, hashLength, SUITES, type HashName, type SignatureSuite } from './algorithms.js';

export interface Signer {
  readonly suite: SignatureSuite;
  /** DER SubjectPublicKeyInfo. */
  readonly publicKeySpki: Uint8Array;
  /** X.509/CMS signature value over `data`: DER ECDSA-Sig-Value, or RSASSA-PSS bytes. */
  sign(data: Uint8Array, hash: HashName): Promise<Uint8Array>;
}

/** A signer over a private key held by Node; checks that the key fits the suite. */
export function softwareSigner(privateKey: KeyObject, suite: SignatureSuite): Signer {
  asuite(suite);
  if (typeof privateKey !== 'object' || privateKey === null || privateKey.type !== 'private') {
    throw new TypeError('"privateKey" expected a private KeyObject');
  }
  checkKeyFitsSuite(privateKey, suite);
  const publicKeySpki = new Uint8Array(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
  const isEc = SUITES[suite].keyType === 'ec';
  return Object.freeze({
    suite,
    publicKeySpki,
    async sign(data: Uint8Array, hash: HashName): Promise<Uint8Array> {
      abytes(data, 'data');
      ahash(hash);
      const options = isEc
        ? { key: privateKey, dsaEncoding: 'der' as const }
        : { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hashLength(hash) };
      return new Uint8Array(nodeSign(hash, data, options));
    },
  });
}

/** A fresh key pair for `suite`, made by OpenSSL (brainpool curves included). */
export function generateSoftwareKey(suite: SignatureSuite): { privateKey: KeyObject; signer: Signer } {
  const params = SUITES[asuite(suite)];
  const { privateKey } =
    params.keyType === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: params.curve! })
      : generateKeyPairSync('rsa', { modulusLength: params.modulusBits!, publicExponent: 0x10001 });
  return Object.freeze({ privateKey, signer: softwareSigner(privateKey, suite) });
}

function checkKeyFitsSuite(key: KeyObject, suite: SignatureSuite): void {
  const params = SUITES[suite];
  const details = key.asymmetricKeyDetails ?? {};
  const fits =
    params.keyType === 'ec'
      ? key.asymmetricKeyType === 'ec' && details.namedCurve === params.curve
      : (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') &&
        details.modulusLength === params.modulusBits;
  if (!fits) {
    const got = `${key.asymmetricKeyType ?? '?'} ${details.namedCurve ?? details.modulusLength ?? ''}`.trim();
    throw new RangeError(`"privateKey" does not fit suite ${suite}: got ${got}`);
  }
}

/**
 * Plain r‖s (PKCS#11 CKM_ECDSA output, BSI TR-03111 §5.2.1) → DER ECDSA-Sig-Value
 * ::= SEQUENCE { r INTEGER, s INTEGER } (X9.62, RFC 5480 appendix A).
 */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  abytes(raw, 'raw');
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new RangeError(`"raw" expected r‖s of even, non-zero length, got ${raw.length} bytes`);
  }
  const half = raw.length / 2;
  const int = (part: Uint8Array): Uint8Array => encodeInteger(BigInt(`0x${hex(part)}`));
  return encodeTlv(0x30, int(raw.subarray(0, half)), int(raw.subarray(half)));
}

/**
 * DER ECDSA-Sig-Value → plain r‖s, each integer left-padded to `fieldBytes` (BSI TR-03111
 * §5.2.1), the inverse of ecdsaRawToDer; VDS seals (ICAO 9303-13 §2.4) carry this form.
 */
export function ecdsaDerToRaw(der: Uint8Array, fieldBytes: number): Uint8Array {
  abytes(der, 'der');
  if (!Number.isSafeInteger(fieldBytes) || fieldBytes <= 0) throw new RangeError(`"fieldBytes" expected a positive integer, got ${fieldBytes}`);
  const seq = decodeTlv(der, 'der');
  const ints = seq.tag === 0x30 ? readTlvList(seq.value, 'der', seq.valueOffset) : [];
  if (ints.length !== 2 || ints.some((t) => t.tag !== 0x02)) {
    throw new ParseError('ECDSA_SIG_INVALID', 'expected SEQUENCE { r INTEGER, s INTEGER }', { offset: seq.offset, field: 'ECDSA-Sig-Value' });
  }
  const out = new Uint8Array(2 * fieldBytes);
  ints.forEach((t, i) => {
    const negative = t.value.length === 0 || (t.value[0]! & 0x80) !== 0;
    let v = t.value;
    while (v.length > 1 && v[0] === 0) v = v.subarray(1);
    if (negative || v.length > fieldBytes) {
      throw new ParseError('ECDSA_SIG_INVALID', `${i === 0 ? 'r' : 's'} does not fit ${fieldBytes} bytes`, { offset: t.offset, field: 'ECDSA-Sig-Value' });
    }
    out.set(v, (i + 1) * fieldBytes - v.length);
  });
  return out;
}
