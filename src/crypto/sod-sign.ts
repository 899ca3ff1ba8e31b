/**
 * Signing EF.SOD: ICAO 9303-10 (8th ed.) §4.6.2 and 9303-12 §4 over RFC 5652. The data group
 * hashes go into an LDSSecurityObject, which a Document Signer signs through CMS SignedData
 * with the mandatory signed attributes (content type, message digest) plus the signing time,
 * one SignerInfo v1 naming the DS by issuerAndSerialNumber, and the DS certificate included.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { abytes, ascii } from '../lds/bytes.js';
import { encodeOidTlv, encodeSignedAttributes, encodeSignedData, type AlgorithmIdentifier } from '../lds/cms.js';
import { CancuocError } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import { encodeLdsSecurityObject, wrapSod } from '../lds/sod.js';
import { encodeTlv } from '../lds/tlv.js';
import { ahash, hashOid, signatureAlgorithmIdentifier, type HashName } from './algorithms.js';
import { issuerAndSerialNumber, issuerOf } from './certificates.js';
import type { Signer } from './signer.js';
import { verifySignature } from './signature.js';

export interface SignSodInput {
  /** Data group number → the complete EF bytes (tag, length, value) as written to the chip. */
  readonly dataGroups: ReadonlyMap<number, Uint8Array>;
  readonly hash: HashName;
  readonly signer: Signer;
  /** DER X.509 certificate of the Document Signer holding the signer's key. */
  readonly dsCertificate: Uint8Array;
  /** LDSVersionInfo (makes the LDSSecurityObject v1), e.g. '0108' and '040000'. */
  readonly ldsVersion?: string;
  readonly unicodeVersion?: string;
  /** Defaults to now. */
  readonly signingTime?: Date;
}

/** Returns the EF.SOD bytes: 77 L ContentInfo. */
export async function signSod(input: SignSodInput): Promise<Uint8Array> {
  if (typeof input !== 'object' || input === null) throw new TypeError('"input" expected an object');
  const hash = ahash(input.hash, 'hash');
  const dataGroups = checkDataGroups(input.dataGroups);
  const signer = input.signer;
  if (typeof signer !== 'object' || signer === null || typeof signer.sign !== 'function') {
    throw new TypeError('"signer" expected a Signer');
  }
  const dsCertificate = abytes(input.dsCertificate, 'dsCertificate');
  const sid = issuerAndSerialNumber(dsCertificate);
  const dsKey = issuerOf(dsCertificate).spki;
  if (!sameKey(dsKey, signer.publicKeySpki)) throw new RangeError('"dsCertificate" does not certify the key of "signer"');
  const signingTime = input.signingTime ?? new Date();
  if (!(signingTime instanceof Date) || Number.isNaN(signingTime.getTime())) throw new TypeError('"signingTime" expected a valid Date');

  // ICAO 9303-10 §4.6.2: the hash covers each DG file whole; the digest AlgorithmIdentifier omits NULL
  const digestAlgorithm: AlgorithmIdentifier = Object.freeze({ oid: hashOid(hash), params: undefined });
  const content = encodeLdsSecurityObject({
    hashAlgorithm: digestAlgorithm,
    dataGroupHashes: [...dataGroups].map(([dg, bytes]) => ({ dg, hash: digest(hash, bytes) })),
    ...(input.ldsVersion === undefined ? {} : { ldsVersion: input.ldsVersion }),
    ...(input.unicodeVersion === undefined ? {} : { unicodeVersion: input.unicodeVersion }),
  });

  // RFC 5652 §5.3, §11: content-type and message-digest are mandatory once attributes are present
  const signedAttrsDer = encodeSignedAttributes([
    { type: OID.contentType, values: [encodeOidTlv(OID.ldsSecurityObject)] },
    { type: OID.messageDigest, values: [encodeTlv(0x04, digest(hash, content))] },
    { type: OID.signingTime, values: [encodeTime(signingTime)] },
  ]);
  const signature = await signer.sign(signedAttrsDer, hash);
  const signatureAlgorithm = signatureAlgorithmIdentifier(signer.suite, hash);

  // A signer that answers with a wrong key or a broken value must not produce a SOD.
  if (verifySignature({ spki: dsKey, algorithm: signatureAlgorithm, data: signedAttrsDer, signature }) !== true) {
    throw new CancuocError('SOD_SELF_CHECK_FAILED', 'the signature made for the SOD does not verify with the DS certificate', {
      step: 'sod-sign',
    });
  }

  const contentInfo = encodeSignedData({
    contentType: OID.ldsSecurityObject,
    content,
    digestAlgorithm,
    certificates: [dsCertificate],
    signerInfo: {
      sid: { kind: 'issuerAndSerialNumber', issuer: sid.issuer, serialNumber: sid.serialNumber },
      digestAlgorithm,
      signedAttrsDer,
      signatureAlgorithm,
      signature,
    },
  });
  return wrapSod(contentInfo);
}

/** The data groups sorted by number; 2..16 of them is checked by encodeLdsSecurityObject. */
function checkDataGroups(groups: ReadonlyMap<number, Uint8Array>): [number, Uint8Array][] {
  if (!(groups instanceof Map)) throw new TypeError('"dataGroups" expected a Map of data group number to bytes');
  for (const [dg, bytes] of groups) {
    if (!Number.isInteger(dg) || dg < 1 || dg > 16) throw new RangeError(`"dataGroups" key ${String(dg)} is not a DG number 1..16`);
    abytes(bytes, `dataGroups[${dg}]`);
  }
  return [...groups].sort((a, b) => a[0] - b[0]);
}

function digest(hash: HashName, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(hash).update(data).digest());
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

/** RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise; always UTC, seconds, no fraction. */
function encodeTime(d: Date): Uint8Array {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  const year = d.getUTCFullYear();
  return year >= 1950 && year < 2050
    ? encodeTlv(0x17, ascii(digits.slice(2) + 'Z'))
    : encodeTlv(0x18, ascii(digits + 'Z'));
}
