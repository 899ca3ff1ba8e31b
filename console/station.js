// Station scanner: frames from the camera are decoded in the browser by zxing-wasm (served by
// this server, no CDN); each new code goes to POST /v1/qr/verify as its exact bytes. The verdict
// shows in colour with a sound: one high tone for VALID, two low ones otherwise.
import { apiKeyInput, fieldList, t, translatePage, verdictBox } from '/console/i18n.js';

translatePage();
const $ = (id) => document.getElementById(id);
const key = apiKeyInput($('key'));
const ZX = globalThis.ZXingWASM;
ZX.prepareZXingModule({ overrides: { locateFile: (file) => `/console/zxing/${file}` }, fireImmediately: true });
verdictBox($('verdict'), 'WAIT');

let audio;
function beep(ok) {
  audio ??= new AudioContext();
  const tones = ok ? [880] : [220, 220];
  tones.forEach((hz, i) => {
    const osc = audio.createOscillator();
    osc.frequency.value = hz;
    osc.connect(audio.destination);
    osc.start(audio.currentTime + i * 0.25);
    osc.stop(audio.currentTime + i * 0.25 + 0.18);
  });
}

function showError(text) {
  $('error').textContent = text;
  $('error').classList.remove('hidden');
}

function base64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

async function verify(bytes) {
  const res = await fetch('/v1/qr/verify', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key()}` }, body: JSON.stringify({ bytes: base64(bytes) }) });
  const answer = await res.json();
  if (!res.ok) {
    showError(answer.error?.code === 'UNAUTHORIZED' ? t('errKey') : answer.error?.code === 'RATE_LIMITED' ? t('errRate') : t('errOther') + (answer.error?.message ?? res.status));
    return;
  }
  $('error').classList.add('hidden');
  verdictBox($('verdict'), answer.verdict);
  const code = answer.codes?.[0];
  $('note').textContent = code?.kind === 'cccd-text' ? t('unsignedNote') : (code?.reason ?? '');
  $('fields').replaceChildren(fieldList(code?.fields ?? {}));
  document.body.dataset.verdict = answer.verdict;
  beep(answer.verdict === 'VALID');
}

async function scan(video) {
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  let last = '';
  for (;;) {
    if (video.videoWidth > 0) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      ctx.drawImage(video, 0, 0);
      const results = await ZX.readBarcodes(ctx.getImageData(0, 0, canvas.width, canvas.height), { formats: ['QRCode'], maxNumberOfSymbols: 1 });
      const found = results.find((r) => r.isValid);
      if (found) {
        const id = base64(found.bytes);
        if (id !== last) {
          last = id;
          await verify(found.bytes).catch((e) => showError(t('errOther') + e));
        }
      }
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

$('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    const video = $('video');
    video.srcObject = stream;
    await video.play();
    void scan(video);
  } catch {
    showError(t('errCamera'));
  }
});
