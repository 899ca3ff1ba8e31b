/**
 * PACE v2 (ICAO 9303-11 (8th ed.) §4.4, keys §9.7, worked examples App. G and I) as pure step
 * functions for both roles. Randomness can be injected at every step, so the worked examples
 * replay byte for byte; without it, fresh values come from the OS.
 *
 *   terminal                                chip
 *   paceTerminalStart        MSE:Set AT     paceChipStart        → z = E(K_π, s)
 *   paceTerminalMap(z)       GA 81 / 82     paceChipMap          → PK_map
 *   paceTerminalKeyAgreement GA 83 / 84     paceChipKeyAgreement → ephemeral PK
 *   paceTerminalMutualAuth   GA 85 / 86     paceChipMutualAuth   → tokens [+ 8A for CAM]
 *   paceTerminalFinish
 *
 * Generic Mapping (§4.4.3.3.1) and Chip Authentication Mapping (§4.4.3.3.3) are supported;
 * Integrated Mapping is recognised in the OID table but not implemented.
 */
import { randomBytes } from 'node:crypto';
import { abytes } from '../lds/bytes.js';
import { ParseError, ValidationError } from '../lds/errors.js';
import { encodeOid, OID } from '../lds/oid.js';
import { encodeTlv } from '../lds/tlv.js';
import { blockSize, decryptCbc, encryptBlock, encryptCbc, padM2, unpadM2, type CipherName } from './cipher.js';
import { constantTimeEqual } from './constant-time.js';
import { domainParameters, groupOf, os2i, i2os, scalarFromBytes, type DomainParameters, type Group, type GroupElement } from './curves.js';
import { kdf, KDF_ENC, KDF_MAC, KDF_PACE, pacePasswordKey } from './kdf.js';
import { smMac } from './mac.js';

export type PaceMapping = 'GM' | 'IM' | 'CAM';
export type KeyAgreement = 'DH' | 'ECDH';

export interface PaceProtocol {
  readonly oid: string;
  readonly mapping: PaceMapping;
  readonly agreement: KeyAgreement;
  readonly cipher: CipherName;
}

// 9303-11 §9.2.2 / App. 6.4: id-PACE.{mapping}.{cipher}; CAM exists only with AES.
const MAPPING_ARCS: readonly (readonly [number, PaceMapping, KeyAgreement])[] = [
  [1, 'GM', 'DH'],
  [2, 'GM', 'ECDH'],
  [3, 'IM', 'DH'],
  [4, 'IM', 'ECDH'],
  [6, 'CAM', 'ECDH'],
];
export const CIPHER_ARCS: readonly (readonly [number, CipherName])[] = [
  [1, '3DES'],
  [2, 'AES-128'],
  [3, 'AES-192'],
  [4, 'AES-256'],
];

export const PACE_PROTOCOLS: readonly PaceProtocol[] = Object.freeze(
  MAPPING_ARCS.flatMap(([m, mapping, agreement]) =>
    CIPHER_ARCS.filter(([, cipher]) => mapping !== 'CAM' || cipher !== '3DES').map(([c, cipher]) =>
      Object.freeze({ oid: `${OID.idPACE}.${m}.${c}`, mapping, agreement, cipher }),
    ),
  ),
);

/** The PACE protocol named by a PACEInfo OID; an unknown OID is a ValidationError. */
export function paceProtocol(oid: string): PaceProtocol {
  if (typeof oid !== 'string') throw new TypeError(`"oid" expected a string, got ${typeof oid}`);
  const found = PACE_PROTOCOLS.find((p) => p.oid === oid);
  if (found === undefined) throw new ValidationError('PACE_PROTOCOL_UNKNOWN', `not a PACE protocol OID: ${oid}`, { field: 'protocol' });
  return found;
}

export type PacePassword = { readonly kind: 'mrz'; readonly mrzInformation: string } | { readonly kind: 'can'; readonly can: string };

