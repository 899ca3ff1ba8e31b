/**
 * The checks of a verification that concern the chip and the binding of its data (ICAO 9303-11
 * (8th ed.) §6.1 Active Authentication, §6.2 Chip Authentication): reading the files, AA and CA,
 * each counted only for a data group the SOD authenticates (cccd-profile.md security note).
 */
import { asCancuocError, attempt } from '../lds/errors.js';
import { decodeDg14 } from '../lds/dg14.js';
import { decodeDg15 } from '../lds/dg15.js';
import { checkActiveAuthAnswer, type ActiveAuthOutcome } from './active-auth.js';
import type { CardSession } from './card-session.js';
import { chooseChipAuth } from './chip-auth.js';
import type { PassiveAuthReport } from './passive-auth.js';
import { TransportError } from './transport.js';
import type { FileOutcome, VerificationCheck, VerificationStatus, VerifyDumpOptions } from './verify.js';

export const check = (id: string, status: VerificationStatus, code: string, reason: string): VerificationCheck =>
  Object.freeze({ id, status, code, reason });

export function cardReadCheck(files: ReadonlyMap<string, Uint8Array>, outcomes: readonly FileOutcome[]): VerificationCheck {
  const id = 'read';
  if (!files.has('SOD')) return check(id, 'fail', 'SOD_NOT_READ', 'the chip did not give EF.SOD');
  const bad = outcomes.filter((o) => o.status === 'error' || (o.status === 'absent' && o.name !== 'COM'));
  if (bad.length > 0) {
    return check(id, 'fail', 'READ_FAILED', `cannot read ${bad.map((o) => `${o.name} (${o.code ?? o.status})`).join(', ')}`);
  }
  const denied = outcomes.filter((o) => o.status === 'denied').map((o) => o.name);
  const note = denied.length === 0 ? '' : `; ${denied.join(', ')} need Terminal Authentication (ICAO 9303-11 §7)`;
  return check(id, 'pass', 'OK', `read ${outcomes.filter((o) => o.status === 'read').map((o) => o.name).join(', ')}${note}`);
}

export function dumpReadCheck(files: ReadonlyMap<string, Uint8Array>): VerificationCheck {
  if (!files.has('SOD')) return check('read', 'fail', 'SOD_NOT_READ', 'the dump has no EF.SOD');
  return check('read', 'pass', 'OK', `dump holds ${[...files.keys()].join(', ')}`);
}

/** Data groups authenticated through the SOD: signature and signed attributes valid, hash listed and equal. */
export function boundDataGroups(pa: PassiveAuthReport): ReadonlySet<number> {
  const status = (id: string) => pa.checks.find((c) => c.id === id)?.status;
  const sodOk = status('sod.parse') !== 'fail' && status('cms.signature') === 'pass' && status('cms.signed-attributes') === 'pass';
  if (!sodOk) return new Set();
  const bound = pa.checks.filter((c) => c.status === 'pass' && /^dg\.\d+\.hash$/.test(c.id)).map((c) => Number(c.id.split('.')[1]));
  return new Set(bound);
}

const NOT_BOUND = (file: string) => `but ${file} is not authenticated by a valid SOD, so this proves nothing (cccd-profile.md security note)`;

/** ICAO 9303-11 §6.1: INTERNAL AUTHENTICATE with a fresh 8-byte challenge, checked against DG15. */
export async function activeAuthCheck(
  session: CardSession,
  files: ReadonlyMap<string, Uint8Array>,
  bound: ReadonlySet<number>,
  listed: readonly number[],
): Promise<VerificationCheck> {
  const id = 'aa';
  if (!files.has('DG15')) {
    return listed.includes(15)
      ? check(id, 'fail', 'AA_KEY_MISSING', 'DG15 is listed but the chip did not give it: Active Authentication cannot run')
      : check(id, 'not-applicable', 'AA_NOT_SUPPORTED', 'no DG15: the chip does not offer Active Authentication');
  }
  let outcome;
  try {
    outcome = await session.activeAuth();
  } catch (e) {
    if (e instanceof TransportError) throw e;
    const error = asCancuocError(e);
    return check(id, 'fail', error.code, `Active Authentication could not run: ${error.message}`);
  }
  return aaOutcomeCheck(outcome, bound);
}

