/**
 * No silent downgrade of access control (issue 10 item 5). EF.CardAccess is read in the clear
 * before access control (ICAO 9303-11 (8th ed.) §4.2), so a man in the middle can hide it, to
 * force BAC, or rewrite it, to force weaker PACE parameters. The PACEInfos of DG14 (9303-11 §9.2,
 * 9303-10 §4.7.14) are the signed copy: once passive authentication has bound DG14 to a valid SOD,
 * what access control actually ran is compared with them.
 *
 * The rule: when the signed DG14 declares PACE, access control must have been PACE with the
 * protocol and parameters this terminal picks from DG14 itself (choosePace: the strongest it
 * runs), and the PACEInfos of EF.CardAccess must be those of DG14. BAC asked for explicitly by
 * the operator is a warning, not a downgrade. EF.CardSecurity is not read by this terminal.
 */
import { decodeCardAccess, paceOptions } from '../lds/card-access.js';
import { decodeDg14 } from '../lds/dg14.js';
import { attempt } from '../lds/errors.js';
import { describeProtocol, infosOfKind, type PaceInfo, type SecurityInfo } from '../lds/security-infos.js';
import type { AccessRun } from './card-session.js';
import { choosePace } from './pace.js';
import type { VerificationCheck, VerificationStatus } from './verify.js';

export const ACCESS_POLICY_CHECK = 'access.downgrade';

export interface AccessPolicyInput {
  readonly accessControl: 'PACE' | 'BAC';
  readonly run: AccessRun;
  /** EF.CardAccess as read before access control; undefined when unreadable or absent. */
  readonly cardAccess: Uint8Array | undefined;
  readonly dg14: Uint8Array | undefined;
  /** DG14 hashed to its value in a SOD whose signature verifies. */
  readonly dg14Bound: boolean;
}

const result = (status: VerificationStatus, code: string, reason: string): VerificationCheck =>
  Object.freeze({ id: ACCESS_POLICY_CHECK, status, code, reason });

/** "ECDH-GM-AES-128 parameters 13", for reasons. */
function describe(protocol: string, parameterId: number | undefined): string {
  const p = describeProtocol(protocol);
  const name = p?.keyAgreement === undefined ? protocol : `${p.keyAgreement}-${p.mapping}-${p.cipher}`;
  return `${name} parameters ${parameterId ?? '(explicit)'}`;
}

/** PACEInfos as comparable keys (protocol, version, parameter id), sorted. */
function paceKeys(infos: readonly SecurityInfo[]): string[] {
  return infosOfKind(infos, 'pace')
    .map((p: PaceInfo) => `${p.protocol}/${p.version}/${p.parameterId ?? '-'}`)
    .sort();
}

export function accessPolicyCheck(input: AccessPolicyInput): VerificationCheck {
  const { accessControl, run, dg14 } = input;
  if (dg14 === undefined) return result('not-applicable', 'NO_PACE_DECLARED', 'no DG14: nothing signed says how the chip must be opened');
  const decoded = attempt(() => decodeDg14(dg14));
  if (!decoded.ok) return result('fail', decoded.error.code, `DG14 does not decode, so its PACEInfos cannot be checked: ${decoded.error.message}`);
  if (!input.dg14Bound) {
    return result('not-bound', 'ACCESS_POLICY_NOT_BOUND', 'DG14 is not authenticated by a valid SOD: its PACEInfos cannot vouch for access control');
  }
  const infos = decoded.value.securityInfos.infos;
  const declared = infosOfKind(infos, 'pace');
  if (declared.length === 0) {
    return result('pass', 'OK', `the signed DG14 declares no PACE: ${accessControl} is what the chip offers`);
  }
  const list = declared.map((p) => describe(p.protocol, p.parameterId)).join(', ');
  if (run.pace === undefined) {
    if (run.requested === 'bac') return result('warn', 'BAC_REQUESTED', `BAC was asked for, although the signed DG14 declares PACE (${list})`);
    const why = input.cardAccess === undefined ? 'EF.CardAccess could not be read' : 'EF.CardAccess offers no PACE this terminal runs';
    return result('fail', 'PACE_DOWNGRADED_TO_BAC', `${why}, so the chip was opened with BAC, but the signed DG14 declares PACE (${list})`);
  }
  const used = describe(run.pace.protocol, run.pace.parameterId);
  const expected = choosePace(decoded.value.securityInfos);
  if (expected !== undefined && (expected.protocol !== run.pace.protocol || expected.parameterId !== run.pace.parameterId)) {
    const want = describe(expected.protocol, expected.parameterId);
    return result('fail', 'PACE_NOT_AS_DECLARED', `PACE ran with ${used}, not with ${want} that the signed DG14 declares (${list})`);
  }
  if (expected === undefined && !declared.some((p) => p.protocol === run.pace!.protocol && p.parameterId === run.pace!.parameterId)) {
    return result('fail', 'PACE_NOT_AS_DECLARED', `PACE ran with ${used}, which the signed DG14 does not declare (${list})`);
  }
  const cardAccess = input.cardAccess === undefined ? undefined : attempt(() => decodeCardAccess(input.cardAccess!));
  const offered = cardAccess?.ok === true ? paceKeys(cardAccess.value.infos) : [];
  if (offered.join() !== paceKeys(infos).join()) {
    const shown = cardAccess?.ok === true ? paceOptions(cardAccess.value.infos).map((o) => describe(o.info.protocol, o.info.parameterId)).join(', ') : 'nothing';
    return result('fail', 'CARD_ACCESS_MISMATCH', `EF.CardAccess offers ${shown || 'no PACE'}, the signed DG14 declares ${list}`);
  }
  return result('pass', 'OK', `PACE with ${used}, as the signed DG14 declares; EF.CardAccess offers the same`);
}
