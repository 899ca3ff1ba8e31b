/**
 * The vn-cccd TD1 profile of the MRZ (docs/cccd-profile.md, "MRZ (TD1, 3 × 30)"): the 12-digit
 * personal ID in the optional data with its own check digit, the document number its last 9
 * digits, and a card without expiry.
 */
import { buildTd1, checkDigit, mrzCheck, mrzField, type Mrz, type MrzCheck } from './mrz.js';

/**
 * Expiry field for a card with no expiry date ("Không thời hạn"). No public specimen of a
 * Vietnamese card without expiry was found. ICAO 9303-3 §4.8 fills unknown date parts with
 * '<' and §4.9 gives '<' the value 0, so '<<<<<<' has check digit 0; Moldovan ID cards for
 * seniors print exactly `<<<<<<0` (github.com/snifter/MRZCode.NET pull 3, 4), and the `mrz`
 * package accepts it. We write the same.
 */
export const CCCD_NO_EXPIRY = '<<<<<<';

export interface CccdMrzInput {
  /** The 12-digit personal ID number. */
  readonly personalId: string;
  readonly dateOfBirth: string;
  readonly sex: 'M' | 'F';
  /** YYMMDD, or null for no expiry. */
  readonly dateOfExpiry: string | null;
  readonly name: string;
}

const ID12 = /^[0-9]{12}$/;

/** vn-cccd TD1: `ID` `VNM`, last 9 ID digits, the full ID at 16–27, `<<`, check digit over the ID at 30. */
export function buildCccdTd1(input: CccdMrzInput): readonly [string, string, string] {
  const id = mrzField(input.personalId, 'personalId', 12, ID12, true);
  return buildTd1({
    documentCode: 'ID',
    issuingState: 'VNM',
    documentNumber: id.slice(3),
    optionalData1: id + '<<' + checkDigit(id),
    dateOfBirth: input.dateOfBirth,
    sex: input.sex,
    dateOfExpiry: input.dateOfExpiry ?? CCCD_NO_EXPIRY,
    nationality: 'VNM',
    name: input.name,
  });
}

export interface CccdMrzProfile {
  /** The 12-digit ID from positions 16–27, or undefined when they do not hold 12 digits. */
  readonly personalId: string | undefined;
  /** Check digit at position 30 over the ID. */
  readonly personalIdCheck: MrzCheck | undefined;
  /** The document number equals the last 9 digits of the ID. */
  readonly documentNumberMatches: boolean;
  readonly noExpiry: boolean;
}

/** Reads the vn-cccd profile fields of a parsed TD1 MRZ (reports, never throws). */
export function readCccdProfile(mrz: Mrz): CccdMrzProfile {
  const l1 = mrz.lines[0]!;
  const id = mrz.format === 'TD1' ? l1.slice(15, 27) : '';
  const isId = ID12.test(id) && l1.slice(27, 29) === '<<';
  return Object.freeze({
    personalId: isId ? id : undefined,
    personalIdCheck: isId ? mrzCheck(id, l1[29]!) : undefined,
    documentNumberMatches: isId && mrz.documentNumber === id.slice(3),
    noExpiry: mrz.dateOfExpiry === CCCD_NO_EXPIRY,
  });
}
