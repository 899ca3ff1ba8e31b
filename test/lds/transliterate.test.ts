/**
 * ICAO 9303-3 §4.6 name conventions and §6 Table A, 9303-5 §4.2.3 / 9303-4 §4.2.3 truncation
 * examples (expected strings copied from the ICAO examples), Vietnamese names per the brief.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/lds/errors.js';
import { mrzNameField, transliterate, vietnameseMrzName } from '../../src/lds/transliterate.js';

describe('Vietnamese names (NFD, marks stripped, đ → D, family name first)', () => {
  it('"Nguyễn Văn Đức" → NGUYEN<<VAN<DUC', () => {
    expect(vietnameseMrzName('Nguyễn Văn Đức')).toBe('NGUYEN<<VAN<DUC' + '<'.repeat(15));
  });

  it('handles horn letters ư ơ and decomposed input', () => {
    expect(transliterate('Trương Thị Phương')).toBe('TRUONG<THI<PHUONG');
    expect(transliterate('Lê Hồ Ơn'.normalize('NFD'))).toBe('LE<HO<ON');
    expect(transliterate('đặng ĐÌNH')).toBe('DANG<DINH');
  });

  it('keeps a one-word name as primary identifier only', () => {
    expect(vietnameseMrzName('Hùng', 30)).toBe('HUNG' + '<'.repeat(26));
  });
});

describe('ICAO 9303-3 §4.6 punctuation and §6 Table A', () => {
  it.each([
    ["D'Artagnan", 'DARTAGNAN'],
    ['Marie-Elise', 'MARIE<ELISE'],
    ['Anna, Maria', 'ANNA<MARIA'],
    ['Müller', 'MUELLER'],
    ['Ångström', 'AANGSTROEM'],
    ['Æsir Øre', 'AESIR<OERE'],
    ['Þór', 'THOR'],
    ['Łódź', 'LODZ'],
    ['Straße', 'STRASSE'],
    ['Œuvre', 'OEUVRE'],
    ['José Ramón', 'JOSE<RAMON'],
    ['Dr. Smith', 'DR<SMITH'],
  ])('%s → %s', (input, out) => expect(transliterate(input)).toBe(out));

  it.each(['李', 'Иван', 'A1', '☃'])('rejects %s with a ValidationError naming the character', (input) => {
    try {
      transliterate(input);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).code).toBe('MRZ_TRANSLITERATION');
      expect((e as ValidationError).message).toMatch(/U\+[0-9A-F]{4}/);
    }
  });
});

describe('ICAO 9303-5 §4.2.3 / 9303-4 §4.2.3 truncation examples', () => {
  it('TD1 secondary identifier to initials: NILAVADHANANANDA<<CHAYAPA<DE<K', () => {
    expect(mrzNameField('Nilavadhanananda', 'Chayapa Dejthamrong Krasuang', 30)).toBe('NILAVADHANANANDA<<CHAYAPA<DE<K');
  });

  it('TD3 secondary identifier to initials: …<<CHAYAPA<DEJTHAMRONG<K', () => {
    expect(mrzNameField('Nilavadhanananda', 'Chayapa Dejthamrong Krasuang', 39)).toBe(
      'NILAVADHANANANDA<<CHAYAPA<DEJTHAMRONG<K',
    );
  });

  it('TD1 primary identifier to initials: BENNELONG<WOOLOOMOOLOO<W<W<<DI', () => {
    expect(mrzNameField('Bennelong Wooloomooloo Warrandyte Warnambool', 'Dingo Potoroo', 30)).toBe(
      'BENNELONG<WOOLOOMOOLOO<W<W<<DI',
    );
  });

  it('exact fit is not truncated: PAPANDROPOULOUS<<JONATHON<ALEC', () => {
    expect(mrzNameField('Papandropoulous', 'Jonathon Alec', 30)).toBe('PAPANDROPOULOUS<<JONATHON<ALEC');
  });

  it('multi-component names fit unchanged (§4.2.3.4)', () => {
    expect(mrzNameField('Van Der Muellen', 'Martin', 30)).toBe('VAN<DER<MUELLEN<<MARTIN<<<<<<<');
    expect(mrzNameField('Al-Basri', 'Huda Muhammad Jawad', 30)).toBe('AL<BASRI<<HUDA<MUHAMMAD<JAWAD<');
  });

  it('a truncated field always ends with a letter and has the right width', () => {
    const names = ['Tôn Nữ Thị Phương Thảo Nguyên Hạnh Dung', 'Nguyễn Phước Vĩnh Thụy Bảo Long Hoàng Thái Tử', 'A B C D E F G H I J K L M N O P Q R S T'];
    for (const n of names) {
      const f = vietnameseMrzName(n);
      expect(f).toHaveLength(30);
      expect(f).toMatch(/^[A-Z<]+$/);
      expect(f.replace(/<+$/, '')).toMatch(/[A-Z]$/);
    }
  });

  it('a primary identifier alone longer than the field is cut to end with a letter', () => {
    const f = mrzNameField('Wolfeschlegelsteinhausenbergerdorff Jr', '', 30);
    expect(f).toHaveLength(30);
    expect(f).toMatch(/^WOLFESCHLEGEL[A-Z]*<?[A-Z]*$/);
    expect(f).toMatch(/[A-Z]$/);
  });
});
