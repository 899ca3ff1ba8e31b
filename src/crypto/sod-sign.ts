/**
 * Signing EF.SOD: ICAO 9303-10 (8th ed.) §4.6.2 and 9303-12 §4 over RFC 5652. The data group
 * hashes go into an LDSSecurityObject, which a Document Signer signs through CMS SignedData
 * with the mandatory signed attributes (content type, message digest) plus the signing time,
 * one SignerInfo v1 naming the DS by issuerAndSerialNumber, and the DS certificate included.
 */
import { abytes } from '../lds/bytes.js';
import type { AlgorithmIdentifier } from '../lds/der.js';
import { CancuocError } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import { encodeLdsSecurityObject, wrapSod } from '../lds/sod.js';
import { ahash, digest, hashOid, type HashName } from './algorithms.js';
import { signCms } from './cms-sign.js';
import type { Signer } from './signer.js';

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
  // The DS certificate travels in the SOD; signCms checks that it holds the signer's key.
  const contentInfo = await signCms({
    contentType: OID.ldsSecurityObject,
    content,
    signer,
    certificate: dsCertificate,
    hash,
    signingTime,
  }).catch((e: unknown) => {
    // SOD callers branch on their own stable code.
    if (e instanceof CancuocError && e.code === 'CMS_SELF_CHECK_FAILED') {
      throw new CancuocError('SOD_SELF_CHECK_FAILED', 'the signature made for the SOD does not verify with the DS certificate', {
        step: 'sod-sign',
      });
    }
    throw e;
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

