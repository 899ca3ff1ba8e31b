/**
 * SecurityInfos: ICAO 9303-11 (8th ed.) §9.2 and BSI TR-03110-3 (v2.21) §A.1.1, the content of
 * EF.CardAccess and DG14.
 *
 *   SecurityInfos ::= SET OF SecurityInfo
 *   SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER, requiredData ANY, optionalData ANY OPTIONAL }
 *   PACEInfo ::= SEQUENCE { protocol (id-PACE-*-*), version INTEGER, parameterId INTEGER OPTIONAL }
 *   PACEDomainParameterInfo ::= SEQUENCE { protocol (id-PACE-*), domainParameter AlgorithmIdentifier,
 *                                          parameterId INTEGER OPTIONAL }
 *   ChipAuthenticationInfo ::= SEQUENCE { protocol (id-CA-*-*), version INTEGER, keyId INTEGER OPTIONAL }
 *   ChipAuthenticationDomainParameterInfo ::= SEQUENCE { protocol (id-CA-DH | id-CA-ECDH),
 *                                          domainParameter AlgorithmIdentifier, keyId INTEGER OPTIONAL }
 *   ChipAuthenticationPublicKeyInfo ::= SEQUENCE { protocol (id-PK-DH | id-PK-ECDH),
 *                                          chipAuthenticationPublicKey SubjectPublicKeyInfo, keyId INTEGER OPTIONAL }
 *   TerminalAuthenticationInfo ::= SEQUENCE { protocol id-TA, version INTEGER, efCVCA FileID OPTIONAL }
 *   ActiveAuthenticationInfo ::= SEQUENCE { protocol id-icao-mrtd-security-aaProtocolObject,
 *                                          version INTEGER, signatureAlgorithm OBJECT IDENTIFIER }
 * Infos with other protocols are kept as raw bytes. Versions are reported, not judged: which
 * version a terminal accepts is the reader's decision.
 */
import { abytes } from './bytes.js';
import { decodeAlgorithmIdentifier, elementsOf, encodeAlgorithmIdentifier, encodeInteger, encodeOidTlv, encodeSetOf, expectElement, fields, readOid, readSmallInt, type AlgorithmIdentifier, type Fields } from './der.js';
import { OID } from './oid.js';
import { decodePublicKeyTlv, type PublicKeyInfo } from './public-key.js';
import { decodeTlv, encodeTlv, type Tlv, type TlvMode } from './tlv.js';

// ---------------------------------------------------------------------------------------------
// Protocol OIDs → readable parts (9303-11 §9.2.3, §9.2.5, §9.2.6; TR-03110-3 §A.1.1)

export type KeyAgreement = 'DH' | 'ECDH';
export type Mapping = 'GM' | 'IM' | 'CAM';
export type Cipher = '3DES' | 'AES-128' | 'AES-192' | 'AES-256';
export type SecurityInfoKind =
  | 'pace'
  | 'paceDomainParameter'
  | 'chipAuthentication'
  | 'chipAuthenticationDomainParameter'
  | 'chipAuthenticationPublicKey'
  | 'terminalAuthentication'
  | 'activeAuthentication';

export interface ProtocolParts {
  /** The spec's name, e.g. id-PACE-ECDH-GM-AES-CBC-CMAC-128. */
  readonly name: string;
  /** The SecurityInfo type this protocol OID introduces. */
  readonly kind: SecurityInfoKind;
  readonly keyAgreement: KeyAgreement | undefined;
  readonly mapping: Mapping | undefined;
  readonly cipher: Cipher | undefined;
}

