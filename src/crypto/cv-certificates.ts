/**
 * Signing and verifying CV certificates and Terminal Authentication signatures (BSI TR-03110-3
 * v2.21 annex A, the id-TA algorithm OIDs; ECDSA signatures plain r || s, TR-03111 §5.2.1).
 * A DV or terminal key carries no domain parameters: it inherits those of the CVCA above it
 * (TR-03110-3 §D.3.3), so verifying takes the domain separately.
 */
import { constants, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { abytes } from '../lds/bytes.js';
import {
  encodeCvCertificateBody,
  encodeCvSigned,
  decodeCvCertificate,
  type CvCertificate,
  type CvCertificateBody,
  type CvEcDomain,
  type CvPublicKey,
} from '../lds/cvc.js';
import { ValidationError } from '../lds/errors.js';
import { decodePublicKey, encodePublicKey } from '../lds/public-key.js';
import { hashLength, SUITES, type HashName, type SignatureSuite } from './algorithms.js';
import { ecDomainByOid, ecDomainByParameters, i2os, os2i, type EcDomain } from './curves.js';
import { ecdsaDerToRaw, type Signer } from './signer.js';

const TA_RSA = '0.4.0.127.0.7.2.2.2.1';
const TA_ECDSA = '0.4.0.127.0.7.2.2.2.2';

export interface TaAlgorithm {
  readonly oid: string;
  readonly scheme: 'ecdsa' | 'rsa-pkcs1' | 'rsa-pss';
  readonly hash: HashName;
}

/** TR-03110-3 v2.21 annex A: id-TA-RSA-* and id-TA-ECDSA-* (the same arcs as in v1.11). */
const TA_ALGORITHMS: readonly TaAlgorithm[] = Object.freeze(
  (
    [
      [`${TA_RSA}.1`, 'rsa-pkcs1', 'sha1'],
      [`${TA_RSA}.2`, 'rsa-pkcs1', 'sha256'],
      [`${TA_RSA}.3`, 'rsa-pss', 'sha1'],
      [`${TA_RSA}.4`, 'rsa-pss', 'sha256'],
      [`${TA_RSA}.5`, 'rsa-pkcs1', 'sha512'],
      [`${TA_RSA}.6`, 'rsa-pss', 'sha512'],
      [`${TA_ECDSA}.1`, 'ecdsa', 'sha1'],
      [`${TA_ECDSA}.2`, 'ecdsa', 'sha224'],
      [`${TA_ECDSA}.3`, 'ecdsa', 'sha256'],
      [`${TA_ECDSA}.4`, 'ecdsa', 'sha384'],
      [`${TA_ECDSA}.5`, 'ecdsa', 'sha512'],
    ] as const
  ).map(([oid, scheme, hash]) => Object.freeze({ oid, scheme, hash })),
);

export function taAlgorithm(oid: string): TaAlgorithm | undefined {
  return TA_ALGORITHMS.find((a) => a.oid === oid);
}

/** The id-TA algorithm a key of `suite` signs with: its suite's hash; RSA keys sign PSS. */
export function taAlgorithmForSuite(suite: SignatureSuite): TaAlgorithm {
  const params = SUITES[suite];
  const scheme = params.keyType === 'ec' ? 'ecdsa' : 'rsa-pss';
  const found = TA_ALGORITHMS.find((a) => a.scheme === scheme && a.hash === params.hash);
  if (found === undefined) throw new ValidationError('TA_SUITE_UNSUPPORTED', `no id-TA algorithm for suite ${suite}`, { field: 'suite' });
  return found;
}

/**
 * The CV public key of a signer's key. `withDomain`: spell out the curve (a CVCA key, TR-03110-3
 * §D.3.3: "domain parameters: CVCA certificates only").
 */
export function cvPublicKeyOf(signer: Signer, withDomain: boolean): CvPublicKey {
  const alg = taAlgorithmForSuite(signer.suite);
  const info = decodePublicKey(signer.publicKeySpki);
  if (info.kind === 'rsa') {
    return Object.freeze({ kind: 'rsa', oid: alg.oid, n: unsigned(info.n), e: unsigned(info.e) });
  }
  if (info.kind !== 'ec' || info.namedCurve === undefined) throw new ValidationError('TA_KEY_UNSUPPORTED', 'signer key is neither RSA nor EC on a named curve');
  const d = ecDomainByOid(info.namedCurve);
  if (d === undefined) throw new ValidationError('TA_KEY_UNSUPPORTED', `curve ${info.namedCurve} is not supported`);
  return Object.freeze({ kind: 'ec', oid: alg.oid, domain: withDomain ? cvDomainOf(d) : undefined, point: info.point });
}

function cvDomainOf(d: EcDomain): CvEcDomain {
  const l = d.fieldLength;
  return Object.freeze({
    p: i2os(d.p, l),
    a: i2os(d.a, l),
    b: i2os(d.b, l),
    g: Uint8Array.of(4, ...i2os(d.gx, l), ...i2os(d.gy, l)),
    n: unsigned(d.n),
    h: unsigned(d.h),
  });
}

function unsigned(x: bigint): Uint8Array {
  return i2os(x, Math.max(1, Math.ceil(x.toString(16).length / 2)));
}

/**
 * The curve a key lives on: its own parameters, else those inherited from the chain (the
 * CVCA's). undefined for RSA keys. Only the curves of ICAO 9303-11 Table 12 are known.
 */
export function cvKeyDomain(key: CvPublicKey, inherited: EcDomain | undefined): EcDomain | undefined {
  if (key.kind === 'rsa') return undefined;
  if (key.domain === undefined) {
    if (inherited === undefined) throw new ValidationError('TA_NO_DOMAIN', 'EC key without domain parameters and none to inherit', { field: 'publicKey' });
    return inherited;
  }
  const p = key.domain;
  const g = p.g;
  const l = (g.length - 1) / 2;
  if (g[0] !== 4 || !Number.isInteger(l)) throw new ValidationError('TA_DOMAIN_UNKNOWN', 'base point is not uncompressed', { field: 'publicKey.g' });
  const d = ecDomainByParameters({
    p: os2i(p.p),
    a: os2i(p.a),
    b: os2i(p.b),
    gx: os2i(g.subarray(1, 1 + l)),
    gy: os2i(g.subarray(1 + l)),
    n: os2i(p.n),
    h: os2i(p.h),
  });
  if (d === undefined) throw new ValidationError('TA_DOMAIN_UNKNOWN', 'domain parameters are not a supported standard curve', { field: 'publicKey' });
  return d;
}

/** Signs `data` with `signer` under the id-TA algorithm `oid`, giving the CV (plain) form. */
export async function cvSign(signer: Signer, oid: string, data: Uint8Array): Promise<Uint8Array> {
  const alg = taAlgorithm(oid);
  const params = SUITES[signer.suite];
  if (alg === undefined || (alg.scheme === 'ecdsa') !== (params.keyType === 'ec') || alg.scheme === 'rsa-pkcs1') {
    throw new ValidationError('TA_ALGORITHM_MISMATCH', `a ${signer.suite} key cannot sign ${oid}`, { field: 'oid' });
  }
  const sig = await signer.sign(abytes(data, 'data'), alg.hash);
  return alg.scheme === 'ecdsa' ? ecdsaDerToRaw(sig, params.fieldBytes!) : sig;
}

/**
 * Checks a CV signature with `key` (on `domain` for EC keys). Never throws on bad bytes: a
 * malformed key or signature is a signature that does not verify.
 */
export function cvVerify(key: CvPublicKey, domain: EcDomain | undefined, data: Uint8Array, signature: Uint8Array): boolean {
  const alg = taAlgorithm(key.oid);
  if (alg === undefined) return false;
  try {
    if (key.kind === 'ec') {
      if (alg.scheme !== 'ecdsa' || domain === undefined) return false;
      // TR-03111 §5.2.1: r and s each of the order's byte length
      if (signature.length !== 2 * Math.ceil(domain.n.toString(16).length / 2)) return false;
      const spki = encodePublicKey({ kind: 'ec', namedCurve: domain.oid, point: key.point });
      const pub = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      return nodeVerify(alg.hash, data, { key: pub, dsaEncoding: 'ieee-p1363' }, signature);
    }
    if (alg.scheme === 'ecdsa') return false;
    const spki = encodePublicKey({ kind: 'rsa', n: os2i(key.n), e: os2i(key.e) });
    const pub = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const padding =
      alg.scheme === 'rsa-pss'
        ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hashLength(alg.hash) }
        : { padding: constants.RSA_PKCS1_PADDING };
    return nodeVerify(alg.hash, data, { key: pub, ...padding }, signature);
  } catch {
    return false;
  }
}

export interface IssueCvOptions {
  /** The issuer's key and the id-TA algorithm of the issuer's certificate (the CVCA's or DV's). */
  readonly signer: Signer;
  readonly signerAlgorithm: string;
  readonly body: CvCertificateBody;
}

/** Signs a certificate body and returns the parsed certificate. */
export async function issueCvCertificate(o: IssueCvOptions): Promise<CvCertificate> {
  const body = encodeCvCertificateBody(o.body);
  const signature = await cvSign(o.signer, o.signerAlgorithm, body);
  return decodeCvCertificate(encodeCvSigned(body, signature));
}

/** Does `cert` carry a valid signature by `issuerKey` (on `issuerDomain`)? */
export function cvCertificateSignedBy(cert: CvCertificate, issuerKey: CvPublicKey, issuerDomain: EcDomain | undefined): boolean {
  return cvVerify(issuerKey, issuerDomain, cert.body, cert.signature);
}