export interface PaceSetup {
  /** PACEInfo.protocol. */
  readonly protocol: string;
  /** PACEInfo.parameterId (standardized domain parameters, 9303-11 Table 12). */
  readonly parameterId: number;
  readonly password: PacePassword;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

/** §4.4.3.1: z = E(K_π, s), CBC with a zero IV; s is a whole number of cipher blocks. */
export function encryptNonce(cipher: CipherName, kPi: Uint8Array, nonce: Uint8Array): Uint8Array {
  return encryptCbc(cipher, kPi, new Uint8Array(blockSize(cipher)), abytes(nonce, 'nonce'));
}

/** The terminal's side of §4.4.3.1; a z that is not whole blocks is bad card data. */
export function decryptNonce(cipher: CipherName, kPi: Uint8Array, encryptedNonce: Uint8Array): Uint8Array {
  abytes(encryptedNonce, 'encryptedNonce');
  const b = blockSize(cipher);
  if (encryptedNonce.length === 0 || encryptedNonce.length % b !== 0) {
    throw new ParseError('PACE_NONCE_LENGTH', `encrypted nonce of ${encryptedNonce.length} bytes is not whole ${b}-byte blocks`, {
      tag: 0x80,
      step: 'PACE nonce',
    });
  }
  return decryptCbc(cipher, kPi, new Uint8Array(b), encryptedNonce);
}

/** §4.4.3.4 / §9.8: the input of an authentication token, 7F49 { 06 OID, 86 point | 84 y }. */
export function authenticationTokenInput(protocolOid: string, agreement: KeyAgreement, publicKey: Uint8Array): Uint8Array {
  return encodeTlv(0x7f49, encodeTlv(0x06, encodeOid(protocolOid)), encodeTlv(agreement === 'ECDH' ? 0x86 : 0x84, publicKey));
}

/** T = MAC(KSmac, token input): CMAC-8 for AES, retail MAC for 3DES (9303-11 §4.4.3.4). */
export function authenticationToken(protocol: PaceProtocol, ksMac: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return smMac(protocol.cipher, ksMac, authenticationTokenInput(protocol.oid, protocol.agreement, publicKey));
}

/** §4.4.3.3.1 Generic Mapping: Ĝ = s·G + H with H = SK_map·PK_map' (DH: ĝ = g^s·h mod p). */
export function genericMapping(g: Group, nonce: Uint8Array, mappingSecret: bigint, peerMappingKey: GroupElement): GroupElement {
  const s = os2i(nonce) % g.order;
  if (s === 0n) throw new ValidationError('PACE_MAPPING_INVALID', 'nonce is zero modulo the group order', { step: 'PACE map' });
  const h = g.multiply(peerMappingKey, mappingSecret);
  if (g.isIdentity(h)) throw new ValidationError('PACE_MAPPING_INVALID', 'H is the identity', { step: 'PACE map' });
  const mapped = g.combine(g.multiply(g.generator, s), h);
  if (g.isIdentity(mapped)) throw new ValidationError('PACE_MAPPING_INVALID', 'mapped generator is the identity', { step: 'PACE map' });
  return mapped;
}

// ---------------------------------------------------------------------------------------------
// State: the public part is a frozen object; the secrets live in a WeakMap, never on the object,
// so a state that ends up in a log or a JSON dump carries no key material.

export type PaceRole = 'terminal' | 'chip';
export type PaceStep = 'nonce' | 'map' | 'agree' | 'token';

export interface PaceState {
  readonly role: PaceRole;
  /** The step this state is waiting for. */
  readonly step: PaceStep;
  readonly protocol: PaceProtocol;
  readonly domain: DomainParameters;
  /** Encoded own and peer mapping keys (PK_map,IFD / PK_map,IC). */
  readonly mappingPublicKey?: Uint8Array;
  readonly peerMappingPublicKey?: Uint8Array;
  /** Encoded Ĝ. */
  readonly mappedGenerator?: Uint8Array;
  readonly ephemeralPublicKey?: Uint8Array;
  readonly peerEphemeralPublicKey?: Uint8Array;
}

interface Secrets {
  readonly kPi: Uint8Array;
  readonly nonce?: Uint8Array;
  readonly mappingSecret?: bigint;
  readonly generator?: GroupElement;
  readonly ephemeralSecret?: bigint;
  readonly ksEnc?: Uint8Array;
  readonly ksMac?: Uint8Array;
}

const secrets = new WeakMap<PaceState, Secrets>();

function next(prev: PaceState, fields: Partial<PaceState>, more: Partial<Secrets>): PaceState {
  const state = Object.freeze({ ...prev, ...fields });
  secrets.set(state, { ...secretsOf(prev), ...more });
  return state;
}

function secretsOf(state: PaceState): Secrets {
  const s = secrets.get(state);
  if (s === undefined) throw new TypeError('"state" expected a state returned by a pace* step function');
  return s;
}

function expectStep(state: PaceState, role: PaceRole, step: PaceStep, fn: string): Group {
  if (state === null || typeof state !== 'object' || state.role !== role || state.step !== step) {
    throw new TypeError(`${fn}: expected a ${role} state at step "${step}", got ${state?.role} at "${state?.step}"`);
  }
  secretsOf(state);
  return groupOf(state.domain);
}

function start(role: PaceRole, setup: PaceSetup, step: PaceStep): PaceState {
  if (setup === null || typeof setup !== 'object') throw new TypeError('"setup" expected an object');
  const protocol = paceProtocol(setup.protocol);
  if (protocol.mapping === 'IM') {
    throw new ValidationError('PACE_MAPPING_UNSUPPORTED', 'Integrated Mapping is not implemented', { field: 'protocol' });
  }
  const domain = domainParameters(setup.parameterId);
  if ((domain.kind === 'ec') !== (protocol.agreement === 'ECDH')) {
    throw new ValidationError('PACE_PARAMETERS_MISMATCH', `${protocol.agreement} protocol with ${domain.name} parameters`, {
      field: 'parameterId',
    });
  }
  const kPi = kdf(pacePasswordKey(setup.password), KDF_PACE, protocol.cipher);
  const state: PaceState = Object.freeze({ role, step, protocol, domain });
  secrets.set(state, { kPi });
  return state;
}

function secretOrRandom(g: Group, injected: Uint8Array | undefined, name: string): bigint {
  return injected === undefined ? g.randomScalar() : scalarFromBytes(g, injected, name);
}

function decodePeer(g: Group, bytes: Uint8Array, field: string, step: string): GroupElement {
  return g.decode(abytes(bytes, field), field, step);
}

// §4.4.3.3.2 / §4.4.3.4: K = KA(own SK, peer PK); the two ephemeral public keys must differ.
function agree(g: Group, state: PaceState, own: GroupElement, peer: GroupElement, ownSecret: bigint) {
  if (g.equals(own, peer)) {
    throw new ValidationError('PACE_EPHEMERAL_KEYS_EQUAL', 'terminal and chip ephemeral public keys are equal', {
      step: 'PACE key agreement',
    });
  }
  const shared = g.secret(g.multiply(peer, ownSecret));
  return { ksEnc: kdf(shared, KDF_ENC, state.protocol.cipher), ksMac: kdf(shared, KDF_MAC, state.protocol.cipher) };
}

export interface PaceResult {
  readonly protocol: PaceProtocol;
  readonly cipher: CipherName;
  readonly ksEnc: Uint8Array;
  readonly ksMac: Uint8Array;
  readonly terminalEphemeralPublicKey: Uint8Array;
  /** PK_IC, the chip's ephemeral key (its compressed form is ID_PICC, §4.4.3.5). */
  readonly chipEphemeralPublicKey: Uint8Array;
  /** PK_map,IC, needed to check CAM data (§4.4.3.3.3). */
  readonly chipMappingPublicKey: Uint8Array;
}

function result(state: PaceState, terminalKey: Uint8Array, chipKey: Uint8Array, chipMapping: Uint8Array): PaceResult {
  const { ksEnc, ksMac } = secretsOf(state);
  return Object.freeze({
    protocol: state.protocol,
    cipher: state.protocol.cipher,
    ksEnc: ksEnc!,
    ksMac: ksMac!,
    terminalEphemeralPublicKey: terminalKey,
    chipEphemeralPublicKey: chipKey,
    chipMappingPublicKey: chipMapping,
  });
}

function checkToken(state: PaceState, expectedFor: Uint8Array, received: Uint8Array, who: string): void {
  abytes(received, 'token');
  const expected = authenticationToken(state.protocol, secretsOf(state).ksMac!, expectedFor);
  if (!constantTimeEqual(expected, received)) {
    throw new ValidationError('PACE_TOKEN_INVALID', `${who} authentication token does not verify`, { step: 'PACE mutual authentication' });
  }
}

// ---------------------------------------------------------------------------------------------
// Terminal

/** Derives K_π from the password; the state waits for the chip's encrypted nonce. */
export function paceTerminalStart(setup: PaceSetup): PaceState {
  return start('terminal', setup, 'nonce');
}

/** Decrypts s and makes the mapping key pair; send `mappingPublicKey` in DO 81. */
export function paceTerminalMap(
  state: PaceState,
  encryptedNonce: Uint8Array,
  opts: { readonly mappingKey?: Uint8Array } = {},
): { readonly state: PaceState; readonly mappingPublicKey: Uint8Array } {
  const g = expectStep(state, 'terminal', 'nonce', 'paceTerminalMap');
  const nonce = decryptNonce(state.protocol.cipher, secretsOf(state).kPi, encryptedNonce);
  const mappingSecret = secretOrRandom(g, opts.mappingKey, 'mappingKey');
  const mappingPublicKey = g.encode(g.multiply(g.generator, mappingSecret));
  return { state: next(state, { step: 'map', mappingPublicKey }, { nonce, mappingSecret }), mappingPublicKey };
}

/** Checks PK_map,IC (DO 82), maps the generator, makes the ephemeral key pair; send it in DO 83. */
export function paceTerminalKeyAgreement(
  state: PaceState,
  chipMappingPublicKey: Uint8Array,
  opts: { readonly ephemeralKey?: Uint8Array } = {},
): { readonly state: PaceState; readonly ephemeralPublicKey: Uint8Array } {
  const g = expectStep(state, 'terminal', 'map', 'paceTerminalKeyAgreement');
  const peer = decodePeer(g, chipMappingPublicKey, 'chipMappingPublicKey', 'PACE map');
  const { nonce, mappingSecret } = secretsOf(state);
  const generator = genericMapping(g, nonce!, mappingSecret!, peer);
  const ephemeralSecret = secretOrRandom(g, opts.ephemeralKey, 'ephemeralKey');
  const ephemeralPublicKey = g.encode(g.multiply(generator, ephemeralSecret));
  const fields = { step: 'agree' as const, peerMappingPublicKey: g.encode(peer), mappedGenerator: g.encode(generator), ephemeralPublicKey };
  return { state: next(state, fields, { generator, ephemeralSecret }), ephemeralPublicKey };
}

/** Checks PK_IC (DO 84), derives the session keys and T_IFD; send the token in DO 85. */
export function paceTerminalMutualAuth(
  state: PaceState,
  chipEphemeralPublicKey: Uint8Array,
): { readonly state: PaceState; readonly token: Uint8Array } {
  const g = expectStep(state, 'terminal', 'agree', 'paceTerminalMutualAuth');
  const peer = decodePeer(g, chipEphemeralPublicKey, 'chipEphemeralPublicKey', 'PACE key agreement');
  const { generator, ephemeralSecret } = secretsOf(state);
  const keys = agree(g, state, g.multiply(generator!, ephemeralSecret!), peer, ephemeralSecret!);
  const peerKey = g.encode(peer);
  const nextState = next(state, { step: 'token', peerEphemeralPublicKey: peerKey }, keys);
  return { state: nextState, token: authenticationToken(state.protocol, keys.ksMac, peerKey) };
}

/** Checks T_IC (DO 86) in constant time; a wrong token is a ValidationError. */
export function paceTerminalFinish(state: PaceState, chipToken: Uint8Array): PaceResult {
  expectStep(state, 'terminal', 'token', 'paceTerminalFinish');
  checkToken(state, state.ephemeralPublicKey!, chipToken, 'chip');
  return result(state, state.ephemeralPublicKey!, state.peerEphemeralPublicKey!, state.peerMappingPublicKey!);
}

// ---------------------------------------------------------------------------------------------
// Chip

/** Chooses s (default 16 random bytes) and returns z = E(K_π, s) for DO 80. */
export function paceChipStart(
  setup: PaceSetup,
  opts: { readonly nonce?: Uint8Array } = {},
): { readonly state: PaceState; readonly encryptedNonce: Uint8Array } {
  const state = start('chip', setup, 'map');
  const nonce = opts.nonce === undefined ? new Uint8Array(randomBytes(16)) : abytes(opts.nonce, 'nonce');
  const encryptedNonce = encryptNonce(state.protocol.cipher, secretsOf(state).kPi, nonce);
  return { state: next(state, {}, { nonce }), encryptedNonce };
}

/** Checks PK_map,IFD (DO 81), answers PK_map,IC for DO 82 and maps the generator. */
export function paceChipMap(
  state: PaceState,
  terminalMappingPublicKey: Uint8Array,
  opts: { readonly mappingKey?: Uint8Array } = {},
): { readonly state: PaceState; readonly mappingPublicKey: Uint8Array } {
  const g = expectStep(state, 'chip', 'map', 'paceChipMap');
  const peer = decodePeer(g, terminalMappingPublicKey, 'terminalMappingPublicKey', 'PACE map');
  const mappingSecret = secretOrRandom(g, opts.mappingKey, 'mappingKey');
  const mappingPublicKey = g.encode(g.multiply(g.generator, mappingSecret));
  const generator = genericMapping(g, secretsOf(state).nonce!, mappingSecret, peer);
  const fields = { step: 'agree' as const, mappingPublicKey, peerMappingPublicKey: g.encode(peer), mappedGenerator: g.encode(generator) };
  return { state: next(state, fields, { mappingSecret, generator }), mappingPublicKey };
}

/** Checks PK_IFD (DO 83), answers PK_IC for DO 84 and derives the session keys. */
export function paceChipKeyAgreement(
  state: PaceState,
  terminalEphemeralPublicKey: Uint8Array,
  opts: { readonly ephemeralKey?: Uint8Array } = {},
): { readonly state: PaceState; readonly ephemeralPublicKey: Uint8Array } {
  const g = expectStep(state, 'chip', 'agree', 'paceChipKeyAgreement');
  const peer = decodePeer(g, terminalEphemeralPublicKey, 'terminalEphemeralPublicKey', 'PACE key agreement');
  const { generator } = secretsOf(state);
  const ephemeralSecret = secretOrRandom(g, opts.ephemeralKey, 'ephemeralKey');
  const own = g.multiply(generator!, ephemeralSecret);
  const keys = agree(g, state, own, peer, ephemeralSecret);
  const ephemeralPublicKey = g.encode(own);
  const fields = { step: 'token' as const, ephemeralPublicKey, peerEphemeralPublicKey: g.encode(peer) };
  return { state: next(state, fields, { ephemeralSecret, ...keys }), ephemeralPublicKey };
}

/**
 * Checks T_IFD (DO 85) in constant time and answers T_IC for DO 86. For CAM the chip also
 * returns A_IC for DO 8A, made with its static Chip Authentication key (§4.4.3.3.3).
 */
export function paceChipMutualAuth(
  state: PaceState,
  terminalToken: Uint8Array,
  opts: { readonly chipAuthenticationKey?: Uint8Array } = {},
): { readonly result: PaceResult; readonly token: Uint8Array; readonly encryptedChipAuthenticationData?: Uint8Array } {
  const g = expectStep(state, 'chip', 'token', 'paceChipMutualAuth');
  checkToken(state, state.ephemeralPublicKey!, terminalToken, 'terminal');
  const s = secretsOf(state);
  const token = authenticationToken(state.protocol, s.ksMac!, state.peerEphemeralPublicKey!);
  const res = result(state, state.peerEphemeralPublicKey!, state.ephemeralPublicKey!, state.mappingPublicKey!);
  if (state.protocol.mapping !== 'CAM') return Object.freeze({ result: res, token });
  if (opts.chipAuthenticationKey === undefined) throw new TypeError('"chipAuthenticationKey" is required for PACE-CAM');
  const staticSecret = scalarFromBytes(g, opts.chipAuthenticationKey, 'chipAuthenticationKey');
  // CA_IC = SK_IC^-1 · SK_map,IC mod n, as a field element.
  const caData = (modInverse(staticSecret, g.order) * s.mappingSecret!) % g.order;
  const plain = padM2(i2os(caData, fieldLength(state.domain)), 16);
  const encryptedChipAuthenticationData = encryptCbc(state.protocol.cipher, s.ksEnc!, camIv(state.protocol.cipher, s.ksEnc!), plain);
  return Object.freeze({ result: res, token, encryptedChipAuthenticationData });
}

// ---------------------------------------------------------------------------------------------
// PACE-CAM (§4.4.3.3.3, App. I)

function fieldLength(d: DomainParameters): number {
  return d.kind === 'ec' ? d.fieldLength : d.length;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, t0, t1] = [m, ((a % m) + m) % m, 0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, t0, t1] = [r1, r0 - q * r1, t1, t0 - q * t1];
  }
  if (r0 !== 1n) throw new RangeError('"a" has no inverse');
  return ((t0 % m) + m) % m;
}

