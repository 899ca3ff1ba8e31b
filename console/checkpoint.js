// Checkpoint: the server reads the card on its PC/SC reader (POST /v1/card/verify) and the page
// shows the photo, the DG13 fields, every check and the verdict; failures in one plain sentence.
import { apiKeyInput, el, fieldList, t, translatePage, verdictBox } from '/console/i18n.js';

translatePage();
const $ = (id) => document.getElementById(id);
const key = apiKeyInput($('key'));

const ERRORS = { NO_CARD: 'errNoCard', ACCESS_DENIED: 'errAccess', UNAUTHORIZED: 'errKey', BAD_REQUEST: 'errInput', RATE_LIMITED: 'errRate', NO_READER: 'errReader' };

function showError(code, message) {
  $('result').classList.add('hidden');
  const box = $('error');
  box.textContent = ERRORS[code] ? t(ERRORS[code]) : t('errOther') + message;
  box.classList.remove('hidden');
}

function showReport(report) {
  $('error').classList.add('hidden');
  verdictBox($('verdict'), report.verdict);
  const photo = $('photo');
  if (typeof report.faceImage === 'string' && report.faceImage.startsWith('data:image/')) photo.src = report.faceImage;
  else photo.removeAttribute('src');
  photo.alt = t('photo');
  $('fields').replaceChildren(fieldList(report.personal ?? {}));
  const rows = (report.checks ?? []).map((c) => {
    const tr = el('tr');
    tr.append(el('td', c.id), el('td', t(c.status), c.status), el('td', c.reason));
    return tr;
  });
  $('checks').replaceChildren(...rows);
  $('result').classList.remove('hidden');
}

$('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const value = $('access').value.trim();
  const body = /^\d{6}$/.test(value) ? { can: value } : /^\d{12}$/.test(value) ? { id: value } : undefined;
  if (body === undefined) return showError('BAD_REQUEST', '');
  verdictBox($('verdict'), 'WAIT');
  $('verdict').textContent = t('reading');
  $('read').disabled = true;
  try {
    const res = await fetch('/v1/card/verify', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key()}` }, body: JSON.stringify(body) });
    const answer = await res.json();
    if (res.ok) showReport(answer);
    else showError(answer.error?.code, answer.error?.message ?? String(res.status));
  } catch (e) {
    showError('', String(e));
  } finally {
    $('read').disabled = false;
  }
});
