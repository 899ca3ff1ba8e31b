/**
 * Checks of the whole verification that look at the chip rather than at EF.SOD
 * (docs/trust-policy.md): whether chip authenticity was shown at all, and the weak algorithms the
 * chip's SecurityInfos and AA key announce.
 */
import { decodeCardAccess } from '../lds/card-access.js';
import { decodeDg14 } from '../lds/dg14.js';
import { decodeDg15 } from '../lds/dg15.js';
import { attempt } from '../lds/errors.js';
import { weaknessChecks, type Check, type VerifyPolicy } from './passive-auth.js';
import { keyWeakness, securityInfoWeaknesses, type Weakness } from './weak-algorithms.js';

/**
 * ICAO 9303-11 §6: only Active or Chip Authentication shows that a genuine chip holds the data;
 * files copied to a clone pass every other check. A dump, or a chip offering neither, is
 * reported with the warning CHIP_NOT_AUTHENTICATED: its VALID vouches for the data, not the chip.
 */
export function chipAuthenticityCheck(source: 'card' | 'dump', aa: { readonly status: string }, ca: { readonly status: string }): Check {
  const id = 'chip.authenticity';
  const check = (status: Check['status'], code: string, reason: string): Check => Object.freeze({ id, status, code, reason });
  if (source === 'dump') {
    return check('warn', 'CHIP_NOT_AUTHENTICATED', 'a dump: chip authenticity (AA/CA) NOT checked; the files may come from a clone');
  }
  const shown = [aa.status === 'pass' ? 'AA' : undefined, ca.status === 'pass' ? 'CA' : undefined].filter((x) => x !== undefined);
  if (shown.length > 0) return check('pass', 'OK', `the chip proved it holds the key of ${shown.join(' and ')}`);
  // a failed or unbound AA/CA already blocks VALID through its own check
  const tried = aa.status !== 'not-applicable' || ca.status !== 'not-applicable';
  return check('warn', 'CHIP_NOT_AUTHENTICATED', `${tried ? 'neither AA nor CA succeeded' : 'the chip offers neither AA nor CA'}: chip authenticity NOT shown; it may be a clone`);
}

/** PACE and CA parameters in DG14 and EF.CardAccess, and the DG15 AA key (weak-algorithms.ts). */
export function chipWeaknessChecks(files: ReadonlyMap<string, Uint8Array>, policy: VerifyPolicy): Check[] {
  const weak: Weakness[] = [];
  const dg14 = files.get('DG14');
  const parsed14 = dg14 === undefined ? undefined : attempt(() => decodeDg14(dg14));
  if (parsed14?.ok === true) weak.push(...securityInfoWeaknesses('dg14', parsed14.value.securityInfos.infos));
  const cardAccess = files.get('CardAccess');
  const parsedCa = cardAccess === undefined ? undefined : attempt(() => decodeCardAccess(cardAccess));
  if (parsedCa?.ok === true) weak.push(...securityInfoWeaknesses('cardaccess', parsedCa.value.infos));
  const dg15 = files.get('DG15');
  const parsed15 = dg15 === undefined ? undefined : attempt(() => decodeDg15(dg15));
  const aaWeak = parsed15?.ok === true ? keyWeakness('dg15.key', parsed15.value.publicKey, 'the DG15 Active Authentication key') : undefined;
  if (aaWeak !== undefined) weak.push(aaWeak);
  return weaknessChecks('algorithms.chip', weak, policy, 'DG14, DG15, EF.CardAccess: no 3DES PACE, DH-1024, 192-bit curve or RSA < 2048');
}
