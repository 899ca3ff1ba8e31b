/**
 * Card-verifiable certificates and certificate requests of Extended Access Control (BSI
 * TR-03110-3 v2.21 annex C; EAC 1.11 = TR-03110 v1.11 annex C): the certificate body with the
 * profile identifier, CAR, public key (D.3), CHR, CHAT (C.1.5) and BCD dates (D.2.1.3), and the
 * signature. Pure encoding: signing and verifying live in src/crypto/cv-certificates.ts.
 * Parsed objects keep every value as read, so encode(parse(x)) gives back x byte for byte.
 */
import { abytes } from './bytes.js';
import { fields } from './der.js';
import { ParseError } from './errors.js';
import { decodeOid, encodeOid } from './oid.js';
import { decodeTlv, encodeTlv, tagHex, type Tlv } from './tlv.js';

/** TR-03110-3 §D.2 Table D.1: the data objects of a CV certificate. */
export const CVC_TAG = Object.freeze({
  certificate: 0x7f21,
  body: 0x7f4e,
  profileIdentifier: 0x5f29,
  car: 0x42,
  publicKey: 0x7f49,
  chr: 0x5f20,
  chat: 0x7f4c,
  effectiveDate: 0x5f25,
  expirationDate: 0x5f24,
  extensions: 0x65,
  signature: 0x5f37,
  authentication: 0x67,
  oid: 0x06,
  discretionaryData: 0x53,
});

/** TR-03110-3 §C.4: id-roles; id-IS is the inspection-system terminal type of eMRTDs. */
export const CVC_OID = Object.freeze({
  idRoles: '0.4.0.127.0.7.3.1.2',
  idIS: '0.4.0.127.0.7.3.1.2.1',
  idAT: '0.4.0.127.0.7.3.1.2.2',
  idST: '0.4.0.127.0.7.3.1.2.3',
});

/** TR-03110-3 §C.1.5 Table C.3 (bits 8–7 of the first template byte). */
export type CvRole = 'cvca' | 'dv-domestic' | 'dv-foreign' | 'terminal';
const ROLE_BITS: Readonly<Record<CvRole, number>> = Object.freeze({ cvca: 0xc0, 'dv-domestic': 0x80, 'dv-foreign': 0x40, terminal: 0x00 });

export interface Chat {
  /** Terminal type (id-IS for eMRTD inspection systems). */
  readonly oid: string;
  readonly role: CvRole;
  /** id-IS only (TR-03110-3 §C.4.1 Table C.4): read access to DG3 (fingerprints) and DG4 (iris). */
  readonly readDg3: boolean;
  readonly readDg4: boolean;
  /** The relative authorization as encoded (first byte carries the role). */
  readonly template: Uint8Array;
}

/** TR-03110-3 §D.3.3: one domain parameter or key value, as read (unsigned big-endian). */
export interface CvEcDomain {
  readonly p: Uint8Array;
  readonly a: Uint8Array;
  readonly b: Uint8Array;
  /** Base point, uncompressed (04 || x || y). */
  readonly g: Uint8Array;
  readonly n: Uint8Array;
  readonly h: Uint8Array;
}

/** TR-03110-3 §D.3: the public key with its algorithm (an id-TA OID). */
export type CvPublicKey =
  | { readonly kind: 'ec'; readonly oid: string; readonly domain: CvEcDomain | undefined; readonly point: Uint8Array }
  | { readonly kind: 'rsa'; readonly oid: string; readonly n: Uint8Array; readonly e: Uint8Array };

/** ISO date, YYYY-MM-DD (a CV date names a day, TR-03110-3 §D.2.1.3). */
export type CvDate = string;

export interface CvCertificateBody {
  readonly profileIdentifier: number;
  readonly car: string;
  readonly publicKey: CvPublicKey;
  readonly chr: string;
  readonly chat: Chat;
  readonly effectiveDate: CvDate;
  readonly expirationDate: CvDate;
  /** Certificate extensions (tag 65) as encoded, if any. */
  readonly extensions?: Uint8Array;
}

