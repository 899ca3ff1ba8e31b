/**
 * What a trust file holds (certificate, CRL, master list, revocation list), from its PEM label
 * (RFC 7468) or its DER shape, and the DER objects in it.
 */
import { decodeSignedData } from '../lds/cms.js';
import { ascii } from '../lds/bytes.js';
import { expectElement } from '../lds/der.js';
import { attempt, ParseError } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import { childrenOf, decodeTlv } from '../lds/tlv.js';

/** Real PKI files carry BER oddities (non-minimal lengths); signatures cover the bytes as read. */
const MODE = 'lenient';

export type PkiFileKind = 'certificate' | 'crl' | 'master-list' | 'revocation-list';

/** The DER blocks of a PEM text (RFC 7468), with their labels. */
export function decodePem(text: string): { label: string; der: Uint8Array }[] {
  const out: { label: string; der: Uint8Array }[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)) {
    out.push({ label: m[1]!, der: new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64')) });
  }
  return out;
}

/**
 * What a DER object is, from its shape: a ContentInfo starts with an OID; a CertificateList's
 * tbs holds a Time (thisUpdate) directly, a TBSCertificate keeps its Times inside Validity.
 */
export function sniffDer(der: Uint8Array): PkiFileKind {
  const outer = decodeTlv(der, MODE);
  const first = childrenOf(expectElement(outer, 0x30, 'PKI object'), MODE)[0];
  if (first?.tag === 0x06) return cmsKind(der);
  if (first?.tag !== 0x30) {
    throw new ParseError('PKI_UNKNOWN_OBJECT', 'not a certificate, CRL or CMS object', { tag: first?.tag, offset: outer.offset });
  }
  return childrenOf(first, MODE).some((t) => t.tag === 0x17 || t.tag === 0x18) ? 'crl' : 'certificate';
}

/** A ContentInfo is a revocation list by its eContentType; anything else is taken for a master list. */
function cmsKind(der: Uint8Array): PkiFileKind {
  const sd = attempt(() => decodeSignedData(der, MODE));
  return sd.ok && sd.value.contentType === OID.cancuocRevocationList ? 'revocation-list' : 'master-list';
}

function isPem(bytes: Uint8Array): boolean {
  return String.fromCharCode(...bytes.subarray(0, 200)).includes('-----BEGIN ');
}

function pemText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The DER objects in a file: every PEM block, or the file itself. */
export function derObjects(input: Uint8Array | string): Uint8Array[] {
  const bytes = typeof input === 'string' ? ascii(input) : input;
  if (!isPem(bytes)) return [bytes];
  const blocks = decodePem(pemText(bytes));
  if (blocks.length === 0) throw new ParseError('PEM_INVALID', 'PEM text without a complete block', { offset: 0 });
  return blocks.map((b) => b.der);
}

/** What a PKI file holds, from its PEM label or DER shape. */
export function pkiFileKind(input: Uint8Array): PkiFileKind {
  if (isPem(input)) {
    const label = decodePem(pemText(input))[0]?.label;
    if (label === 'X509 CRL') return 'crl';
    if (label === 'CMS' || label === 'PKCS7') return cmsKind(decodePem(pemText(input))[0]!.der);
    if (label === 'CERTIFICATE' || label === 'TRUSTED CERTIFICATE') return 'certificate';
    throw new ParseError('PEM_INVALID', `PEM label ${label ?? '(none)'} is not a certificate, CRL or CMS`, { offset: 0 });
  }
  return sniffDer(input);
}
