/**
 * EF.CardAccess (FID 011C, SFI 1C, in the master file): ICAO 9303-10 (8th ed.) §3.11.3,
 * 9303-11 §9.2.1. The file is a DER SecurityInfos with no wrapper tag; it announces PACE (and on
 * some cards CA and TA) before any access control.
 */
import type { AlgorithmIdentifier } from './der.js';
import {
  decodeSecurityInfos,
  describeProtocol,
  encodeSecurityInfos,
  infosOfKind,
  standardizedDomainParameters,
  type Cipher,
  type KeyAgreement,
  type Mapping,
  type PaceInfo,
  type SecurityInfo,
  type SecurityInfoInput,
  type SecurityInfos,
  type StandardizedDomainParameters,
} from './security-infos.js';
import type { TlvMode } from './tlv.js';

/**
 * Decodes EF.CardAccess. 'lenient' (the default) accepts what chips return: padding after the
 * SET, non-minimal lengths.
 */
export function decodeCardAccess(bytes: Uint8Array, mode: TlvMode = 'lenient'): SecurityInfos {
  return decodeSecurityInfos(bytes, mode);
}

/** EF.CardAccess bytes; see encodeSecurityInfos for `order`. */
export function encodeCardAccess(infos: readonly SecurityInfoInput[], order: 'der' | 'given' = 'der'): Uint8Array {
  return encodeSecurityInfos(infos, order);
}

/** One way to run PACE that the chip offers. */
export interface PaceOption {
  readonly info: PaceInfo;
  readonly keyAgreement: KeyAgreement;
  readonly mapping: Mapping;
  readonly cipher: Cipher;
  /** Table 12 parameters when parameterId is a standardized id (0..31) not overridden below. */
  readonly standardized: StandardizedDomainParameters | undefined;
  /** Explicit parameters from the PACEDomainParameterInfo with the same parameterId. */
  readonly domainParameter: AlgorithmIdentifier | undefined;
}

/**
 * The PACE options a chip offers, in file order, each with its domain parameters resolved
 * (9303-11 §9.2.1: parameterId 0..31 names Table 12 parameters; other ids, or an id shared with a
 * PACEDomainParameterInfo, refer to the explicit parameters). Options whose parameters cannot be
 * resolved keep both fields undefined; the terminal then cannot use them.
 */
export function paceOptions(infos: readonly SecurityInfo[]): PaceOption[] {
  const domain = infosOfKind(infos, 'paceDomainParameter');
  return infosOfKind(infos, 'pace').map((info) => {
    const parts = describeProtocol(info.protocol)!;
    const id = info.parameterId;
    // parameterId may be left out only when one set of explicit parameters exists
    const explicit = id === undefined ? (domain.length === 1 ? domain[0] : undefined) : domain.find((d) => d.parameterId === id);
    return Object.freeze({
      info,
      keyAgreement: parts.keyAgreement!,
      mapping: parts.mapping!,
      cipher: parts.cipher!,
      standardized: explicit === undefined && id !== undefined && id <= 31 ? standardizedDomainParameters(id) : undefined,
      domainParameter: explicit?.domainParameter,
    });
  });
}