export interface CvCertificate extends CvCertificateBody {
  /** The whole 7F21 object. */
  readonly raw: Uint8Array;
  /** The 7F4E object: the signed bytes. */
  readonly body: Uint8Array;
  /** Plain signature (r || s for ECDSA, TR-03111 §5.2.1). */
  readonly signature: Uint8Array;
}

export interface CvRequestBody {
  readonly profileIdentifier: number;
  /** The CA the request is meant for (optional, TR-03110-3 §C.2.1). */
  readonly car?: string;
  readonly publicKey: CvPublicKey;
  readonly chr: string;
  readonly extensions?: Uint8Array;
}

export interface CvRequest extends CvRequestBody {
  readonly raw: Uint8Array;
  readonly body: Uint8Array;
  /** Inner signature: proof of possession by the key in the request. */
  readonly signature: Uint8Array;
  /** Outer signature of an authenticated request (tag 67, TR-03110-3 §C.2.2). */
  readonly outer?: { readonly car: string; readonly signature: Uint8Array };
}

const EC_TAGS: readonly (keyof CvEcDomain | 'point')[] = ['p', 'a', 'b', 'g', 'n', 'point', 'h'];

function fail(code: string, message: string, t: Tlv | undefined, field: string): ParseError {
  return new ParseError(code, message, { ...(t === undefined ? {} : { tag: t.tag, offset: t.offset }), field });
}

/** Parses a CV certificate (7F21); a request body (no CHAT, no dates) is refused. */
export function decodeCvCertificate(bytes: Uint8Array, base = 0): CvCertificate {
  const outer = decodeTlv(abytes(bytes, 'bytes'), 'der', base);
  if (outer.tag !== CVC_TAG.certificate) throw fail('CVC_UNEXPECTED_TAG', `expected tag 7F21, found ${tagHex(outer.tag)}`, outer, 'CVCertificate');
  const f = fields(outer, 'der', 'CVCertificate');
  const bodyTlv = f.take(CVC_TAG.body, 'body');
  const signature = f.take(CVC_TAG.signature, 'signature').value;
  f.done();
  const b = fields(bodyTlv, 'der', 'CertificateBody');
  const profileIdentifier = readProfile(b.take(CVC_TAG.profileIdentifier, 'profileIdentifier'));
  const car = readReference(b.take(CVC_TAG.car, 'car'), 'car');
  const publicKey = decodeCvPublicKey(b.take(CVC_TAG.publicKey, 'publicKey'));
  const chr = readReference(b.take(CVC_TAG.chr, 'chr'), 'chr');
  const chat = decodeChat(b.take(CVC_TAG.chat, 'chat'));
  const effectiveDate = readDate(b.take(CVC_TAG.effectiveDate, 'effectiveDate'), 'effectiveDate');
  const expirationDate = readDate(b.take(CVC_TAG.expirationDate, 'expirationDate'), 'expirationDate');
  const ext = b.maybe(CVC_TAG.extensions);
  b.done();
  if (expirationDate < effectiveDate) {
    throw fail('CVC_DATES_INVERTED', `expires ${expirationDate} before it is effective ${effectiveDate}`, bodyTlv, 'expirationDate');
  }
  return Object.freeze({
    raw: outer.raw,
    body: bodyTlv.raw,
    signature,
    profileIdentifier,
    car,
    publicKey,
    chr,
    chat,
    effectiveDate,
    expirationDate,
    ...(ext === undefined ? {} : { extensions: ext.value }),
  });
}

