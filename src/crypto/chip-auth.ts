/**
 * Chip Authentication v1, ICAO 9303-11 (8th ed.) §6.2 and BSI TR-03110-1 (v2.20) §3.4: an
 * ephemeral-static key agreement between the terminal's ephemeral key and the chip's static key
 * from DG14, giving new secure-messaging keys (SSC restarts at 0). Both roles as pure
 * functions, plus the command data of both variants of §6.2.4:
 *  - 3DES: MSE:Set KAT (0C 22 41 A6) with 91 ephemeral key [84 key reference];
 *  - AES (and 3DES on some chips): MSE:Set AT (0C 22 41 A4) with 80 protocol OID [84 key id],
 *    then GENERAL AUTHENTICATE with 7C { 80 ephemeral key }, answered by 7C 00.
 */
import { concat } from '../lds/bytes.js';
import { ParseError, ValidationError } from '../lds/errors.js';
import { decodeOid, encodeOid, OID } from '../lds/oid.js';
import { encodeTlv } from '../lds/tlv.js';
import type { CipherName } from './cipher.js';
import { groupOf, scalarFromBytes, type DomainParameters, type Group } from './curves.js';
import { kdf, KDF_ENC, KDF_MAC } from './kdf.js';
import { CIPHER_ARCS, type KeyAgreement } from './pace.js';
import { decodeAuthData, decodeDataObjects, encodeAuthData } from './pace-apdu.js';

export interface ChipAuthProtocol {
  readonly oid: string;
  readonly agreement: KeyAgreement;
  readonly cipher: CipherName;
}

// 9303-11 §9.2.5: id-CA-DH / id-CA-ECDH, each .{1 3DES, 2 AES-128, 3 AES-192, 4 AES-256}.
export const CA_PROTOCOLS: readonly ChipAuthProtocol[] = Object.freeze(
  (
    [
      [OID.idCA_DH, 'DH'],
      [OID.idCA_ECDH, 'ECDH'],
    ] as const
  ).flatMap(([arc, agreement]) => CIPHER_ARCS.map(([c, cipher]) => Object.freeze({ oid: `${arc}.${c}`, agreement, cipher }))),
);

/** The CA protocol named by a ChipAuthenticationInfo OID; an unknown OID is a ValidationError. */
export function chipAuthProtocol(oid: string): ChipAuthProtocol {
  const found = CA_PROTOCOLS.find((p) => p.oid === oid);
  if (found === undefined) throw new ValidationError('CA_PROTOCOL_UNKNOWN', `not a Chip Authentication OID: ${oid}`, { field: 'protocol' });
  return found;
}

/**
 * §6.2: a DG14 with a ChipAuthenticationPublicKeyInfo but no ChipAuthenticationInfo implies
 * id-CA-*-3DES-CBC-CBC with the agreement of the key (id-PK-DH or id-PK-ECDH).
 */
export function impliedChipAuthProtocol(publicKeyProtocol: string): ChipAuthProtocol {
  if (publicKeyProtocol === OID.idPK_DH) return chipAuthProtocol(`${OID.idCA_DH}.1`);
  if (publicKeyProtocol === OID.idPK_ECDH) return chipAuthProtocol(`${OID.idCA_ECDH}.1`);
  throw new ValidationError('CA_PROTOCOL_UNKNOWN', `not a Chip Authentication public key OID: ${publicKeyProtocol}`, { field: 'protocol' });
}

export interface ChipAuthKeys {
  readonly cipher: CipherName;
  readonly ksEnc: Uint8Array;
  readonly ksMac: Uint8Array;
}

function groupFor(protocol: ChipAuthProtocol, domain: DomainParameters): Group {
  if ((domain.kind === 'ec') !== (protocol.agreement === 'ECDH')) {
    throw new ValidationError('CA_PARAMETERS_MISMATCH', `${protocol.agreement} protocol with ${domain.name} key`, { field: 'protocol' });
  }
  return groupOf(domain);
}

// §6.2.3 / §9.6: K = KA(SK, PK) — the x-coordinate (ECDH) or the whole value (DH) — then §9.7.1.
function sessionKeys(protocol: ChipAuthProtocol, shared: Uint8Array): ChipAuthKeys {
  return Object.freeze({
    cipher: protocol.cipher,
    ksEnc: kdf(shared, KDF_ENC, protocol.cipher),
    ksMac: kdf(shared, KDF_MAC, protocol.cipher),
  });
}

/**
 * The terminal's side: makes (or takes) the ephemeral key pair on the chip's domain, checks the
 * chip's static public key, and derives the new session keys. Send `ephemeralPublicKey` in the
 * MSE:Set KAT or GENERAL AUTHENTICATE data; switch to the keys once the chip answers 90 00.
 */