const PACE_VARIANTS: readonly (readonly [number, KeyAgreement, Mapping])[] = [
  [1, 'DH', 'GM'],
  [2, 'ECDH', 'GM'],
  [3, 'DH', 'IM'],
  [4, 'ECDH', 'IM'],
  [6, 'ECDH', 'CAM'],
];
const CA_VARIANTS: readonly (readonly [string, KeyAgreement])[] = [
  [OID.idCA_DH, 'DH'],
  [OID.idCA_ECDH, 'ECDH'],
];
const CIPHERS: readonly (readonly [number, Cipher, string])[] = [
  [1, '3DES', '3DES-CBC-CBC'],
  [2, 'AES-128', 'AES-CBC-CMAC-128'],
  [3, 'AES-192', 'AES-CBC-CMAC-192'],
  [4, 'AES-256', 'AES-CBC-CMAC-256'],
];

function parts(name: string, kind: SecurityInfoKind, ka?: KeyAgreement, mapping?: Mapping, cipher?: Cipher): ProtocolParts {
  return Object.freeze({ name, kind, keyAgreement: ka, mapping, cipher });
}

/** Every protocol OID this module knows, built from the arcs of the tables above. */
const PROTOCOLS: ReadonlyMap<string, ProtocolParts> = (() => {
  const m = new Map<string, ProtocolParts>();
  for (const [arc, ka, mapping] of PACE_VARIANTS) {
    const base = `${OID.idPACE}.${arc}`;
    m.set(base, parts(`id-PACE-${ka}-${mapping}`, 'paceDomainParameter', ka, mapping));
    // 9303-11 §9.2.3: CAM exists with AES only
    for (const [c, cipher, suffix] of CIPHERS) {
      if (mapping === 'CAM' && cipher === '3DES') continue;
      m.set(`${base}.${c}`, parts(`id-PACE-${ka}-${mapping}-${suffix}`, 'pace', ka, mapping, cipher));
    }
  }
  for (const [base, ka] of CA_VARIANTS) {
    m.set(base, parts(`id-CA-${ka}`, 'chipAuthenticationDomainParameter', ka));
    for (const [c, cipher, suffix] of CIPHERS) {
      m.set(`${base}.${c}`, parts(`id-CA-${ka}-${suffix}`, 'chipAuthentication', ka, undefined, cipher));
    }
  }
  m.set(OID.idPK_DH, parts('id-PK-DH', 'chipAuthenticationPublicKey', 'DH'));
  m.set(OID.idPK_ECDH, parts('id-PK-ECDH', 'chipAuthenticationPublicKey', 'ECDH'));
  m.set(OID.idTA, parts('id-TA', 'terminalAuthentication'));
  m.set(OID.aaProtocolObject, parts('id-icao-mrtd-security-aaProtocolObject', 'activeAuthentication'));
  return m;
})();

/** The readable parts of a protocol OID, or undefined for protocols this module does not know. */
export function describeProtocol(oid: string): ProtocolParts | undefined {
  return PROTOCOLS.get(oid);
}

/** The protocol OID with the given parts (inverse of describeProtocol). */
export function protocolOid(kind: SecurityInfoKind, ka?: KeyAgreement, mapping?: Mapping, cipher?: Cipher): string | undefined {
  for (const [oid, p] of PROTOCOLS) {
    if (p.kind === kind && p.keyAgreement === ka && p.mapping === mapping && p.cipher === cipher) return oid;
  }
  return undefined;
}

export interface StandardizedDomainParameters {
  readonly id: number;
  readonly name: string;
  readonly keyAgreement: KeyAgreement;
  /** The named curve OID (ECDH), undefined for the RFC 5114 MODP groups (DH). */
  readonly curve: string | undefined;
}