/** An AA answer relayed with a dump: the same judgement, over the caller's challenge. */
export function answeredAaCheck(files: ReadonlyMap<string, Uint8Array>, bound: ReadonlySet<number>, answer: VerifyDumpOptions['activeAuth'] & object): VerificationCheck {
  const dg15 = files.get('DG15');
  if (dg15 === undefined) return check('aa', 'fail', 'AA_KEY_MISSING', 'an Active Authentication answer came without DG15 to check it against');
  const dg14 = files.get('DG14');
  const outcome = attempt(() =>
    checkActiveAuthAnswer(decodeDg15(dg15), answer.challenge, answer.signature, dg14 === undefined ? undefined : decodeDg14(dg14)),
  );
  if (!outcome.ok) return check('aa', 'fail', outcome.error.code, `Active Authentication cannot be checked: ${outcome.error.message}`);
  return aaOutcomeCheck(outcome.value, bound);
}

function aaOutcomeCheck(outcome: ActiveAuthOutcome, bound: ReadonlySet<number>): VerificationCheck {
  const id = 'aa';
  if (!outcome.valid) {
    const code = outcome.error?.code ?? 'AA_SIGNATURE_INVALID';
    return check(id, 'fail', 'AA_SIGNATURE_INVALID', `the chip's signature over a fresh challenge does not verify with the DG15 key (${code})`);
  }
  const v = outcome.verified!;
  const what = `${v.algorithm === 'ecdsa' ? `ECDSA (${v.format ?? 'plain'})` : 'RSA ISO/IEC 9796-2'} with ${v.hash}`;
  if (!bound.has(15)) return check(id, 'not-bound', 'AA_NOT_BOUND', `the chip signed a fresh challenge (${what}) ${NOT_BOUND('DG15')}`);
  return check(id, 'pass', 'OK', `the chip signed a fresh challenge with the DG15 key: ${what}`);
}

/** ICAO 9303-11 §6.2: CA with the DG14 key, then DG1 read again under the new session keys. */
export async function chipAuthCheck(
  session: CardSession,
  files: ReadonlyMap<string, Uint8Array>,
  bound: ReadonlySet<number>,
  listed: readonly number[],
): Promise<VerificationCheck> {
  const id = 'ca';
  const dg14 = files.get('DG14');
  if (dg14 === undefined) {
    return listed.includes(14)
      ? check(id, 'fail', 'CA_KEY_MISSING', 'DG14 is listed but the chip did not give it: Chip Authentication cannot run')
      : check(id, 'not-applicable', 'CA_NOT_SUPPORTED', 'no DG14: the chip does not offer Chip Authentication');
  }
  const offered = attempt(() => chooseChipAuth(decodeDg14(dg14)));
  if (!offered.ok) {
    return offered.error.code === 'CA_NOT_OFFERED'
      ? check(id, 'not-applicable', 'CA_NOT_OFFERED', offered.error.message)
      : check(id, 'fail', offered.error.code, `DG14: ${offered.error.message}`);
  }
  let outcome;
  try {
    outcome = await session.chipAuth();
  } catch (e) {
    if (e instanceof TransportError) throw e;
    const error = asCancuocError(e);
    return error.code === 'CA_REREAD_MISMATCH'
      ? check(id, 'fail', error.code, 'DG1 read under the Chip Authentication keys differs from DG1 read before')
      : check(id, 'fail', 'CA_FAILED', `the chip does not hold the DG14 key: ${error.message} (${error.code})`);
  }
  const what = `${outcome.protocol.agreement} ${outcome.protocol.cipher}`;
  if (!bound.has(14)) return check(id, 'not-bound', 'CA_NOT_BOUND', `Chip Authentication (${what}) succeeded ${NOT_BOUND('DG14')}`);
  return check(id, 'pass', 'OK', `Chip Authentication (${what}) with the DG14 key; DG1 read again under the new keys is identical`);
}

/** The data the report shows (DG1, DG2, DG13) must be authenticated through the SOD. */
export function bindingCheck(files: ReadonlyMap<string, Uint8Array>, bound: ReadonlySet<number>): VerificationCheck {
  const shown = [1, 2, 13].filter((dg) => files.has(`DG${dg}`));
  const unbound = shown.filter((dg) => !bound.has(dg));
  if (shown.length === 0) return check('binding', 'not-applicable', 'NO_DATA', 'no DG1, DG2 or DG13 to show');
  if (unbound.length > 0) {
    return check('binding', 'fail', 'DATA_NOT_BOUND', `${unbound.map((d) => `DG${d}`).join(', ')} not authenticated by a valid SOD`);
  }
  return check('binding', 'pass', 'OK', `${shown.map((d) => `DG${d}`).join(', ')} authenticated by the SOD`);
}
