/**
 * The QR printed on a card against its chip (issue 4, cccd-profile.md "The QR code printed on the
 * card"): the plain QR carries no signature, so it is only as good as its agreement with a chip
 * that passed verification. Every field the QR carries must equal the chip's DG13.
 */

/** QR fields as `parseCccdText` or `readCccdSeal` give them: ISO dates, sex M/F, null for absent. */
export interface QrFields {
  readonly personalId?: string;
  readonly fullName?: string;
  readonly dateOfBirth?: string;
  readonly sex?: string;
  readonly nationality?: string;
  readonly placeOfOrigin?: string;
  /** `address` in the plain text, `placeOfResidence` in the seal. */
  readonly address?: string;
  readonly placeOfResidence?: string;
  readonly dateOfIssue?: string;
  readonly dateOfExpiry?: string | null;
  readonly oldIdNumber?: string | null;
}

export interface QrChipCheck {
  readonly field: string;
  readonly qr: string | null;
  readonly chip: string | null;
  readonly match: boolean;
}

/** QR field → the DG13 field it must equal, and how DG13 writes it (cccd-profile.md DG13 table). */
const PAIRS: readonly (readonly [keyof QrFields, string, 'text' | 'date' | 'sex'])[] = [
  ['personalId', 'personalId', 'text'],
  ['fullName', 'fullName', 'text'],
  ['dateOfBirth', 'dateOfBirth', 'date'],
  ['sex', 'sex', 'sex'],
  ['nationality', 'nationality', 'text'],
  ['placeOfOrigin', 'placeOfOrigin', 'text'],
  ['address', 'placeOfResidence', 'text'],
  ['placeOfResidence', 'placeOfResidence', 'text'],
  ['dateOfIssue', 'dateOfIssue', 'date'],
  ['dateOfExpiry', 'dateOfExpiry', 'date'],
  ['oldIdNumber', 'oldIdNumber', 'text'],
];

/** DG13 `dd/MM/yyyy` → ISO; "Không thời hạn" (no expiry) → null. */
function chipValue(value: string | undefined, kind: 'text' | 'date' | 'sex'): string | null {
  if (value === undefined || value === '') return null;
  const text = value.normalize('NFC');
  if (kind === 'sex') return text === 'Nam' ? 'M' : text === 'Nữ' ? 'F' : text;
  if (kind === 'date') {
    const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
    return m === null ? (/thời hạn/i.test(text) ? null : text) : `${m[3]}-${m[2]}-${m[1]}`;
  }
  return text;
}

/** One entry per field the QR carries; `chip` is the DG13 map of the verification report. */
export function crossCheckQr(qr: QrFields, chip: Readonly<Record<string, string>>): readonly QrChipCheck[] {
  const checks: QrChipCheck[] = [];
  for (const [qrField, chipField, kind] of PAIRS) {
    if (!(qrField in qr)) continue;
    const raw = qr[qrField];
    const q = raw === undefined || raw === null || raw === '' ? null : raw.normalize('NFC');
    const c = chipValue(chip[chipField], kind);
    checks.push(Object.freeze({ field: qrField, qr: q, chip: c, match: q === c }));
  }
  return Object.freeze(checks);
}
