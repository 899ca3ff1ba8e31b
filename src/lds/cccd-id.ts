/**
 * The Vietnamese 12-digit personal ID number (số định danh cá nhân), `PPP G YY RRRRRR`:
 * province or country code of birth registration, century-and-sex digit, last two digits of
 * the birth year, six random digits; no check digit (Decree 137/2015/NĐ-CP Art. 13; codes in
 * Circular 07/2016/TT-BCA, later 59/2021/TT-BCA, App. I; docs/cccd-profile.md).
 * Circular 59/2021 lapsed on 1 July 2024 (Law 26/2023/QH15 only promises 12 digits), so the
 * prefix is decoded for information and warnings only, never to reject a number.
 */
import { ValidationError } from './errors.js';

/**
 * Province codes (Circular 59/2021/TT-BCA App. I; the same numbers as the GSO province codes of
 * Decision 124/2004/QĐ-TTg), the 63 provinces as they stood before the 2025 mergers.
 */
export const PROVINCE_CODES: ReadonlyMap<string, string> = new Map([
  ['001', 'Hà Nội'], ['002', 'Hà Giang'], ['004', 'Cao Bằng'], ['006', 'Bắc Kạn'], ['008', 'Tuyên Quang'],
  ['010', 'Lào Cai'], ['011', 'Điện Biên'], ['012', 'Lai Châu'], ['014', 'Sơn La'], ['015', 'Yên Bái'],
  ['017', 'Hòa Bình'], ['019', 'Thái Nguyên'], ['020', 'Lạng Sơn'], ['022', 'Quảng Ninh'], ['024', 'Bắc Giang'],
  ['025', 'Phú Thọ'], ['026', 'Vĩnh Phúc'], ['027', 'Bắc Ninh'], ['030', 'Hải Dương'], ['031', 'Hải Phòng'],
  ['033', 'Hưng Yên'], ['034', 'Thái Bình'], ['035', 'Hà Nam'], ['036', 'Nam Định'], ['037', 'Ninh Bình'],
  ['038', 'Thanh Hóa'], ['040', 'Nghệ An'], ['042', 'Hà Tĩnh'], ['044', 'Quảng Bình'], ['045', 'Quảng Trị'],
  ['046', 'Thừa Thiên Huế'], ['048', 'Đà Nẵng'], ['049', 'Quảng Nam'], ['051', 'Quảng Ngãi'], ['052', 'Bình Định'],
  ['054', 'Phú Yên'], ['056', 'Khánh Hòa'], ['058', 'Ninh Thuận'], ['060', 'Bình Thuận'], ['062', 'Kon Tum'],
  ['064', 'Gia Lai'], ['066', 'Đắk Lắk'], ['067', 'Đắk Nông'], ['068', 'Lâm Đồng'], ['070', 'Bình Phước'],
  ['072', 'Tây Ninh'], ['074', 'Bình Dương'], ['075', 'Đồng Nai'], ['077', 'Bà Rịa - Vũng Tàu'],
  ['079', 'Hồ Chí Minh'], ['080', 'Long An'], ['082', 'Tiền Giang'], ['083', 'Bến Tre'], ['084', 'Trà Vinh'],
  ['086', 'Vĩnh Long'], ['087', 'Đồng Tháp'], ['089', 'An Giang'], ['091', 'Kiên Giang'], ['092', 'Cần Thơ'],
  ['093', 'Hậu Giang'], ['094', 'Sóc Trăng'], ['095', 'Bạc Liêu'], ['096', 'Cà Mau'],
]);

export interface CccdId {
  readonly id: string;
  readonly provinceCode: string;
  /** Province name, or undefined for a code not in PROVINCE_CODES (allowed). */
  readonly province: string | undefined;
  readonly centuryDigit: number;
  readonly sex: 'M' | 'F';
  readonly birthYear: number;
  readonly random: string;
}

const ID = /^[0-9]{12}$/;

function requireId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string') throw new TypeError(`"${field}" expected a string`);
  if (!ID.test(id)) {
    throw new ValidationError('CCCD_ID_FORMAT', `personal ID must be 12 digits, got ${id.length} character(s)`, {
      field,
    });
  }
  return id;
}

/**
 * Decodes the ID. G even = male, odd = female; birth year = 1900 + 100·⌊G/2⌋ + YY
 * (0/1 1900s, 2/3 2000s, 4/5 2100s, 6/7 2200s, 8/9 2300s).
 */
export function parseCccdId(id: string): CccdId {
  requireId(id);
  const g = Number(id[3]);
  const provinceCode = id.slice(0, 3);
  return Object.freeze({
    id,
    provinceCode,
    province: PROVINCE_CODES.get(provinceCode),
    centuryDigit: g,
    sex: g % 2 === 0 ? 'M' : 'F',
    birthYear: 1900 + 100 * Math.floor(g / 2) + Number(id.slice(4, 6)),
    random: id.slice(6),
  });
}

/** The CAN for PACE: the last 6 digits of the ID (cccd-profile.md, "The chip"). */
export function canFromId(id: string): string {
  return requireId(id).slice(6);
}

/** The MRZ document number: the last 9 digits of the ID. */
export function documentNumberFromId(id: string): string {
  return requireId(id).slice(3);
}

export type CccdIdWarningCode = 'ID_SEX_MISMATCH' | 'ID_BIRTH_YEAR_MISMATCH' | 'ID_UNKNOWN_PROVINCE';

export interface CccdIdWarning {
  readonly code: CccdIdWarningCode;
  readonly message: string;
}

/**
 * Compares the ID with a record's sex and birth year. Returns warnings (empty when consistent);
 * the caller decides whether a mismatch is fatal.
 */
export function checkIdConsistency(
  id: string,
  expected: { readonly sex?: 'M' | 'F'; readonly birthYear?: number },
): readonly CccdIdWarning[] {
  const info = parseCccdId(id);
  const out: CccdIdWarning[] = [];
  if (expected.sex !== undefined && expected.sex !== info.sex) {
    out.push({ code: 'ID_SEX_MISMATCH', message: `ID digit 4 (${info.centuryDigit}) means sex ${info.sex}, record says ${expected.sex}` });
  }
  if (expected.birthYear !== undefined && expected.birthYear !== info.birthYear) {
    out.push({
      code: 'ID_BIRTH_YEAR_MISMATCH',
      message: `ID digits 4–6 mean birth year ${info.birthYear}, record says ${expected.birthYear}`,
    });
  }
  if (info.province === undefined) {
    out.push({ code: 'ID_UNKNOWN_PROVINCE', message: `province code ${info.provinceCode} is not in the table` });
  }
  return Object.freeze(out.map((w) => Object.freeze(w)));
}