/** Parses a certificate request: a 7F21, or a 67 wrapping one with an outer signature. */
export function decodeCvRequest(bytes: Uint8Array, base = 0): CvRequest {
  const top = decodeTlv(abytes(bytes, 'bytes'), 'der', base);
  let inner = top;
  let outer: CvRequest['outer'];
  if (top.tag === CVC_TAG.authentication) {
    const a = fields(top, 'der', 'AuthenticatedRequest');
    inner = a.take(CVC_TAG.certificate, 'request');
    outer = Object.freeze({
      car: readReference(a.take(CVC_TAG.car, 'outerCar'), 'outerCar'),
      signature: a.take(CVC_TAG.signature, 'outerSignature').value,
    });
    a.done();
  } else if (top.tag !== CVC_TAG.certificate) {
    throw fail('CVC_UNEXPECTED_TAG', `expected tag 7F21 or 67, found ${tagHex(top.tag)}`, top, 'CVRequest');
  }
  const f = fields(inner, 'der', 'CVRequest');
  const bodyTlv = f.take(CVC_TAG.body, 'body');
  const signature = f.take(CVC_TAG.signature, 'signature').value;
  f.done();
  const b = fields(bodyTlv, 'der', 'RequestBody');
  const profileIdentifier = readProfile(b.take(CVC_TAG.profileIdentifier, 'profileIdentifier'));
  const carTlv = b.maybe(CVC_TAG.car);
  const publicKey = decodeCvPublicKey(b.take(CVC_TAG.publicKey, 'publicKey'));
  const chr = readReference(b.take(CVC_TAG.chr, 'chr'), 'chr');
  const ext = b.maybe(CVC_TAG.extensions);
  b.done();
  return Object.freeze({
    raw: top.raw,
    body: bodyTlv.raw,
    signature,
    profileIdentifier,
    ...(carTlv === undefined ? {} : { car: readReference(carTlv, 'car') }),
    publicKey,
    chr,
    ...(ext === undefined ? {} : { extensions: ext.value }),
    ...(outer === undefined ? {} : { outer }),
  });
}

/** The 7F4E certificate body, the bytes the issuer signs. */
export function encodeCvCertificateBody(c: CvCertificateBody): Uint8Array {
  return encodeTlv(
    CVC_TAG.body,
    encodeProfile(c.profileIdentifier),
    encodeTlv(CVC_TAG.car, encodeReference(c.car, 'car')),
    encodeCvPublicKey(c.publicKey),
    encodeTlv(CVC_TAG.chr, encodeReference(c.chr, 'chr')),
    encodeChat(c.chat),
    encodeTlv(CVC_TAG.effectiveDate, cvDateDigits(c.effectiveDate, 'effectiveDate')),
    encodeTlv(CVC_TAG.expirationDate, cvDateDigits(c.expirationDate, 'expirationDate')),
    ...(c.extensions === undefined ? [] : [encodeTlv(CVC_TAG.extensions, c.extensions)]),
  );
}

/** The request body (TR-03110-3 §C.2.1 Table C.2). */
export function encodeCvRequestBody(r: CvRequestBody): Uint8Array {
  return encodeTlv(
    CVC_TAG.body,
    encodeProfile(r.profileIdentifier),
    ...(r.car === undefined ? [] : [encodeTlv(CVC_TAG.car, encodeReference(r.car, 'car'))]),
    encodeCvPublicKey(r.publicKey),
    encodeTlv(CVC_TAG.chr, encodeReference(r.chr, 'chr')),
    ...(r.extensions === undefined ? [] : [encodeTlv(CVC_TAG.extensions, r.extensions)]),
  );
}

/** 7F21 { body, 5F37 signature }: a certificate, or an unauthenticated request. */
export function encodeCvSigned(body: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeTlv(CVC_TAG.certificate, abytes(body, 'body'), encodeTlv(CVC_TAG.signature, abytes(signature, 'signature')));
}

/** 67 { 7F21 request, 42 outer CAR, 5F37 outer signature } (TR-03110-3 §C.2.2). */
export function encodeCvAuthenticatedRequest(request: Uint8Array, outerCar: string, outerSignature: Uint8Array): Uint8Array {
  return encodeTlv(
    CVC_TAG.authentication,
    abytes(request, 'request'),
    encodeTlv(CVC_TAG.car, encodeReference(outerCar, 'outerCar')),
    encodeTlv(CVC_TAG.signature, abytes(outerSignature, 'outerSignature')),
  );
}

// ---------------------------------------------------------------------------------------------
// Public keys (TR-03110-3 §D.3.1 RSA, §D.3.3 ECDSA)

