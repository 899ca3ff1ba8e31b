/**
 * Personalization commands, compatible with the JMRTD passport applet (docs/perso-jmrtd.md,
 * steps 0–6 byte for byte) and extended with documented PUT DATA forms for what it lacks
 * (docs/perso.md is the full protocol):
 *
 *   00 E0 00 00 06 63 04 <size:2> <fid:2>   CREATE FILE (ISO/IEC 7816-9 §6.1; JMRTD's FCP tag 63)
 *   00 DA 00 62  62 { 04 docNo, 04 DOB, 04 DOE }        MRZ key seed (JMRTD)
 *   00 DA 00 60  60 { 04 modulus }                      RSA AA key, modulus (JMRTD)
 *   00 DA 00 61  61 { 04 private exponent }             RSA AA key, exponent (JMRTD)
 *   00 DA xx 64  <CV certificate>                       CVCA trust point for Terminal Authentication (JMRTD)
 *   00 DA 00 65  65 { 04 CAN digits }                   CAN (new)
 *   00 DA 00 66  66 { 06 curve, 81 d, [82 Q] }          EC AA key (new)
 *   00 DA 00 67  67 { [02 keyId], 06 curve | 84 paramId, 81 d, [82 Q] }   CA key (new)
 *   00 DA 00 68  68 { 04 06 <YYMMDD, unpacked BCD> }    chip's current date for TA (new, docs/eac.md)
 *   00 DA DE AD                                          lock
 * The PACE suites are not a PUT DATA: the chip offers what the EF.CardAccess written with
 * CREATE FILE / UPDATE BINARY announces.
 */
import { SW, type CommandApdu } from '../lds/apdu.js';
import { equalBytes } from '../lds/bytes.js';
import { cvDateFromDigits } from '../lds/cvc.js';
import { CancuocError } from '../lds/errors.js';
import { mrzInformation } from '../lds/mrz.js';
import { decodeOid } from '../lds/oid.js';
import { childrenOf, decodeTlv, type Tlv } from '../lds/tlv.js';
import { domainParameters, ecDomainByOid, groupOf, i2os, os2i, type EcDomain } from '../crypto/curves.js';
import { outcome, type Outcome } from './handler-outcome.js';
import type { ChipMemory } from './image.js';

export const PUT_DATA = Object.freeze({
  RSA_MODULUS: 0x0060,
  RSA_PRIVATE_EXPONENT: 0x0061,
  MRZ_SEED: 0x0062,
  JMRTD_CA_KEY: 0x0063,
  CVCA: 0x64,
  CAN: 0x0065,
  EC_AA_KEY: 0x0066,
  CA_KEY: 0x0067,
  CURRENT_DATE: 0x0068,
  LOCK: 0xdead,
});

/** CREATE FILE data: 63 04 <size:2> <fid:2>; returns fid and size, or the SW to answer. */
export function parseCreateFile(cmd: CommandApdu): { readonly fid: number; readonly size: number } | number {
  if (cmd.p1 !== 0 || cmd.p2 !== 0) return SW.INCORRECT_P1P2;
  const d = cmd.data;
  if (d.length !== 6) return SW.WRONG_LENGTH;
  if (d[0] !== 0x63 || d[1] !== 0x04) return SW.INCORRECT_PARAMETERS_IN_DATA_FIELD;
  return { size: (d[2]! << 8) | d[3]!, fid: (d[4]! << 8) | d[5]! };
}

/** True for PUT DATA DE AD, which the chip handles itself (it must flush before answering). */
export function isLock(cmd: CommandApdu): boolean {
  return ((cmd.p1 << 8) | cmd.p2) === PUT_DATA.LOCK;
}

/**
 * Applies one PUT DATA to the chip's memory. Malformed data → 6A80, a P1-P2 the chip does not
 * know → 6A86 (as the JMRTD applet), JMRTD's binary-field CA key → 6A81 (not supported).
 */
