/**
 * OBJECT IDENTIFIER values (X.690 §8.19) and the OIDs named by ICAO 9303 and BSI TR-03110.
 * `encodeOid`/`decodeOid` work on the value bytes only (no 06 tag and length).
 */
import { ParseError } from './errors.js';

export function encodeOid(dotted: string): Uint8Array {
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) throw new RangeError(`"oid" expected dotted form, got ${dotted}`);
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const out: number[] = [];
  const first = arcs[0]! * 40n + arcs[1]!;
  for (const arc of [first, ...arcs.slice(2)]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let a = arc >> 7n; a > 0n; a >>= 7n) chunk.unshift(Number(a & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return Uint8Array.from(out);
}

export function decodeOid(value: Uint8Array, offset = 0): string {
  if (value.length === 0) throw new ParseError('OID_EMPTY', 'empty OBJECT IDENTIFIER', { tag: 0x06, offset });
  let text = '';
  let arcStart = 0;
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    if (i === arcStart && b === 0x80) {
      throw new ParseError('OID_NON_MINIMAL', 'OBJECT IDENTIFIER arc with leading 0x80 (X.690 §8.19.2)', {
        tag: 0x06,
        offset: offset + i,
      });
    }
    if ((b & 0x80) !== 0) {
      if (i === value.length - 1) throw new ParseError('OID_TRUNCATED', 'OBJECT IDENTIFIER ends inside an arc', { tag: 0x06, offset: offset + i });
      continue;
    }
    const arc = readArc(value, arcStart, i + 1);
    text += arcStart === 0 ? firstArcs(arc) : `.${arc}`;
    arcStart = i + 1;
  }
  return text;
}

/** Base-128 digits (X.690 §8.19.2); numbers while exact, bigint past 2^53 (UUID arcs under 2.25). */
function readArc(value: Uint8Array, from: number, to: number): number | bigint {
  if (to - from <= 7) {
    let n = 0;
    for (let i = from; i < to; i++) n = n * 128 + (value[i]! & 0x7f);
    return n;
  }
  let n = 0n;
  for (let i = from; i < to; i++) n = (n << 7n) | BigInt(value[i]! & 0x7f);
  return n;
}

/** X.690 §8.19.4: the first subidentifier packs the first two arcs as 40·X + Y. */
function firstArcs(arc: number | bigint): string {
  if (typeof arc === 'bigint') return `2.${arc - 80n}`;
  return arc < 40 ? `0.${arc}` : arc < 80 ? `1.${arc - 40}` : `2.${arc - 80}`;
}

/** OIDs used across cancuoc, by the names the specs give them. */
export const OID = Object.freeze({
  // ICAO 9303-10 §4.6.2, 9303-12 §7: id-icao-mrtd-security
  ldsSecurityObject: '2.23.136.1.1.1',
  // pre-standard ldsSecurityObject arcs still found on cards (BE/FR, NL SDU)
  ldsSecurityObjectBeFr: '1.3.27.1.1.1',
  ldsSecurityObjectNl: '1.2.528.1.1006.1.20.1',
  cscaMasterList: '2.23.136.1.1.2',
  cscaMasterListSigningKey: '2.23.136.1.1.3',
  documentTypeList: '2.23.136.1.1.6.2',
  // ICAO VDS-NC (9303-13): extended key usage of a bar code signer certificate
  barcodeSignerKeyUsage: '2.23.136.1.1.14.2',
  // RFC 5652 §5, §11
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  // hashes (NIST CSOR)
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  // signatures
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  sha1WithRSA: '1.2.840.113549.1.1.5',
  sha224WithRSA: '1.2.840.113549.1.1.14',
  mgf1: '1.2.840.113549.1.1.8',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  ecdsaWithSha224: '1.2.840.10045.4.3.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  dhKeyAgreement: '1.2.840.113549.1.3.1',
  // ANSI X9.42 (RFC 3279 §2.3.3) and X9.62 prime field (RFC 3279 §2.3.5)
  dhPublicNumber: '1.2.840.10046.2.1',
  primeField: '1.2.840.10045.1.1',
  // named curves
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  secp224r1: '1.3.132.0.33',
  secp192r1: '1.2.840.10045.3.1.1',
  brainpoolP192r1: '1.3.36.3.3.2.8.1.1.3',
  brainpoolP224r1: '1.3.36.3.3.2.8.1.1.5',
  brainpoolP256r1: '1.3.36.3.3.2.8.1.1.7',
  brainpoolP320r1: '1.3.36.3.3.2.8.1.1.9',
  brainpoolP384r1: '1.3.36.3.3.2.8.1.1.11',
  brainpoolP512r1: '1.3.36.3.3.2.8.1.1.13',
  // BSI TR-03110 / ICAO 9303-11 §9.2: bsi-de 0.4.0.127.0.7
  idPK_DH: '0.4.0.127.0.7.2.2.1.1',
  idPK_ECDH: '0.4.0.127.0.7.2.2.1.2',
  idTA: '0.4.0.127.0.7.2.2.2',
  idCA_DH: '0.4.0.127.0.7.2.2.3.1',
  idCA_ECDH: '0.4.0.127.0.7.2.2.3.2',
  idPACE: '0.4.0.127.0.7.2.2.4',
  // 9303-11 §9.5.1: AlgorithmIdentifier naming Table 12 parameters by id (INTEGER parameter)
  standardizedDomainParameters: '0.4.0.127.0.7.1.2',
  ecdsaPlainSignatures: '0.4.0.127.0.7.1.1.4.1',
  // BSI TR-03111 §5.2.1: ecdsa-plain-SHA* (signature = r || s, no DER)
  ecdsaPlainSha1: '0.4.0.127.0.7.1.1.4.1.1',
  ecdsaPlainSha224: '0.4.0.127.0.7.1.1.4.1.2',
  ecdsaPlainSha256: '0.4.0.127.0.7.1.1.4.1.3',
  ecdsaPlainSha384: '0.4.0.127.0.7.1.1.4.1.4',
  ecdsaPlainSha512: '0.4.0.127.0.7.1.1.4.1.5',
  // ICAO 9303-11 §9.2.6: id-icao-mrtd-security-aaProtocolObject
  aaProtocolObject: '2.23.136.1.1.5',
  // RFC 5280 §4.2.1: certificate and CRL extensions
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  privateKeyUsagePeriod: '2.5.29.16',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  // RFC 5280 §5.2, §5.3: CRL and CRL entry extensions
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  // X.520 attribute types seen in CSCA and DS names
  commonName: '2.5.4.3',
  serialNumberAttribute: '2.5.4.5',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  // cancuoc's own arc: a UUID OID (ITU-T X.667, 2.25.<UUID as integer>) needs no registration.
  // eContentType of the signed document revocation list (docs/revocation-list.md).
  cancuocRevocationList: '2.25.16712168765243012938704830297696998894.1',
});

/** Value bytes of an OID prefix test: does `oid` lie under `arc`? */
export function isUnder(oid: string, arc: string): boolean {
  return oid === arc || oid.startsWith(arc + '.');
}
