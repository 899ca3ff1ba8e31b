/**
 * Names into MRZ characters. ICAO 9303-3 (8th ed.) §4.6 (conventions: '<' between components,
 * '<<' between primary and secondary identifier, apostrophes dropped, hyphens and commas become
 * '<', other punctuation dropped, no digits) and §6 Table A (Latin transliteration). Vietnamese
 * letters lose their diacritics (NFD, combining marks stripped); đ/Đ is a letter of its own
 * and maps to D (Table A, U+0110). Truncation follows ICAO 9303-5 §4.2.2.3 and §4.2.3
 * (9303-4 §4.2.3 for TD3): the secondary identifier first, the field ending in a letter.
 */
import { ValidationError } from './errors.js';

/**
 * ICAO 9303-3 §6 Table A entries that are not "strip the diacritic". Where the table allows two
 * forms (Ä AE or A, Ñ N or NXX, Ü UE/UXX/U …) the first is used.
 */
const TABLE_A: Readonly<Record<string, string>> = Object.freeze({
  Ä: 'AE', Å: 'AA', Æ: 'AE', Ð: 'D', Ö: 'OE', Ø: 'OE', Ü: 'UE', Þ: 'TH',
  Đ: 'D', Ħ: 'H', Ĳ: 'IJ', Ŀ: 'L', Ł: 'L', Ŋ: 'N', Œ: 'OE', Ŧ: 'T', ẞ: 'SS', ß: 'SS', ı: 'I',
});

const APOSTROPHES = new Set(["'", '\u2019', '\u2018', '\u02bc', '`']);
// Characters that separate name components: space, hyphens, comma, and the filler itself.
const SEPARATORS = /[\s,<\u002d\u2010\u2011\u2012\u2013]/u;

function mapChar(ch: string, field: string, offset: number): string {
  if (APOSTROPHES.has(ch)) return '';
  if (SEPARATORS.test(ch)) return '<';
  const upper = ch.toUpperCase();
  const table = TABLE_A[ch] ?? TABLE_A[upper];
  if (table !== undefined) return table;
  if (/^\p{P}$/u.test(ch)) return ''; // §4.6: other punctuation is omitted
  const plain = upper.normalize('NFD').replace(/\p{M}/gu, '');
  if (/^[A-Z]+$/.test(plain)) return plain;
  const cp = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  throw new ValidationError(
    'MRZ_TRANSLITERATION',
    `character ${JSON.stringify(ch)} (U+${cp}) has no MRZ transliteration${/\d/.test(ch) ? ' (no digits in names, ICAO 9303-3 §4.6)' : ''}`,
    { field, offset },
  );
}

/**
 * One name (primary or secondary identifier) as MRZ name components joined by '<', not padded
 * or truncated: "Nguyễn Văn Đức" → "NGUYEN<VAN<DUC". Throws ValidationError naming the
 * character that cannot be mapped.
 */
export function transliterate(text: string, field = 'name'): string {
  if (typeof text !== 'string') throw new TypeError(`"${field}" expected a string`);
  let out = '';
  let at = 0;
  for (const ch of text.normalize('NFC')) {
    out += mapChar(ch, field, at);
    at += ch.length;
  }
  return out.split('<').filter((c) => c.length > 0).join('<');
}

const components = (s: string): string[] => (s === '' ? [] : s.split('<'));
const join = (c: readonly string[]): string => c.join('<');

/** Cut to at most n characters and back to the last letter, so a truncated field ends in A–Z. */
function cutToLetter(s: string, n: number): string {
  return s.slice(0, Math.max(0, n)).replace(/<+$/, '');
}

/**
 * Reduces components to initials from the last one backwards until they fit `cap`
 * (ICAO 9303-5 §4.2.3.1 a). With `refill`, the component reduced last gets back as many of
 * its letters as the space allows: NILAVADHANANANDA<<CHAYAPA<DE<K. Undefined if even all
 * initials do not fit.
 */
function fitComponents(parts: readonly string[], cap: number, refill: boolean): string | undefined {
  const current = [...parts];
  if (join(current).length <= cap) return join(current);
  for (let i = current.length - 1; i >= 0; i--) {
    current[i] = current[i]!.slice(0, 1);
    const length = join(current).length;
    if (length <= cap) {
      if (refill) current[i] = parts[i]!.slice(0, 1 + cap - length);
      return join(current);
    }
  }
  return undefined;
}

/**
 * The MRZ name field of `width` characters (TD1 30, TD3 39) from primary and secondary
 * identifiers given in national characters. Fits without truncation when it can; otherwise
 * (ICAO 9303-5 §4.2.2.3): secondary components to initials from the last; if the primary
 * identifier alone leaves no room for '<<' and one letter, its components go to initials from
 * the last until it does (§4.2.3.2 a: BENNELONG<WOOLOOMOOLOO<W<W<<DI) and the secondary fills
 * what remains. A truncated field always ends in a letter.
 */
export function mrzNameField(primary: string, secondary: string, width: number): string {
  if (!Number.isInteger(width) || width < 3) throw new RangeError(`"width" expected an integer ≥ 3, got ${width}`);
  const p = components(transliterate(primary, 'primaryIdentifier'));
  const s = components(transliterate(secondary, 'secondaryIdentifier'));
  if (p.length === 0) {
    throw new ValidationError('MRZ_NAME_EMPTY', 'the primary identifier has no letters', { field: 'primaryIdentifier' });
  }
  const padTo = (name: string): string => name + '<'.repeat(width - name.length);
  const full = join(p) + (s.length > 0 ? '<<' + join(s) : '');
  if (full.length <= width) return padTo(full);
  if (s.length === 0) return padTo(fitComponents(p, width, true) ?? cutToLetter(join(p), width));
  const room = width - join(p).length - 2;
  if (room >= 1) {
    return padTo(join(p) + '<<' + (fitComponents(s, room, true) ?? cutToLetter(join(s), room)));
  }
  const head = fitComponents(p, width - 3, false) ?? cutToLetter(join(p), width - 3);
  const rest = width - head.length - 2;
  return padTo(head + '<<' + (fitComponents(s, rest, true) ?? cutToLetter(join(s), rest)));
}

/**
 * A Vietnamese full name, family name first ("Nguyễn Văn Đức"), as the MRZ name field:
 * the first word is the primary identifier, the rest the secondary → NGUYEN<<VAN<DUC.
 */
export function vietnameseMrzName(fullName: string, width = 30): string {
  if (typeof fullName !== 'string') throw new TypeError('"fullName" expected a string');
  const words = fullName.normalize('NFC').trim().split(/\s+/u);
  return mrzNameField(words[0] ?? '', words.slice(1).join(' '), width);
}
