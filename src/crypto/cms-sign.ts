/**
 * Making a CMS SignedData with one signer, RFC 5652 §5: the steps EF.SOD (ICAO 9303-10 (8th ed.)
 * §4.6.2), the CSCA master list (9303-12 §9) and the cancuoc revocation list share. Signed
 * attributes: content-type and message-digest (mandatory once attributes are present, §5.3, §11.1,
 * §11.2) and, when given, signing-time (§11.3). One SignerInfo v1 naming the signer by
 * issuerAndSerialNumber; the signer's certificate travels in SignedData.certificates.
 */
import { createPublicKey } from 'node:crypto';
import { abytes, ascii } from '../lds/bytes.js';
import { encodeSignedAttributes, encodeSignedData, type Attribute } from '../lds/cms.js';
import { encodeOidTlv, type AlgorithmIdentifier } from '../lds/der.js';
import { CancuocError } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import { encodeTlv } from '../lds/tlv.js';
import { ahash, digest, hashOid, signatureAlgorithmIdentifier, SUITES, type HashName } from './algorithms.js';
import { adate, issuerAndSerialNumber, issuerOf } from './certificates.js';
import type { Signer } from './signer.js';
import { verifySignature } from './signature.js';

export interface CmsSignRequest {
  /** eContentType OID, dotted. */
  readonly contentType: string;
  /** The eContent bytes (DER of the signed structure). */
  readonly content: Uint8Array;
  readonly signer: Signer;
  /** DER X.509 certificate holding the signer's public key. */
  readonly certificate: Uint8Array;
  /** Digest for messageDigest and the signature; defaults to the signer suite's hash. */
  readonly hash?: HashName;
  /** signing-time attribute; omitted when undefined. */
  readonly signingTime?: Date;
}

/** Signs `content` and returns the ContentInfo DER. */
export async function signCms(req: CmsSignRequest): Promise<Uint8Array> {
  if (typeof req !== 'object' || req === null) throw new TypeError('"req" expected an object');
  if (typeof req.contentType !== 'string') throw new TypeError('"contentType" expected a dotted OID');
  const content = abytes(req.content, 'content');
  const signer = req.signer;
  if (typeof signer !== 'object' || signer === null || typeof signer.sign !== 'function') {
    throw new TypeError('"signer" expected a Signer');
  }
  const certificate = abytes(req.certificate, 'certificate');
  const certKey = issuerOf(certificate).spki;
  if (!sameKey(certKey, signer.publicKeySpki)) throw new RangeError('"certificate" does not certify the key of "signer"');
  const hash = req.hash === undefined ? SUITES[signer.suite].hash : ahash(req.hash, 'hash');

  const attrs: Attribute[] = [
    { type: OID.contentType, values: [encodeOidTlv(req.contentType)] },
    { type: OID.messageDigest, values: [encodeTlv(0x04, digest(hash, content))] },
  ];
  if (req.signingTime !== undefined) attrs.push({ type: OID.signingTime, values: [encodeTime(adate(req.signingTime, 'signingTime'))] });
  const signedAttrsDer = encodeSignedAttributes(attrs);
  const signature = await signer.sign(signedAttrsDer, hash);
  const signatureAlgorithm = signatureAlgorithmIdentifier(signer.suite, hash);

  // A signer that answers with a wrong key or a broken value must not produce a signed object.
  if (verifySignature({ spki: certKey, algorithm: signatureAlgorithm, data: signedAttrsDer, signature }) !== true) {
    throw new CancuocError('CMS_SELF_CHECK_FAILED', 'the signature just made does not verify with the signer certificate', {
      step: 'cms-sign',
    });
  }

  // RFC 5754 §2: SHA-2 digest AlgorithmIdentifiers without parameters.
  const digestAlgorithm: AlgorithmIdentifier = Object.freeze({ oid: hashOid(hash), params: undefined });
  const { issuer, serialNumber } = issuerAndSerialNumber(certificate);
  return encodeSignedData({
    contentType: req.contentType,
    content,
    digestAlgorithm,
    certificates: [certificate],
    signerInfo: {
      sid: { kind: 'issuerAndSerialNumber', issuer, serialNumber },
      digestAlgorithm,
      signedAttrsDer,
      signatureAlgorithm,
      signature,
    },
  });
}

/** RFC 5652 §11.3 (RFC 5280 §4.1.2.5): UTCTime for 1950–2049, GeneralizedTime otherwise; UTC, whole seconds. */
export function encodeTime(d: Date): Uint8Array {
  const year = adate(d, 'time').getUTCFullYear();
  return year >= 1950 && year < 2050 ? encodeTlv(0x17, ascii(timeDigits(d).slice(2) + 'Z')) : encodeGeneralizedTime(d);
}

/** GeneralizedTime YYYYMMDDHHMMSSZ, the DER form (X.690 §11.7): UTC, no fraction. */
export function encodeGeneralizedTime(d: Date): Uint8Array {
  return encodeTlv(0x18, ascii(timeDigits(adate(d, 'time')) + 'Z'));
}

function timeDigits(d: Date): string {
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`"time" year ${year} cannot be encoded`);
  return d.toISOString().slice(0, 19).replace(/[-:T]/g, '');
}


/** Same public key, whatever the two SPKI encodings (named curve vs. explicit, PSS vs. rsaEncryption). */
function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  try {
    const ka = createPublicKey({ key: Buffer.from(a), format: 'der', type: 'spki' });
    const kb = createPublicKey({ key: Buffer.from(b), format: 'der', type: 'spki' });
    return ka.equals(kb);
  } catch {
    return false;
  }
}