// §4.4.3.3.3: A_IC is AES-CBC under KSenc with IV = E(KSenc, FF…FF).
function camIv(cipher: CipherName, ksEnc: Uint8Array): Uint8Array {
  return encryptBlock(cipher, ksEnc, new Uint8Array(16).fill(0xff));
}

/**
 * The terminal's CAM check, once it has read the chip's static public key PK_IC from
 * EF.CardSecurity: decrypt A_IC to CA_IC and require PK_map,IC = CA_IC · PK_IC.
 */
export function paceVerifyChipAuthenticationData(
  result: PaceResult,
  domain: DomainParameters,
  encryptedChipAuthenticationData: Uint8Array,
  chipStaticPublicKey: Uint8Array,
): void {
  if (result.protocol.mapping !== 'CAM') throw new TypeError('"result" is not a PACE-CAM session');
  abytes(encryptedChipAuthenticationData, 'encryptedChipAuthenticationData');
  const g = groupOf(domain);
  const step = 'PACE-CAM';
  const data = encryptedChipAuthenticationData;
  if (data.length === 0 || data.length % 16 !== 0) {
    throw new ParseError('PACE_CAM_DATA_LENGTH', `A_IC of ${data.length} bytes is not whole AES blocks`, { tag: 0x8a, step });
  }
  const plain = decryptCbc(result.cipher, result.ksEnc, camIv(result.cipher, result.ksEnc), data);
  const caData = os2i(unpadM2(plain, 16));
  const staticKey = decodePeer(g, chipStaticPublicKey, 'chipStaticPublicKey', step);
  const mapping = decodePeer(g, result.chipMappingPublicKey, 'chipMappingPublicKey', step);
  const ok = caData > 0n && caData < g.order && g.equals(g.multiply(staticKey, caData), mapping);
  if (!ok) throw new ValidationError('PACE_CAM_INVALID', 'PK_map,IC != CA_IC · PK_IC', { tag: 0x8a, step });
}
