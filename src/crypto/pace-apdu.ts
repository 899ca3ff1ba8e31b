/**
 * PACE's APDU data (ICAO 9303-11 (8th ed.)): MSE:Set AT (§4.4.4.1) and the dynamic authentication
 * data of GENERAL AUTHENTICATE (§4.4.4.2), read strictly: any unknown, duplicate or missing data
 * object is a ParseError with its offset. Chip Authentication reads its bare data objects through
 * the same checks.
 */
import { abytes, concat } from '../lds/bytes.js';
import { ParseError } from '../lds/errors.js';
import { decodeOid, encodeOid } from '../lds/oid.js';
import { childrenOf, decodeTlv, encodeTlv, expectTag, readTlvList, tagHex, type Tlv } from '../lds/tlv.js';
import { paceProtocol } from './pace.js';

export type PasswordReference = 'mrz' | 'can' | 'pin' | 'puk';
const PASSWORD_REFS: readonly PasswordReference[] = ['mrz', 'can', 'pin', 'puk'];

export interface PaceMseSetAt {
  readonly protocol: string;
  readonly password: PasswordReference;
  /** DO 84, only sent when the card offers several parameter sets for the protocol. */
  readonly parameterId?: number;
}

/** Data of MSE:Set AT (00 22 C1 A4): 80 OID, 83 password reference, [84 parameter id]. */
export function encodePaceMseSetAt(m: PaceMseSetAt): Uint8Array {
  const ref = PASSWORD_REFS.indexOf(m.password) + 1;
  if (ref === 0) throw new RangeError(`"password" expected ${PASSWORD_REFS.join(', ')}, got ${String(m.password)}`);
  const parts = [encodeTlv(0x80, encodeOid(m.protocol)), encodeTlv(0x83, Uint8Array.of(ref))];
  if (m.parameterId !== undefined) {
    if (!Number.isInteger(m.parameterId) || m.parameterId < 0 || m.parameterId > 0xff) {
      throw new RangeError(`"parameterId" expected 0..255, got ${m.parameterId}`);
    }
    parts.push(encodeTlv(0x84, Uint8Array.of(m.parameterId)));
  }
  return concat(...parts);
}

/** The chip's reading of MSE:Set AT data; the OID must be a PACE OID. */
export function decodePaceMseSetAt(data: Uint8Array): PaceMseSetAt {
  const objects = decodeDataObjects(data, { required: [0x80, 0x83], optional: [0x84] }, 'MSE:Set AT');
  const protocol = paceProtocol(decodeOid(objects[0x80]!)).oid;
  const refByte = objects[0x83]!;
  const password = refByte.length === 1 ? PASSWORD_REFS[refByte[0]! - 1] : undefined;
  if (password === undefined) throw new ParseError('PACE_PASSWORD_REFERENCE', 'unknown password reference', { tag: 0x83, step: 'MSE:Set AT' });
  const id = objects[0x84];
  if (id !== undefined && id.length !== 1) throw new ParseError('PACE_PARAMETER_REFERENCE', 'parameter id is not one byte', { tag: 0x84 });
  return Object.freeze(id === undefined ? { protocol, password } : { protocol, password, parameterId: id[0]! });
}

/** Which data objects a GENERAL AUTHENTICATE step carries (§4.4.4.2, Table 8–9). */
export interface AuthDataSpec {
  readonly required: readonly number[];
  readonly optional?: readonly number[];
}

export const PACE_GA: Readonly<Record<string, AuthDataSpec>> = Object.freeze({
  nonceCommand: { required: [] },
  nonceResponse: { required: [0x80] },
  mapCommand: { required: [0x81] },
  mapResponse: { required: [0x82] },
  keyAgreementCommand: { required: [0x83] },
  keyAgreementResponse: { required: [0x84] },
  mutualAuthCommand: { required: [0x85] },
  // 87/88: CARs for Terminal Authentication; 8A: CAM's encrypted chip authentication data.
  mutualAuthResponse: { required: [0x86], optional: [0x87, 0x88, 0x8a] },
});

/** 7C { tag value … } in the order given. */
export function encodeAuthData(objects: readonly (readonly [number, Uint8Array])[]): Uint8Array {
  for (const [tag] of objects) {
    if (!Number.isInteger(tag) || tag < 0x80 || tag > 0x9e) throw new RangeError(`"tag" expected a context-specific primitive tag, got ${tag}`);
  }
  return encodeTlv(0x7c, concat(...objects.map(([tag, value]) => encodeTlv(tag, abytes(value, 'value')))));
}

/**
 * Reads 7C dynamic authentication data. Any deviation from `spec` — another outer tag, trailing
 * bytes, an unknown, duplicate or missing data object — is a ParseError with its offset.
 * Values are views into `data`.
 */
export function decodeAuthData(data: Uint8Array, spec: AuthDataSpec, step = 'GENERAL AUTHENTICATE'): Readonly<Record<number, Uint8Array>> {
  abytes(data, 'data');
  const outer = expectTag(decodeTlv(data, 'der'), 0x7c, 'dynamic authentication data');
  return dataObjects(childrenOf(outer, 'der'), spec, step, outer.valueOffset);
}

/** The same checks for a bare list of data objects, such as MSE:Set AT or Set KAT data. */
export function decodeDataObjects(data: Uint8Array, spec: AuthDataSpec, step: string): Readonly<Record<number, Uint8Array>> {
  return dataObjects(readTlvList(abytes(data, 'data'), 'der'), spec, step, 0);
}

function dataObjects(children: readonly Tlv[], spec: AuthDataSpec, step: string, base: number): Readonly<Record<number, Uint8Array>> {
  const allowed = [...spec.required, ...(spec.optional ?? [])];
  const out: Record<number, Uint8Array> = {};
  for (const c of children) {
    if (!allowed.includes(c.tag) || c.constructed) {
      throw new ParseError('AUTH_DATA_UNEXPECTED_OBJECT', `unexpected data object ${tagHex(c.tag)}`, { tag: c.tag, offset: c.offset, step });
    }
    if (out[c.tag] !== undefined) {
      throw new ParseError('AUTH_DATA_DUPLICATE_OBJECT', `data object ${tagHex(c.tag)} appears twice`, { tag: c.tag, offset: c.offset, step });
    }
    out[c.tag] = c.value;
  }
  for (const tag of spec.required) {
    if (out[tag] === undefined) throw new ParseError('AUTH_DATA_MISSING_OBJECT', `data object ${tagHex(tag)} missing`, { tag, offset: base, step });
  }
  return Object.freeze(out);
}