/** 9303-11 §9.5.1 Table 12 (ids 3–7 and 19–31 are reserved). */
const STANDARDIZED: readonly StandardizedDomainParameters[] = Object.freeze(
  (
    [
      [0, 'MODP-1024-160 (RFC 5114 §2.1)', 'DH', undefined],
      [1, 'MODP-2048-224 (RFC 5114 §2.2)', 'DH', undefined],
      [2, 'MODP-2048-256 (RFC 5114 §2.3)', 'DH', undefined],
      [8, 'NIST P-192', 'ECDH', OID.secp192r1],
      [9, 'brainpoolP192r1', 'ECDH', OID.brainpoolP192r1],
      [10, 'NIST P-224', 'ECDH', OID.secp224r1],
      [11, 'brainpoolP224r1', 'ECDH', OID.brainpoolP224r1],
      [12, 'NIST P-256', 'ECDH', OID.secp256r1],
      [13, 'brainpoolP256r1', 'ECDH', OID.brainpoolP256r1],
      [14, 'brainpoolP320r1', 'ECDH', OID.brainpoolP320r1],
      [15, 'NIST P-384', 'ECDH', OID.secp384r1],
      [16, 'brainpoolP384r1', 'ECDH', OID.brainpoolP384r1],
      [17, 'brainpoolP512r1', 'ECDH', OID.brainpoolP512r1],
      [18, 'NIST P-521', 'ECDH', OID.secp521r1],
    ] as const
  ).map(([id, name, keyAgreement, curve]) => Object.freeze({ id, name, keyAgreement, curve })),
);

export function standardizedDomainParameters(id: number): StandardizedDomainParameters | undefined {
  return STANDARDIZED.find((s) => s.id === id);
}

// ---------------------------------------------------------------------------------------------
// The SecurityInfo types

export interface PaceInfo {
  readonly kind: 'pace';
  readonly protocol: string;
  readonly version: number;
  readonly parameterId: number | undefined;
  readonly raw: Uint8Array;
}
export interface PaceDomainParameterInfo {
  readonly kind: 'paceDomainParameter';
  readonly protocol: string;
  readonly domainParameter: AlgorithmIdentifier;
  readonly parameterId: number | undefined;
  readonly raw: Uint8Array;
}
export interface ChipAuthenticationInfo {
  readonly kind: 'chipAuthentication';
  readonly protocol: string;
  readonly version: number;
  readonly keyId: number | undefined;
  readonly raw: Uint8Array;
}
export interface ChipAuthenticationDomainParameterInfo {
  readonly kind: 'chipAuthenticationDomainParameter';
  readonly protocol: string;
  readonly domainParameter: AlgorithmIdentifier;
  readonly keyId: number | undefined;
  readonly raw: Uint8Array;
}
export interface ChipAuthenticationPublicKeyInfo {
  readonly kind: 'chipAuthenticationPublicKey';
  readonly protocol: string;
  readonly publicKey: PublicKeyInfo;
  readonly keyId: number | undefined;
  readonly raw: Uint8Array;
}
export interface TerminalAuthenticationInfo {
  readonly kind: 'terminalAuthentication';
  readonly protocol: string;
  readonly version: number;
  /** FileID of EF.CVCA as raw DER (TR-03110 v1 only). */
  readonly efCVCA: Uint8Array | undefined;
  readonly raw: Uint8Array;
}
export interface ActiveAuthenticationInfo {
  readonly kind: 'activeAuthentication';
  readonly protocol: string;
  readonly version: number;
  /** E.g. ecdsa-plain-SHA256 0.4.0.127.0.7.1.1.4.1.3 (9303-11 §9.2.6, BSI TR-03111 §5.2.1). */
  readonly signatureAlgorithm: string;
  readonly raw: Uint8Array;
}
export interface UnknownSecurityInfo {
  readonly kind: 'unknown';
  readonly protocol: string;
  readonly raw: Uint8Array;
}

export type SecurityInfo =
  | PaceInfo
  | PaceDomainParameterInfo
  | ChipAuthenticationInfo
  | ChipAuthenticationDomainParameterInfo
  | ChipAuthenticationPublicKeyInfo
  | TerminalAuthenticationInfo
  | ActiveAuthenticationInfo
  | UnknownSecurityInfo;

export interface SecurityInfos {
  readonly infos: readonly SecurityInfo[];
  /** The SET OF bytes as read. */
  readonly raw: Uint8Array;
}