export function caTerminal(
  protocol: ChipAuthProtocol,
  domain: DomainParameters,
  chipPublicKey: Uint8Array,
  opts: { readonly ephemeralKey?: Uint8Array } = {},
): { readonly ephemeralPublicKey: Uint8Array; readonly keys: ChipAuthKeys } {
  const g = groupFor(protocol, domain);
  const chip = g.decode(chipPublicKey, 'chipPublicKey', 'Chip Authentication');
  const sk = opts.ephemeralKey === undefined ? g.randomScalar() : scalarFromBytes(g, opts.ephemeralKey, 'ephemeralKey');
  const ephemeralPublicKey = g.encode(g.multiply(g.generator, sk));
  return Object.freeze({ ephemeralPublicKey, keys: sessionKeys(protocol, g.secret(g.multiply(chip, sk))) });
}

/** The chip's side: checks the terminal's ephemeral key and derives the same session keys. */
export function caChip(
  protocol: ChipAuthProtocol,
  domain: DomainParameters,
  chipSecretKey: Uint8Array,
  terminalEphemeralPublicKey: Uint8Array,
): ChipAuthKeys {
  const g = groupFor(protocol, domain);
  const terminal = g.decode(terminalEphemeralPublicKey, 'terminalEphemeralPublicKey', 'Chip Authentication');
  const sk = scalarFromBytes(g, chipSecretKey, 'chipSecretKey');
  return sessionKeys(protocol, g.secret(g.multiply(terminal, sk)));
}

// ---------------------------------------------------------------------------------------------
// Command data

/** keyId / key reference as an unsigned big-endian integer of minimal length (DE trace: 84 01 C3). */
function encodeKeyId(keyId: number): Uint8Array {
  if (!Number.isSafeInteger(keyId) || keyId < 0 || keyId > 0xffffffff) throw new RangeError(`"keyId" expected 0..2^32-1, got ${keyId}`);
  const out: number[] = [];
  for (let v = keyId; ; v = Math.floor(v / 256)) {
    out.unshift(v % 256);
    if (v < 256) break;
  }
  return encodeTlv(0x84, Uint8Array.from(out));
}

function decodeKeyId(value: Uint8Array | undefined, step: string): number | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.length > 4) throw new ParseError('CA_KEY_ID_LENGTH', `key id of ${value.length} bytes`, { tag: 0x84, step });
  return value.reduce((acc, b) => acc * 256 + b, 0);
}

function withKeyId<T extends object>(base: T, keyId: number | undefined): T & { readonly keyId?: number } {
  return Object.freeze(keyId === undefined ? base : { ...base, keyId });
}

/** MSE:Set KAT data (3DES): 91 ephemeral public key [84 key reference]. */
export function encodeCaMseSetKat(ephemeralPublicKey: Uint8Array, keyId?: number): Uint8Array {
  const parts = [encodeTlv(0x91, ephemeralPublicKey)];
  if (keyId !== undefined) parts.push(encodeKeyId(keyId));
  return concat(...parts);
}

export function decodeCaMseSetKat(data: Uint8Array): { readonly ephemeralPublicKey: Uint8Array; readonly keyId?: number } {
  const step = 'MSE:Set KAT';
  const o = decodeDataObjects(data, { required: [0x91], optional: [0x84] }, step);
  return withKeyId({ ephemeralPublicKey: o[0x91]! }, decodeKeyId(o[0x84], step));
}

/** MSE:Set AT data for CA: 80 protocol OID value [84 key id]. */
export function encodeCaMseSetAt(protocolOid: string, keyId?: number): Uint8Array {
  const parts = [encodeTlv(0x80, encodeOid(chipAuthProtocol(protocolOid).oid))];
  if (keyId !== undefined) parts.push(encodeKeyId(keyId));
  return concat(...parts);
}

export function decodeCaMseSetAt(data: Uint8Array): { readonly protocol: ChipAuthProtocol; readonly keyId?: number } {
  const step = 'MSE:Set AT';
  const o = decodeDataObjects(data, { required: [0x80], optional: [0x84] }, step);
  return withKeyId({ protocol: chipAuthProtocol(decodeOid(o[0x80]!)) }, decodeKeyId(o[0x84], step));
}

/** GENERAL AUTHENTICATE data: 7C { 80 ephemeral public key }. */
export function encodeCaGeneralAuthenticate(ephemeralPublicKey: Uint8Array): Uint8Array {
  return encodeAuthData([[0x80, ephemeralPublicKey]]);
}

export function decodeCaGeneralAuthenticate(data: Uint8Array): Uint8Array {
  return decodeAuthData(data, { required: [0x80] }, 'CA GENERAL AUTHENTICATE')[0x80]!;
}

/** The chip's answer, 7C 00 (no data objects). */
export function encodeCaGeneralAuthenticateResponse(): Uint8Array {
  return encodeAuthData([]);
}

/** Checks the chip's 7C 00 answer; anything else is a ParseError. */
export function decodeCaGeneralAuthenticateResponse(data: Uint8Array): void {
  decodeAuthData(data, { required: [] }, 'CA GENERAL AUTHENTICATE response');
}
