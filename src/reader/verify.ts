/**
 * The complete verification of one document, on a chip or from a dump: what an inspection system
 * does after access control (ICAO 9303-11 (8th ed.) §5 passive authentication, §6.1 Active
 * Authentication, §6.2 Chip Authentication), plus the vn-cccd consistency checks
 * (consistency.ts) and the issuer's document revocation list.
 *
 * Binding (cccd-profile.md security note): AA and CA only prove that the chip holds the key it
 * presents; they count only once DG15 / DG14 hashed to the value listed in a SOD whose
 * signature verifies. Otherwise they are reported `not-bound` and the verdict cannot be VALID.
 * The data groups the SOD lists are read even when EF.COM leaves them out, so a clone cannot
 * hide DG15 to skip AA.
 *
 * Never throws on card bytes: every outcome is a check of the frozen report. Access failures
 * (wrong CAN/MRZ, a chip that refuses PACE) throw CardAccessError; a card that leaves the reader
 * throws the transport's TransportError. The JSON form is documented in docs/verify-schema.md.
 */
import { digest } from '../crypto/algorithms.js';
import { asCancuocError, attempt, CancuocError } from '../lds/errors.js';
import { decodeCom } from '../lds/com.js';
import { decodeDg1 } from '../lds/dg1.js';
import { decodeDg13, type Dg13, type Dg13Fields } from '../lds/dg13.js';
import { decodeDg2 } from '../lds/dg2.js';
import type { ImageFormat } from '../lds/face-record.js';
import type { Mrz } from '../lds/mrz.js';
import { accessPolicyCheck, ACCESS_POLICY_CHECK } from './access-policy.js';
import { CardSession, openCard, type AccessKey, type OpenOptions } from './card-session.js';
import { listedDataGroups, readCardFiles } from './card-files.js';
import { consistencyChecks } from './consistency.js';
import { answeredAaCheck, activeAuthCheck, bindingCheck, boundDataGroups, cardReadCheck, check, chipAuthCheck, dumpReadCheck } from './verify-checks.js';
import { dataGroupsOf } from './document-dir.js';
import { chipAuthenticityCheck, chipWeaknessChecks } from './chip-checks.js';
import { passiveAuthentication, type CheckStatus, type PassiveAuthReport, type VerifyPolicy } from './passive-auth.js';
import type { TerminalCredentials } from './terminal-auth.js';
import { TransportError, type Transport } from './transport.js';
import { TrustStore } from './trust-store.js';
import { fingerprintSummary, terminalAuthAndRead, type FingerprintSummary } from './verify-eac.js';

export type VerificationVerdict = 'VALID' | 'INVALID' | 'UNTRUSTED';
/** `not-bound`: AA or CA ran against a key the SOD does not authenticate. */
export type VerificationStatus = CheckStatus | 'not-bound';

export interface VerificationCheck {
  readonly id: string;
  readonly status: VerificationStatus;
  /** Stable UPPER_SNAKE code: OK on pass. */
  readonly code: string;
  readonly reason: string;
}

export interface FileOutcome {
  readonly name: string;
  /** read; denied (the chip wants Terminal Authentication); absent (6A82); error (anything else). */
  readonly status: 'read' | 'denied' | 'absent' | 'error';
  readonly length?: number;
  readonly code?: string;
}

export interface MrzSummary {
  readonly format: string;
  readonly documentCode: string;
  readonly issuingState: string;
  readonly documentNumber: string;
  /** YYMMDD as in the MRZ. */
  readonly dateOfBirth: string;
  readonly sex: string;
  /** YYMMDD, or `<<<<<<` for a vn-cccd card without expiry. */
  readonly dateOfExpiry: string;
  readonly nationality: string;
  readonly primaryIdentifier: string;
  readonly secondaryIdentifier: string;
}

export interface FaceSummary {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
  readonly length: number;
}