export function decodeCvPublicKey(t: Tlv): CvPublicKey {
  const items = fields(t, 'der', 'PublicKey');
  const oidTlv = items.take(CVC_TAG.oid, 'oid');
  const oid = decodeOid(oidTlv.value, oidTlv.valueOffset);
  const values = new Map<number, Tlv>();
  let last = 0;
  while (!items.empty) {
    const v = items.any('value');
    if (v.tag <= last || v.tag < 0x81 || v.tag > 0x87 || v.constructed) {
      throw fail('CVC_PUBLIC_KEY_TAG', `unexpected, repeated or misordered tag ${tagHex(v.tag)}`, v, 'publicKey');
    }
    last = v.tag;
    values.set(v.tag, v);
  }
  const kind = oid.startsWith('0.4.0.127.0.7.2.2.2.1.') ? 'rsa' : oid.startsWith('0.4.0.127.0.7.2.2.2.2.') ? 'ec' : undefined;
  if (kind === undefined) throw fail('CVC_PUBLIC_KEY_ALGORITHM', `algorithm ${oid} is not an id-TA RSA or ECDSA OID`, oidTlv, 'publicKey.oid');
  const need = (tag: number, name: string): Uint8Array => {
    const v = values.get(tag);
    if (v === undefined || v.value.length === 0) throw fail('CVC_PUBLIC_KEY_MISSING', `${name} (tag ${tagHex(tag)}) missing`, t, `publicKey.${name}`);
    return v.value;
  };
  if (kind === 'rsa') {
    if (values.size !== 2) throw fail('CVC_PUBLIC_KEY_TAG', 'an RSA key holds exactly 81 (modulus) and 82 (exponent)', t, 'publicKey');
    return Object.freeze({ kind, oid, n: need(0x81, 'modulus'), e: need(0x82, 'exponent') });
  }
  const point = need(0x86, 'point');
  if (values.size === 1) return Object.freeze({ kind, oid, domain: undefined, point });
  if (values.size !== 7) throw fail('CVC_PUBLIC_KEY_TAG', 'domain parameters are all present (81–87) or all absent', t, 'publicKey');
  const domain = Object.freeze({ p: need(0x81, 'p'), a: need(0x82, 'a'), b: need(0x83, 'b'), g: need(0x84, 'g'), n: need(0x85, 'n'), h: need(0x87, 'h') });
  return Object.freeze({ kind, oid, domain, point });
}

export function encodeCvPublicKey(k: CvPublicKey): Uint8Array {
  const parts: Uint8Array[] = [encodeTlv(CVC_TAG.oid, encodeOid(k.oid))];
  if (k.kind === 'rsa') {
    parts.push(encodeTlv(0x81, k.n), encodeTlv(0x82, k.e));
  } else {
    EC_TAGS.forEach((name, i) => {
      if (name === 'point') parts.push(encodeTlv(0x86, k.point));
      else if (k.domain !== undefined) parts.push(encodeTlv(0x81 + i, k.domain[name]));
    });
  }
  return encodeTlv(CVC_TAG.publicKey, ...parts);
}

// ---------------------------------------------------------------------------------------------
// CHAT (TR-03110-3 §C.1.5, §C.4.1)

export function decodeChat(t: Tlv): Chat {
  const f = fields(t, 'der', 'CHAT');
  const oidTlv = f.take(CVC_TAG.oid, 'oid');
  const oid = decodeOid(oidTlv.value, oidTlv.valueOffset);
  const dd = f.take(CVC_TAG.discretionaryData, 'template');
  f.done();
  const template = dd.value;
  if (template.length === 0) throw fail('CVC_CHAT_EMPTY', 'empty relative authorization', dd, 'chat.template');
  if (oid === CVC_OID.idIS && template.length !== 1) {
    throw fail('CVC_CHAT_LENGTH', `an inspection-system CHAT holds one byte, found ${template.length}`, dd, 'chat.template');
  }
  const first = template[0]!;
  const role = (Object.keys(ROLE_BITS) as CvRole[]).find((r) => ROLE_BITS[r] === (first & 0xc0))!;
  const isIs = oid === CVC_OID.idIS;
  return Object.freeze({ oid, role, readDg3: isIs && (first & 0x01) !== 0, readDg4: isIs && (first & 0x02) !== 0, template });
}

