// The console's words, Vietnamese first (?lang=en for English), and DOM helpers that only ever
// set text: every value from a card, a QR code or the server goes through textContent.
const STRINGS = {
  vi: {
    title: 'cancuoc — bảng điều khiển', checkpoint: 'Trạm kiểm soát', station: 'Máy quét QR', apiKey: 'Khóa API',
    can: 'Số CAN (6 chữ số) hoặc số định danh (12 chữ số)', read: 'Đọc thẻ', reading: 'Đang đọc thẻ…',
    checks: 'Các bước kiểm tra', check: 'Kiểm tra', status: 'Kết quả', reason: 'Lý do', photo: 'Ảnh chân dung',
    VALID: 'HỢP LỆ', INVALID: 'KHÔNG HỢP LỆ', UNTRUSTED: 'KHÔNG TIN CẬY', UNSIGNED: 'KHÔNG CÓ CHỮ KÝ', UNREADABLE: 'KHÔNG ĐỌC ĐƯỢC',
    WAIT: 'Đang chờ mã QR…', camera: 'Máy ảnh', startCamera: 'Bật máy ảnh', unsignedNote: 'Mã QR văn bản thường: không có chữ ký, ai cũng có thể tạo.',
    pass: 'đạt', fail: 'không đạt', warn: 'cảnh báo', 'not-applicable': 'không áp dụng', 'not-bound': 'không gắn với SOD',
    errNoCard: 'Không có thẻ trên đầu đọc.', errAccess: 'Sai số CAN: chip từ chối truy cập.', errKey: 'Khóa API không hợp lệ.',
    errInput: 'Hãy nhập 6 chữ số CAN hoặc 12 chữ số định danh.', errOther: 'Không kiểm tra được: ', errCamera: 'Không mở được máy ảnh.',
    errRate: 'Quá nhiều yêu cầu, hãy thử lại sau.', errReader: 'Máy chủ này không có đầu đọc thẻ.',
    personalId: 'Số định danh', fullName: 'Họ và tên', dateOfBirth: 'Ngày sinh', sex: 'Giới tính', nationality: 'Quốc tịch',
    ethnicity: 'Dân tộc', religion: 'Tôn giáo', placeOfOrigin: 'Quê quán', placeOfResidence: 'Nơi thường trú', address: 'Nơi thường trú',
    identifyingMarks: 'Đặc điểm nhận dạng', dateOfIssue: 'Ngày cấp', dateOfExpiry: 'Có giá trị đến', father: 'Họ tên cha',
    mother: 'Họ tên mẹ', spouse: 'Vợ/chồng', oldIdNumber: 'Số CMND cũ', serial: 'Số seri',
  },
  en: {
    title: 'cancuoc — console', checkpoint: 'Checkpoint', station: 'QR station', apiKey: 'API key',
    can: 'CAN (6 digits) or personal ID (12 digits)', read: 'Read card', reading: 'Reading the card…',
    checks: 'Checks', check: 'Check', status: 'Result', reason: 'Reason', photo: 'Photo',
    VALID: 'VALID', INVALID: 'INVALID', UNTRUSTED: 'UNTRUSTED', UNSIGNED: 'NOT SIGNED', UNREADABLE: 'UNREADABLE',
    WAIT: 'Waiting for a QR code…', camera: 'Camera', startCamera: 'Start camera', unsignedNote: 'Plain-text QR: not signed, anyone can write one.',
    pass: 'pass', fail: 'fail', warn: 'warning', 'not-applicable': 'n/a', 'not-bound': 'not bound to the SOD',
    errNoCard: 'There is no card on the reader.', errAccess: 'Wrong CAN: the chip refused access.', errKey: 'The API key is not valid.',
    errInput: 'Enter the 6-digit CAN or the 12-digit personal ID.', errOther: 'Could not check: ', errCamera: 'The camera could not be opened.',
    errRate: 'Too many requests; try again shortly.', errReader: 'This server has no card reader.',
    personalId: 'Personal ID', fullName: 'Full name', dateOfBirth: 'Date of birth', sex: 'Sex', nationality: 'Nationality',
    ethnicity: 'Ethnicity', religion: 'Religion', placeOfOrigin: 'Place of origin', placeOfResidence: 'Place of residence', address: 'Place of residence',
    identifyingMarks: 'Identifying marks', dateOfIssue: 'Date of issue', dateOfExpiry: 'Valid until', father: "Father's name",
    mother: "Mother's name", spouse: 'Spouse', oldIdNumber: 'Old ID number', serial: 'Serial',
  },
};

export const lang = new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'vi';
export const t = (key) => STRINGS[lang][key] ?? key;
export const FIELDS = ['personalId', 'fullName', 'dateOfBirth', 'sex', 'nationality', 'ethnicity', 'religion', 'placeOfOrigin',
  'placeOfResidence', 'address', 'identifyingMarks', 'dateOfIssue', 'dateOfExpiry', 'father', 'mother', 'spouse', 'oldIdNumber'];

/** An element with text (never HTML) and optional class. */
export function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

/** Fills every [data-t] element with its words and sets the page language. */
export function translatePage() {
  document.documentElement.lang = lang;
  for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
  for (const a of document.querySelectorAll('a[data-keep-lang]')) if (lang === 'en') a.href += '?lang=en';
}

/** The API key, kept in this browser only. */
export function apiKeyInput(input) {
  input.value = localStorage.getItem('cancuoc.apiKey') ?? '';
  input.addEventListener('change', () => localStorage.setItem('cancuoc.apiKey', input.value.trim()));
  return () => input.value.trim();
}

export function verdictBox(box, verdict) {
  box.className = `verdict ${verdict}`;
  box.textContent = t(verdict);
}

/** QR seals write sex as M/F and dates as ISO 8601; shown as the card prints them (DG13 already does). */
function shown(key, value) {
  if (key === 'sex' && (value === 'M' || value === 'F')) return lang === 'vi' ? (value === 'M' ? 'Nam' : 'Nữ') : (value === 'M' ? 'Male' : 'Female');
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return iso === null ? value : `${iso[3]}/${iso[2]}/${iso[1]}`;
}

/** DG13-style fields as a definition list, in the profile's order. */
export function fieldList(fields) {
  const dl = el('dl');
  for (const k of FIELDS) {
    const v = fields?.[k];
    if (v === undefined || v === null || v === '') continue;
    dl.append(el('dt', t(k)), el('dd', Array.isArray(v) ? v.join(' | ') : shown(k, String(v))));
  }
  return dl;
}