/** The bytes behind the report, for saving the face or the files; not part of the JSON form. */
export interface VerifiedData {
  /** LDS file name (COM, SOD, CardAccess, DG1…) → the bytes read. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** The first face image of DG2, as stored (JPEG or JPEG 2000). */
  readonly faceImage: Uint8Array | undefined;
}

export interface VerificationReport {
  readonly verdict: VerificationVerdict;
  readonly checkedAt: string;
  readonly source: 'card' | 'dump';
  /** How the chip was opened; undefined for a dump. */
  readonly accessControl: 'PACE' | 'BAC' | undefined;
  /** One entry per check, in a fixed order (docs/verify-schema.md). */
  readonly checks: readonly VerificationCheck[];
  readonly files: readonly FileOutcome[];
  readonly mrz: MrzSummary | undefined;
  /** DG13 fields as stored (Vietnamese, with diacritics). */
  readonly personal: Readonly<Record<string, string>> | undefined;
  readonly face: FaceSummary | undefined;
  /** DG3 when it was read (after Terminal Authentication), summarised. */
  readonly fingerprints: FingerprintSummary | undefined;
  readonly passiveAuthentication: PassiveAuthReport;
  /** APDUs exchanged from the first command of access control on; undefined for a dump. */
  readonly apdus: number | undefined;
  readonly data: VerifiedData;
}

export interface VerifyOptions {
  readonly trust: TrustStore;
  /** Time for every validity check; defaults to now. */
  readonly at?: Date;
  /** CRL and weak-algorithm policy (docs/trust-policy.md); defaults to the lenient one. */
  readonly policy?: VerifyPolicy;
}

export interface VerifyCardOptions extends VerifyOptions {
  /** The CAN or MRZ key; needed when a Transport is given. */
  readonly access?: AccessKey;
  /** Access control method and replay options for openCard. */
  readonly open?: OpenOptions;
  /** An inspection system's CV chain and key: Terminal Authentication after CA, then DG3 / DG4. */
  readonly terminal?: TerminalCredentials;
}

export interface VerifyDumpOptions extends VerifyOptions {
  /**
   * The chip's INTERNAL AUTHENTICATE answer to a challenge the caller made fresh and checks for
   * single use itself (ICAO 9303-11 §6.1): with it the `aa` check shows a chip was present.
   */
  readonly activeAuth?: { readonly challenge: Uint8Array; readonly signature: Uint8Array };
}

/** Access control failed or could not start; `code` is the underlying one (ACCESS_DENIED, PACE_NOT_SUPPORTED, …). */
export class CardAccessError extends CancuocError {}

/** The check whose failure means "trust missing" rather than "forged" (passive-auth.ts). */
const UNTRUSTED_CODE = 'ISSUER_NOT_TRUSTED';