/** An inspection-system CHAT (id-IS, one byte: role, DG4 bit 2, DG3 bit 1). */
export function isChat(role: CvRole, rights: { readonly readDg3: boolean; readonly readDg4: boolean }): Chat {
  const byte = ROLE_BITS[role] | (rights.readDg4 ? 0x02 : 0) | (rights.readDg3 ? 0x01 : 0);
  return Object.freeze({ oid: CVC_OID.idIS, role, readDg3: rights.readDg3, readDg4: rights.readDg4, template: Uint8Array.of(byte) });
}

export function encodeChat(c: Chat): Uint8Array {
  return encodeTlv(CVC_TAG.chat, encodeTlv(CVC_TAG.oid, encodeOid(c.oid)), encodeTlv(CVC_TAG.discretionaryData, c.template));
}

// ---------------------------------------------------------------------------------------------
// Profile identifier, references, dates

function readProfile(t: Tlv): number {
  if (t.value.length !== 1) throw fail('CVC_PROFILE', `profile identifier of ${t.value.length} bytes`, t, 'profileIdentifier');
  if (t.value[0] !== 0) throw fail('CVC_PROFILE', `profile identifier ${t.value[0]} (only version 1, value 0, is defined)`, t, 'profileIdentifier');
  return 0;
}

function encodeProfile(p: number): Uint8Array {
  if (p !== 0) throw new RangeError(`"profileIdentifier" expected 0, got ${p}`);
  return encodeTlv(CVC_TAG.profileIdentifier, Uint8Array.of(0));
}

/**
 * Certificate references (TR-03110-3 v2.21 annex A, certificate holder reference): country code
 * (2 letters), holder mnemonic (up to 9 characters) and sequence number (5 characters),
 * ISO/IEC 8859-1. Read as printable Latin-1.
 */
const REFERENCE = /^[A-Z]{2}[\x20-\x7e\xa0-\xff]{0,9}[A-Z0-9]{5}$/;

function readReference(t: Tlv, field: string): string {
  const text = String.fromCharCode(...t.value);
  if (!REFERENCE.test(text)) throw fail('CVC_REFERENCE', `${field} is not country + mnemonic + 5-character sequence number`, t, field);
  return text;
}

function encodeReference(text: string, field: string): Uint8Array {
  if (typeof text !== 'string' || !REFERENCE.test(text)) {
    throw new RangeError(`"${field}" expected 2-letter country, up to 9 mnemonic characters, 5-character sequence number, got ${String(text)}`);
  }
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** TR-03110-3 §D.2.1.3: six unpacked BCD digits YYMMDD, years 2000–2099; undefined if not a real day. */
export function cvDateFromDigits(v: Uint8Array): CvDate | undefined {
  if (v.length !== 6 || v.some((d) => d > 9)) return undefined;
  const iso = `20${v[0]}${v[1]}-${v[2]}${v[3]}-${v[4]}${v[5]}`;
  return isRealDate(iso) ? iso : undefined;
}

/** The six digits of a CV date. */
export function cvDateDigits(iso: CvDate, field = 'date'): Uint8Array {
  if (typeof iso !== 'string' || !/^20\d\d-\d\d-\d\d$/.test(iso) || !isRealDate(iso)) {
    throw new RangeError(`"${field}" expected a date YYYY-MM-DD in 2000–2099, got ${String(iso)}`);
  }
  return Uint8Array.from(iso.slice(2).replaceAll('-', ''), (c) => c.charCodeAt(0) - 0x30);
}

function readDate(t: Tlv, field: string): CvDate {
  const iso = cvDateFromDigits(t.value);
  if (iso === undefined) throw fail('CVC_DATE', `${field} is not six BCD digits naming a calendar day`, t, field);
  return iso;
}

function isRealDate(iso: string): boolean {
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso;
}

/** A Date as the CV date of its UTC day. */
export function cvDate(d: Date): CvDate {
  return d.toISOString().slice(0, 10);
}