export function putData(cmd: CommandApdu, memory: ChipMemory): Outcome {
  const p1p2 = (cmd.p1 << 8) | cmd.p2;
  if (cmd.p2 === PUT_DATA.CVCA && cmd.p1 !== 0) {
    if (cmd.data.length === 0) return outcome(SW.WRONG_LENGTH);
    memory.cvca = [...memory.cvca.filter((c) => c.slot !== cmd.p1), Object.freeze({ slot: cmd.p1, body: cmd.data.slice() })];
    return outcome(SW.NO_ERROR);
  }
  const apply = FORMS.get(p1p2);
  if (apply === undefined) return outcome(p1p2 === PUT_DATA.JMRTD_CA_KEY ? SW.FUNCTION_NOT_SUPPORTED : SW.INCORRECT_P1P2);
  try {
    const outer = decodeTlv(cmd.data, 'lenient');
    if (outer.tag !== cmd.p2 || !outer.constructed) return outcome(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
    return apply(childrenOf(outer, 'lenient'), memory) ? outcome(SW.NO_ERROR) : outcome(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
  } catch (e) {
    if (e instanceof CancuocError || e instanceof RangeError) return outcome(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
    throw e;
  }
}

type Form = (objects: readonly Tlv[], memory: ChipMemory) => boolean;

function octets(objects: readonly Tlv[], count: number): Uint8Array[] | undefined {
  if (objects.length !== count || objects.some((o) => o.tag !== 0x04)) return undefined;
  return objects.map((o) => o.value);
}

function text(bytes: Uint8Array, pattern: RegExp): string | undefined {
  const s = String.fromCharCode(...bytes);
  return pattern.test(s) ? s : undefined;
}

/** Big-endian integer bytes without leading zeros (JMRTD: "may carry a leading 00"). */
function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.slice(i);
}

const mrzSeed: Form = (objects, memory) => {
  const [doc, dob, doe] = octets(objects, 3) ?? [];
  const d = doc && text(doc, /^[0-9A-Z<]{1,22}$/);
  // CCCD cards without expiry write '<<<<<<' (cccd-profile.md; lds/mrz.ts CCCD_NO_EXPIRY).
  const b = dob && text(dob, /^[0-9<]{6}$/);
  const e = doe && text(doe, /^[0-9<]{6}$/);
  if (d === undefined || b === undefined || e === undefined) return false;
  // The chip appends the check digits (JMRTD step 1).
  memory.mrzInformation = mrzInformation(d, b, e);
  return true;
};

const rsaPart =
  (part: 'modulus' | 'privateExponent'): Form =>
  (objects, memory) => {
    const [value] = octets(objects, 1) ?? [];
    if (value === undefined || value.length === 0) return false;
    const previous = memory.aaKey?.kind === 'rsa' ? memory.aaKey : { kind: 'rsa' as const };
    memory.aaKey = Object.freeze({ ...previous, [part]: stripZeros(value) });
    return true;
  };

const can: Form = (objects, memory) => {
  const [value] = octets(objects, 1) ?? [];
  const digits = value && text(value, /^[0-9]{1,16}$/);
  if (digits === undefined) return false;
  memory.can = digits;
  return true;
};

/** d in [1, n − 1] on a Table 12 curve; Q = d·G, which must equal DO 82 when given. */
function ecKey(curve: EcDomain, d: Tlv | undefined, q: Tlv | undefined): { privateKey: Uint8Array; publicKey: Uint8Array } | undefined {
  if (d === undefined || d.value.length === 0 || d.value.length > curve.fieldLength + 1) return undefined;
  const k = os2i(d.value);
  if (k <= 0n || k >= curve.n) return undefined;
  const g = groupOf(curve);
  const publicKey = g.encode(g.multiply(g.generator, k));
  if (q !== undefined && !equalBytes(q.value, publicKey)) return undefined;
  return { privateKey: i2os(k, Math.ceil(curve.n.toString(16).length / 2)), publicKey };
}

function only(objects: readonly Tlv[], allowed: readonly number[]): Map<number, Tlv> | undefined {
  const m = new Map<number, Tlv>();
  for (const o of objects) {
    if (!allowed.includes(o.tag) || m.has(o.tag)) return undefined;
    m.set(o.tag, o);
  }
  return m;
}

function curveOf(oid: Tlv | undefined, parameterId: Tlv | undefined): EcDomain | undefined {
  if ((oid === undefined) === (parameterId === undefined)) return undefined;
  if (oid !== undefined) return ecDomainByOid(decodeOid(oid.value));
  if (parameterId!.value.length !== 1) return undefined;
  const d = domainParameters(parameterId!.value[0]!);
  return d.kind === 'ec' ? d : undefined;
}

const ecAaKey: Form = (objects, memory) => {
  const m = only(objects, [0x06, 0x81, 0x82]);
  const curve = m && curveOf(m.get(0x06), undefined);
  const key = curve && ecKey(curve, m!.get(0x81), m!.get(0x82));
  if (key === undefined) return false;
  memory.aaKey = Object.freeze({ kind: 'ec', parameterId: curve!.id, ...key });
  return true;
};

const caKey: Form = (objects, memory) => {
  const m = only(objects, [0x02, 0x06, 0x84, 0x81, 0x82]);
  if (m === undefined) return false;
  const curve = curveOf(m.get(0x06), m.get(0x84));
  const key = curve && ecKey(curve, m.get(0x81), m.get(0x82));
  const id = m.get(0x02)?.value;
  if (key === undefined || (id !== undefined && (id.length === 0 || id.length > 4 || (id[0]! & 0x80) !== 0))) return false;
  const keyId = id === undefined ? undefined : Number(os2i(id));
  const entry = Object.freeze({ ...(keyId === undefined ? {} : { keyId }), parameterId: curve!.id, ...key });
  memory.caKeys = [...memory.caKeys.filter((k) => k.keyId !== keyId), entry];
  return true;
};

/** TR-03110-3 annex D date: six unpacked BCD digits YYMMDD, a real day in 2000–2099. */
const currentDate: Form = (objects, memory) => {
  const [value] = octets(objects, 1) ?? [];
  const iso = value && cvDateFromDigits(value);
  if (iso === undefined) return false;
  memory.currentDate = iso;
  return true;
};

const FORMS: ReadonlyMap<number, Form> = new Map([
  [PUT_DATA.MRZ_SEED, mrzSeed],
  [PUT_DATA.RSA_MODULUS, rsaPart('modulus')],
  [PUT_DATA.RSA_PRIVATE_EXPONENT, rsaPart('privateExponent')],
  [PUT_DATA.CAN, can],
  [PUT_DATA.EC_AA_KEY, ecAaKey],
  [PUT_DATA.CA_KEY, caKey],
  [PUT_DATA.CURRENT_DATE, currentDate],
]);

