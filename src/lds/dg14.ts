/**
 * DG14 (tag 6E, FID 010E): ICAO 9303-10 (8th ed.) §4.7.14, 9303-11 §9.2. The SecurityInfos for
 * Chip Authentication, Terminal Authentication, PACE and, with an ECDSA key, Active
 * Authentication. DG14 is hashed in EF.SOD, so `raw` keeps the file exactly as read.
 */
import { abytes } from './bytes.js';
import { fileByDg } from './files.js';
import {
  decodeSecurityInfosTlv,
  describeProtocol,
  encodeSecurityInfos,
  infosOfKind,
  type ActiveAuthenticationInfo,
  type ChipAuthenticationInfo,
  type ChipAuthenticationPublicKeyInfo,
  type KeyAgreement,
  type SecurityInfoInput,
  type SecurityInfos,
} from './security-infos.js';
import { expectElement, fields } from './der.js';
import { decodeTlv, encodeTlv, type TlvMode } from './tlv.js';

const TAG_DG14 = fileByDg(14)!.tag!;
const TAG_SET = 0x31;

export interface Dg14 {
  readonly securityInfos: SecurityInfos;
  /** The whole EF, tag 6E included (padding excluded). */
  readonly raw: Uint8Array;
}

/** Decodes DG14; 'lenient' (the default) accepts padding and non-minimal lengths. */
export function decodeDg14(ef: Uint8Array, mode: TlvMode = 'lenient'): Dg14 {
  const t = expectElement(decodeTlv(abytes(ef, 'ef'), mode), TAG_DG14, 'DG14');
  const f = fields(t, mode, 'DG14');
  const securityInfos = decodeSecurityInfosTlv(f.take(TAG_SET, 'SecurityInfos'), mode);
  f.done();
  return Object.freeze({ securityInfos, raw: t.raw });
}

/** DG14 bytes: 6E L SecurityInfos; see encodeSecurityInfos for `order`. */
export function encodeDg14(infos: readonly SecurityInfoInput[], order: 'der' | 'given' = 'der'): Uint8Array {
  return encodeTlv(TAG_DG14, encodeSecurityInfos(infos, order));
}

/** A Chip Authentication key with the protocol to run with it. */
export interface ChipAuthenticationOption {
  readonly publicKey: ChipAuthenticationPublicKeyInfo;
  /** Undefined when DG14 leaves it out: 9303-11 §6.2 then implies id-CA-*-3DES-CBC-CBC. */
  readonly info: ChipAuthenticationInfo | undefined;
}

/**
 * Pairs each ChipAuthenticationPublicKeyInfo with its ChipAuthenticationInfo (9303-11 §9.2.5:
 * by keyId when there are several keys, otherwise the one of the same key agreement).
 */
export function chipAuthenticationOptions(dg14: Dg14): ChipAuthenticationOption[] {
  const infos = dg14.securityInfos.infos;
  const keys = infosOfKind(infos, 'chipAuthenticationPublicKey');
  const cas = infosOfKind(infos, 'chipAuthentication');
  const agreement = (oid: string): KeyAgreement | undefined => describeProtocol(oid)?.keyAgreement;
  return keys.map((publicKey) => {
    const sameKa = cas.filter((c) => agreement(c.protocol) === agreement(publicKey.protocol));
    const info =
      publicKey.keyId !== undefined
        ? (sameKa.find((c) => c.keyId === publicKey.keyId) ?? (keys.length === 1 ? sameKa[0] : undefined))
        : sameKa[0];
    return Object.freeze({ publicKey, info });
  });
}

/** The ActiveAuthenticationInfo, present when the AA key in DG15 is an EC key (9303-11 §9.2.6). */
export function activeAuthenticationInfo(dg14: Dg14): ActiveAuthenticationInfo | undefined {
  return infosOfKind(dg14.securityInfos.infos, 'activeAuthentication')[0];
}