function checkOptions(options: VerifyOptions): Date {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object');
  if (!(options.trust instanceof TrustStore)) throw new TypeError('"trust" expected a TrustStore');
  const at = options.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new TypeError('"at" expected a valid Date');
  return at;
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Verifies a chip. Given a Transport, opens it with `access` (and closes it at the end); given an
 * open CardSession, uses it and leaves it open.
 */
export async function verifyCard(source: CardSession | Transport, options: VerifyCardOptions): Promise<VerificationReport> {
  const at = checkOptions(options);
  const policy = options.policy ?? {};
  if (source instanceof CardSession) return verifySession(source, options.trust, at, policy, options.terminal);
  if (source === null || typeof source !== 'object' || typeof source.transmit !== 'function') {
    throw new TypeError('"source" expected a CardSession or a Transport');
  }
  if (options.access === undefined) throw new TypeError('"access" is required to open a Transport');
  let session: CardSession;
  try {
    session = await openCard(source, options.access, options.open);
  } catch (e) {
    await source.close().catch(() => undefined);
    if (e instanceof TypeError || e instanceof RangeError || e instanceof TransportError) throw e;
    const cause = asCancuocError(e);
    throw new CardAccessError(cause.code, `access control failed: ${cause.message}`, {}, { cause });
  }
  try {
    return await verifySession(session, options.trust, at, policy, options.terminal);
  } finally {
    await session.close().catch(() => undefined);
  }
}

/**
 * Verifies a dump (LDS file name → bytes, as readDocumentDir gives them): no CA without a chip,
 * and AA only from an answer to the caller's challenge (`activeAuth`).
 */
export function verifyDump(files: ReadonlyMap<string, Uint8Array>, options: VerifyDumpOptions): VerificationReport {
  const at = checkOptions(options);
  if (!(files instanceof Map)) throw new TypeError('"files" expected a Map of LDS file name to bytes');
  const outcomes = [...files].map(([name, bytes]): FileOutcome => Object.freeze({ name, status: 'read', length: bytes.length }));
  const noChip = (id: string) => check(id, 'not-applicable', 'NO_CHIP', 'a dump cannot show that a genuine chip holds the key');
  const pa = passiveAuthenticationOf(files, options.trust, at, options.policy ?? {});
  const aa = options.activeAuth === undefined ? noChip('aa') : answeredAaCheck(files, boundDataGroups(pa), options.activeAuth);
  return assemble({
    source: 'dump',
    files,
    outcomes,
    trust: options.trust,
    at,
    policy: options.policy ?? {},
    pa,
    accessControl: undefined,
    apdus: undefined,
    readCheck: dumpReadCheck(files),
    chipChecks: [aa, noChip('ca'), noChip(ACCESS_POLICY_CHECK)],
  });
}

// ---------------------------------------------------------------------------------------------
// Reading the chip

async function verifySession(session: CardSession, trust: TrustStore, at: Date, policy: VerifyPolicy, terminal?: TerminalCredentials): Promise<VerificationReport> {
  const card = await readCardFiles(session);
  let { files, outcomes } = card;
  let pa = passiveAuthenticationOf(files, trust, at, policy);
  const bound = boundDataGroups(pa);
  const listed = listedDataGroups(files);
  // AA before CA: a failed CA ends the secure-messaging session. TA comes last (docs/eac.md).
  const aa = await activeAuthCheck(session, files, bound, listed);
  const ca = await chipAuthCheck(session, files, bound, listed);
  const access = accessPolicyCheck({
    accessControl: session.accessControl,
    run: session.accessRun,
    cardAccess: session.cardAccess,
    dg14: files.get('DG14'),
    dg14Bound: bound.has(14),
  });
  const chipChecks = [aa, ca, access];
  if (terminal !== undefined) {
    const denied = outcomes.filter((o) => o.status === 'denied').map((o) => o.name);
    const eac =
      ca.status === 'pass' || ca.status === 'not-bound'
        ? await terminalAuthAndRead(session, terminal, denied, at)
        : { check: { status: 'fail' as const, code: 'TA_NEEDS_CA', reason: 'Terminal Authentication needs Chip Authentication first, which failed' }, read: new Map() };
    chipChecks.push(check('ta', eac.check.status, eac.check.code, eac.check.reason));
    if (eac.read.size > 0) {
      files = new Map([...files, ...eac.read]);
      outcomes = outcomes.map((o) => (eac.read.has(o.name) ? Object.freeze({ name: o.name, status: 'read' as const, length: eac.read.get(o.name)!.length }) : o));
      pa = passiveAuthenticationOf(files, trust, at, policy);
    }
  }
  return assemble({
    source: 'card',
    files,
    outcomes,
    trust,
    at,
    policy,
    pa,
    accessControl: session.accessControl,
    apdus: session.traffic.apdus,
    readCheck: cardReadCheck(files, outcomes),
    chipChecks,
  });
}


// ---------------------------------------------------------------------------------------------
// The report

interface AssembleInput {
  readonly source: 'card' | 'dump';
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly outcomes: readonly FileOutcome[];
  readonly trust: TrustStore;
  readonly at: Date;
  readonly policy: VerifyPolicy;
  readonly accessControl: 'PACE' | 'BAC' | undefined;
  readonly apdus: number | undefined;
  readonly pa: PassiveAuthReport;
  readonly readCheck: VerificationCheck;
  readonly chipChecks: readonly VerificationCheck[];
}

interface Parsed {
  readonly mrz: Mrz | undefined;
  readonly dg13: Dg13 | undefined;
  readonly face: { readonly summary: FaceSummary; readonly image: Uint8Array } | undefined;
  readonly check: VerificationCheck;
}

/** Decodes what the report shows: EF.COM, DG1, DG2 (the first face image), DG13. */
function parseShown(files: ReadonlyMap<string, Uint8Array>): Parsed {
  const problems: string[] = [];
  const parse = <T>(name: string, decode: (b: Uint8Array) => T): T | undefined => {
    const bytes = files.get(name);
    if (bytes === undefined) return undefined;
    const r = attempt(() => decode(bytes));
    if (r.ok) return r.value;
    problems.push(`${name}: ${r.error.code}`);
    return undefined;
  };
  parse('COM', decodeCom);
  const mrz = parse('DG1', (b) => decodeDg1(b).mrz);
  const dg13 = parse('DG13', decodeDg13);
  const face = parse('DG2', (b) => {
    const template = decodeDg2(b).templates[0];
    const image = template?.bdb.encoding === 'ISO19794' ? template.bdb.record.images[0] : undefined;
    if (image === undefined) return undefined;
    const summary: FaceSummary = Object.freeze({ format: image.format, width: image.width, height: image.height, length: image.imageData.length });
    return { summary, image: image.imageData };
  });
  const decoded = ['COM', 'DG1', 'DG2', 'DG13'].filter((n) => files.has(n));
  const c =
    problems.length > 0
      ? check('lds.parse', 'fail', 'LDS_PARSE_FAILED', `do not decode: ${problems.join('; ')}`)
      : decoded.length === 0
        ? check('lds.parse', 'not-applicable', 'NOTHING_TO_DECODE', 'no COM, DG1, DG2 or DG13')
        : check('lds.parse', 'pass', 'OK', `${decoded.join(', ')} decode`);
  return { mrz, dg13, face, check: c };
}

/**
 * The issuer's list of lost and revoked cards (docs/revocation-list.md), by document number and
 * SOD hash: only the lists of the State of the document's CSCA count (trust-store.ts).
 */
function revocationCheck(trust: TrustStore, mrz: Mrz | undefined, sod: Uint8Array | undefined, at: Date, country: string | undefined): VerificationCheck {
  const id = 'revocation';
  const lists = country === undefined ? [] : trust.revocationListsOf(country);
  if (lists.length === 0) return check(id, 'not-applicable', 'NO_REVOCATION_LIST', `no revocation list of the issuer${country === undefined ? '' : ` (${country})`} loaded`);
  const sodHash = sod === undefined ? undefined : digest('sha256', sod);
  const entry = trust.revocationOf({ country, ...(mrz && { documentNumber: mrz.documentNumber }), ...(sodHash && { sodHash }) });
  if (entry !== undefined) {
    return check(id, 'fail', 'DOCUMENT_REVOKED', `the issuer lists this card as ${entry.reason} since ${entry.revocationDate.toISOString()}`);
  }
  if (lists.every((l) => l.nextUpdate <= at)) {
    return check(id, 'warn', 'REVOCATION_LIST_OUTDATED', `not listed, but every loaded list expired before ${at.toISOString()}`);
  }
  return check(id, 'pass', 'OK', `not on ${lists.length} revocation list(s)`);
}

/** VALID: nothing failed and nothing is unbound; UNTRUSTED: the only failure is a DS issuer outside the trust store. */
function verdictOf(checks: readonly VerificationCheck[]): VerificationVerdict {
  const blocking = checks.filter((c) => c.status === 'fail' || c.status === 'not-bound');
  if (blocking.length === 0) return 'VALID';
  return blocking.every((c) => c.id === 'chain' && c.code === UNTRUSTED_CODE) ? 'UNTRUSTED' : 'INVALID';
}

function personalOf(dg13: Dg13 | undefined): Readonly<Record<string, string>> | undefined {
  if (dg13 === undefined) return undefined;
  const keys: readonly (keyof Dg13Fields)[] = [
    'personalId', 'fullName', 'dateOfBirth', 'sex', 'nationality', 'ethnicity', 'religion', 'placeOfOrigin', 'placeOfResidence',
    'identifyingMarks', 'dateOfIssue', 'dateOfExpiry', 'father', 'mother', 'spouse', 'oldIdNumber', 'serial',
  ];
  const out: Record<string, string> = {};
  for (const k of keys) if (dg13[k] !== undefined && dg13[k] !== '') out[k] = dg13[k];
  return Object.freeze(out);
}

function mrzSummary(mrz: Mrz | undefined): MrzSummary | undefined {
  if (mrz === undefined) return undefined;
  const { format, documentCode, issuingState, documentNumber, dateOfBirth, sex, dateOfExpiry, nationality } = mrz;
  const { primaryIdentifier, secondaryIdentifier } = mrz;
  return Object.freeze({ format, documentCode, issuingState, documentNumber, dateOfBirth, sex, dateOfExpiry, nationality, primaryIdentifier, secondaryIdentifier });
}

/** ICAO 9303-11 §5.1 over what was read; a missing EF.SOD reads as an empty one, which fails sod.parse. */
function passiveAuthenticationOf(files: ReadonlyMap<string, Uint8Array>, trust: TrustStore, at: Date, policy: VerifyPolicy): PassiveAuthReport {
  return passiveAuthentication({ sod: files.get('SOD') ?? new Uint8Array(0), dataGroups: dataGroupsOf(files), trust, at, policy });
}

function assemble(input: AssembleInput): VerificationReport {
  const { files, trust, at, pa } = input;
  const sod = files.get('SOD');
  const parsed = parseShown(files);
  const checks: VerificationCheck[] = [
    input.source === 'card'
      ? check('access', 'pass', 'OK', `${input.accessControl} secure messaging established`)
      : check('access', 'not-applicable', 'NO_CHIP', 'a dump: no access control'),
    input.readCheck,
    ...pa.checks,
    parsed.check,
    bindingCheck(files, boundDataGroups(pa)),
    ...input.chipChecks,
    chipAuthenticityCheck(input.source, input.chipChecks[0]!, input.chipChecks[1]!),
    ...consistencyChecks({ mrz: parsed.mrz, dg13: parsed.dg13, at }),
    revocationCheck(trust, parsed.mrz, sod, at, pa.csca?.country),
    ...chipWeaknessChecks(files, input.policy),
  ];
  return Object.freeze({
    verdict: verdictOf(checks),
    checkedAt: at.toISOString(),
    source: input.source,
    accessControl: input.accessControl,
    checks: Object.freeze(checks),
    files: Object.freeze([...input.outcomes]),
    mrz: mrzSummary(parsed.mrz),
    personal: personalOf(parsed.dg13),
    face: parsed.face?.summary,
    fingerprints: files.has('DG3') ? fingerprintSummary(files.get('DG3')!) : undefined,
    passiveAuthentication: pa,
    apdus: input.apdus,
    data: Object.freeze({ files, faceImage: parsed.face?.image }),
  });
}

/** The report as JSON-ready data (docs/verify-schema.md): everything but the raw bytes. */
export function verificationJson(report: VerificationReport): Omit<VerificationReport, 'data'> {
  if (report === null || typeof report !== 'object' || !Array.isArray(report.checks)) throw new TypeError('"report" expected a VerificationReport');
  return Object.freeze(Object.fromEntries(Object.entries(report).filter(([key]) => key !== 'data'))) as Omit<VerificationReport, 'data'>;
}