const TAG_INTEGER = 0x02;
const TAG_OID = 0x06;
const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;

// ---------------------------------------------------------------------------------------------
// Decoding

/** Decodes a SecurityInfos SET from a TLV already read (EF.CardAccess, inside DG14). */
export function decodeSecurityInfosTlv(t: Tlv, mode: TlvMode): SecurityInfos {
  const items = elementsOf(expectElement(t, TAG_SET, 'SecurityInfos'), TAG_SEQUENCE, mode, 'SecurityInfos');
  return Object.freeze({ infos: Object.freeze(items.map((i) => decodeSecurityInfo(i, mode))), raw: t.raw });
}

/** Decodes DER SecurityInfos bytes; `base` is the absolute offset of bytes[0]. */
export function decodeSecurityInfos(bytes: Uint8Array, mode: TlvMode = 'der', base = 0): SecurityInfos {
  return decodeSecurityInfosTlv(decodeTlv(abytes(bytes, 'bytes'), mode, base), mode);
}

function optionalInt(f: Fields, mode: TlvMode, what: string): number | undefined {
  const t = f.maybe(TAG_INTEGER);
  return t === undefined ? undefined : readSmallInt(t, mode, what);
}

export function decodeSecurityInfo(t: Tlv, mode: TlvMode = 'der'): SecurityInfo {
  const f = fields(expectElement(t, TAG_SEQUENCE, 'SecurityInfo'), mode, 'SecurityInfo');
  const protocol = readOid(f.take(TAG_OID, 'protocol'), 'SecurityInfo.protocol');
  const kind = PROTOCOLS.get(protocol)?.kind;
  if (kind === undefined) {
    // requiredData must be there even when the protocol is unknown (§9.2)
    f.any('requiredData');
    return Object.freeze({ kind: 'unknown', protocol, raw: t.raw });
  }
  const raw = t.raw;
  let info: SecurityInfo;
  switch (kind) {
    case 'pace': {
      const version = readSmallInt(f.take(TAG_INTEGER, 'version'), mode, 'PACEInfo.version');
      info = { kind, protocol, version, parameterId: optionalInt(f, mode, 'PACEInfo.parameterId'), raw };
      break;
    }
    case 'paceDomainParameter': {
      const domainParameter = decodeAlgorithmIdentifier(f.take(TAG_SEQUENCE, 'domainParameter'), mode, 'PACEDomainParameterInfo');
      info = { kind, protocol, domainParameter, parameterId: optionalInt(f, mode, 'PACEDomainParameterInfo.parameterId'), raw };
      break;
    }
    case 'chipAuthentication': {
      const version = readSmallInt(f.take(TAG_INTEGER, 'version'), mode, 'ChipAuthenticationInfo.version');
      info = { kind, protocol, version, keyId: optionalInt(f, mode, 'ChipAuthenticationInfo.keyId'), raw };
      break;
    }
    case 'chipAuthenticationDomainParameter': {
      const domainParameter = decodeAlgorithmIdentifier(f.take(TAG_SEQUENCE, 'domainParameter'), mode, 'CADomainParameterInfo');
      info = { kind, protocol, domainParameter, keyId: optionalInt(f, mode, 'CADomainParameterInfo.keyId'), raw };
      break;
    }
    case 'chipAuthenticationPublicKey': {
      const publicKey = decodePublicKeyTlv(f.take(TAG_SEQUENCE, 'chipAuthenticationPublicKey'), mode);
      info = { kind, protocol, publicKey, keyId: optionalInt(f, mode, 'ChipAuthenticationPublicKeyInfo.keyId'), raw };
      break;
    }
    case 'terminalAuthentication': {
      const version = readSmallInt(f.take(TAG_INTEGER, 'version'), mode, 'TerminalAuthenticationInfo.version');
      info = { kind, protocol, version, efCVCA: f.maybe(TAG_SEQUENCE)?.raw, raw };
      break;
    }
    case 'activeAuthentication': {
      const version = readSmallInt(f.take(TAG_INTEGER, 'version'), mode, 'ActiveAuthenticationInfo.version');
      const signatureAlgorithm = readOid(f.take(TAG_OID, 'signatureAlgorithm'), 'ActiveAuthenticationInfo.signatureAlgorithm');
      info = { kind, protocol, version, signatureAlgorithm, raw };
      break;
    }
  }
  f.done();
  return Object.freeze(info);
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** A field that may be undefined may also be left out. */
type Input<T> = { [K in keyof T as K extends 'raw' ? never : undefined extends T[K] ? K : never]?: T[K] } & {
  [K in keyof T as K extends 'raw' ? never : undefined extends T[K] ? never : K]: T[K];
};

export type SecurityInfoInput =
  | Input<PaceInfo>
  | Input<PaceDomainParameterInfo>
  | Input<ChipAuthenticationInfo>
  | Input<ChipAuthenticationDomainParameterInfo>
  | (Omit<Input<ChipAuthenticationPublicKeyInfo>, 'publicKey'> & { readonly publicKey: { readonly raw: Uint8Array } })
  | Input<TerminalAuthenticationInfo>
  | Input<ActiveAuthenticationInfo>
  | UnknownSecurityInfo;

function optional(n: number | undefined): Uint8Array[] {
  return n === undefined ? [] : [encodeInteger(n)];
}

/** DER of one SecurityInfo; an unknown info is written back as it was read. */
export function encodeSecurityInfo(info: SecurityInfoInput): Uint8Array {
  if (info.kind === 'unknown') return info.raw;
  const expected = PROTOCOLS.get(info.protocol)?.kind;
  if (expected !== info.kind) {
    throw new RangeError(`"protocol" ${info.protocol} does not introduce a ${info.kind} SecurityInfo`);
  }
  const body: Uint8Array[] = [];
  switch (info.kind) {
    case 'pace':
      body.push(encodeInteger(info.version), ...optional(info.parameterId));
      break;
    case 'paceDomainParameter':
      body.push(encodeAlgorithmIdentifier(info.domainParameter), ...optional(info.parameterId));
      break;
    case 'chipAuthentication':
      body.push(encodeInteger(info.version), ...optional(info.keyId));
      break;
    case 'chipAuthenticationDomainParameter':
      body.push(encodeAlgorithmIdentifier(info.domainParameter), ...optional(info.keyId));
      break;
    case 'chipAuthenticationPublicKey':
      body.push(info.publicKey.raw, ...optional(info.keyId));
      break;
    case 'terminalAuthentication':
      body.push(encodeInteger(info.version), ...(info.efCVCA === undefined ? [] : [info.efCVCA]));
      break;
    case 'activeAuthentication':
      body.push(encodeInteger(info.version), encodeOidTlv(info.signatureAlgorithm));
      break;
  }
  return encodeTlv(TAG_SEQUENCE, encodeOidTlv(info.protocol), ...body);
}

/**
 * SecurityInfos as a SET OF. 'der' sorts the elements (X.690 §11.6), as new files should be;
 * 'given' keeps the caller's order, which reproduces files written unsorted (several DG14s are).
 */
export function encodeSecurityInfos(infos: readonly SecurityInfoInput[], order: 'der' | 'given' = 'der'): Uint8Array {
  const parts = infos.map(encodeSecurityInfo);
  return order === 'der' ? encodeSetOf(parts) : encodeTlv(TAG_SET, ...parts);
}

// ---------------------------------------------------------------------------------------------
// Selection

/** The infos of one kind, typed. */
export function infosOfKind<K extends SecurityInfo['kind']>(
  infos: readonly SecurityInfo[],
  kind: K,
): Extract<SecurityInfo, { kind: K }>[] {
  return infos.filter((i): i is Extract<SecurityInfo, { kind: K }> => i.kind === kind);
}
