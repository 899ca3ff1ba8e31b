/**
 * The console in a real browser: Debian's chromium driven by playwright-core (no browser
 * download). The station page gets a fake camera playing a YUV4MPEG2 video of a sealed QR made by
 * `cancuoc qr make --seal`, decodes it in the page with zxing-wasm served by the service, and must
 * show VALID and the holder's name. The checkpoint page has the service read a virtual chip served
 * by `cancuoc card serve` through pcscd + vpcd. Screenshots go to test-artifacts/console/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import QRCode from 'qrcode';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveImage } from '../../src/card/image.js';
import { initPki } from '../../src/crypto/pki.js';
import type { DocumentSet } from '../../src/issuance/document-set.js';
import { ReaderWatch, waitForCard } from '../../src/reader/pcsc.js';
import { openServiceStore } from '../../src/service/store.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/openssl-pki.js';
import { acquireVpcdSlot, pcscStatus, type HeldSlot } from '../helpers/pcscd.js';
import { issueCard, makePki, personalizedChip, type TestPki } from '../verify/cards.js';
import { serve, type Served } from './serve.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts/console');
const record = JSON.parse(readFileSync(join(ROOT, 'fixtures/citizens/citizen-01.json'), 'utf8')) as { id: string; fullName: string };
const pcsc = pcscStatus();
/** Records the tones the page starts (the sound cue), whatever the headless audio output does. */
const COUNT_TONES = 'const start = OscillatorNode.prototype.start; window.__tones = []; OscillatorNode.prototype.start = function (...a) { window.__tones.push(this.frequency.value); return start.apply(this, a); };';
const HOSTILE_NAME = '<img src=x onerror="document.title=1">Lê Thị B';
const HOSTILE_TEXT = `001099012345|123456789|${HOSTILE_NAME}|01011999|Nữ|Số 1, Hà Nội|15032021`;

/**
 * A YUV4MPEG2 video (4:2:0, the format chromium's fake capture reads) of one still image: the
 * luminance of the PNG centred on white, chroma neutral, a few identical frames (played in a loop).
 */
async function y4mOf(png: string, out: string, width = 640, height = 480): Promise<void> {
  const luma = await sharp(png).greyscale().resize(width - 80, height - 80, { fit: 'contain', background: '#fff' })
    .extend({ top: 40, bottom: 40, left: 40, right: 40, background: '#fff' }).raw().toBuffer();
  expect(luma.length).toBe(width * height);
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma]);
  writeFileSync(out, Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`), ...Array<Buffer>(10).fill(frame)]));
}

async function browser(dir: string, extraArgs: readonly string[] = []): Promise<BrowserContext> {
  return chromium.launchPersistentContext(join(dir, `profile-${Date.now()}`), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
    viewport: { width: 1100, height: 1000 },
  });
}

async function withKey(context: BrowserContext, key: string): Promise<Page> {
  // A string script: the test is compiled without the DOM library.
  await context.addInitScript(`localStorage.setItem('cancuoc.apiKey', ${JSON.stringify(key)})`);
  const page = await context.newPage();
  // Everything the page loads must come from the service itself.
  page.on('request', (r) => expect(r.url().startsWith('http://127.0.0.1:') || r.url().startsWith('data:') || r.url().startsWith('blob:'), r.url()).toBe(true));
  return page;
}

describe.skipIf(!existsSync(CHROMIUM))('the console in chromium', () => {
  const tmp = tempDir('cancuoc-console-');
  const p = (name: string) => join(tmp.path, name);
  let pki: TestPki;
  let server: Served;
  let key: string;
  let slot: HeldSlot | undefined;
  let card: DocumentSet;
  let chip: ChildProcess | undefined;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    pki = makePki();
    card = await issueCard('01', pki.ds);
    writeFileSync(p('csca.der'), pki.csca.cert.der);
    await initPki({ dir: p('seal-pki'), suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true });
    const made = runCli(['qr', 'make', '--record', 'fixtures/citizens/citizen-01.json', '--seal', '--pki', p('seal-pki'), '--out', p('seal.png')]);
    expect(made.status, made.stderr).toBe(0);
    await y4mOf(p('seal.png'), p('seal.y4m'));
    // The plain CCCD text, written by the qrcode package, with markup where the name goes.
    writeFileSync(p('plain.png'), await QRCode.toBuffer([{ data: Buffer.from(HOSTILE_TEXT, 'utf8'), mode: 'byte' }], { errorCorrectionLevel: 'M', type: 'png', scale: 6 }));
    await y4mOf(p('plain.png'), p('plain.y4m'));
    if (pcsc.available) slot = await acquireVpcdSlot();
    const store = openServiceStore(p('registry.db'), { create: true });
    key = store.addClient('checkpoint-1', new Date());
    store.close();
    server = await serve([
      ...['--db', p('registry.db'), '--trust', p('csca.der'), p('seal-pki'), '--workers', '1'],
      ...(slot === undefined ? [] : ['--reader', slot.reader]),
    ]);
  });

  /** Stops `cancuoc card serve` and waits until pcscd sees the card gone. */
  async function removeCard(): Promise<void> {
    const child = chip;
    if (child === undefined) return;
    chip = undefined;
    const watch = await ReaderWatch.open(slot!.reader, { timeoutMs: 10_000 });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
    await watch.waitForRemoval(10_000).catch(() => undefined);
    await watch.close();
  }

  afterAll(async () => {
    await removeCard();
    slot?.release();
    expect(await server?.stop()).toBe(0);
    pki?.remove();
    tmp.remove();
  });

  it('station: the camera sees a sealed QR, the page shows VALID and the holder’s name', async () => {
    const context = await browser(tmp.path, ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${p('seal.y4m')}`]);
    try {
      await context.addInitScript(COUNT_TONES);
      const page = await withKey(context, key);
      await page.goto(`${server.url}/console/station.html`);
      expect(await page.locator('h1').textContent()).toBe('Máy quét QR');
      await page.click('#start');
      await page.waitForSelector('#verdict.VALID', { timeout: 45_000 });
      expect(await page.locator('#verdict').textContent()).toBe('HỢP LỆ');
      expect(await page.locator('#fields').textContent()).toContain(record.fullName);
      expect(await page.locator('#fields').textContent()).toContain('Họ và tên');
      expect(await page.locator('#fields').textContent()).toContain('Ngày sinh01/01/1999Giới tínhNam'); // as the card prints them
      expect(await page.evaluate('window.__tones')).toEqual([880]);
      await page.screenshot({ path: join(ARTIFACTS, 'station-valid.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('station: the plain CCCD text shows as not signed, its markup as text', async () => {
    const context = await browser(tmp.path, ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${p('plain.y4m')}`]);
    try {
      await context.addInitScript(COUNT_TONES);
      const page = await withKey(context, key);
      await page.goto(`${server.url}/console/station.html?lang=en`);
      await page.click('#start');
      await page.waitForSelector('#verdict.UNSIGNED', { timeout: 45_000 });
      expect(await page.locator('#verdict').textContent()).toBe('NOT SIGNED');
      expect(await page.locator('#note').textContent()).toBe('Plain-text QR: not signed, anyone can write one.');
      expect(await page.locator('#fields').textContent()).toContain(HOSTILE_NAME);
      expect(await page.locator('#fields img').count()).toBe(0);
      expect(await page.evaluate('window.__tones')).toEqual([220, 220]);
      expect(await page.title()).toBe('cancuoc');
      await page.screenshot({ path: join(ARTIFACTS, 'station-unsigned-en.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it.skipIf(!pcsc.available)('checkpoint: a wrong CAN and no card are one plain sentence each; the right CAN shows photo, DG13 fields, checks and VALID', async () => {
    const image = p('card.json');
    saveImage(image, (await personalizedChip({ set: card })).image());
    chip = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bin/cli.ts'), 'card', 'serve', '--image', image, '--port', String(slot!.port)], { cwd: ROOT, stdio: 'ignore' });
    await waitForCard({ reader: slot!.reader, timeoutMs: 20_000 });
    const context = await browser(tmp.path);
    try {
      const page = await withKey(context, key);
      await page.goto(`${server.url}/console/checkpoint.html`);
      const wrong = card.can === '000000' ? '111111' : '000000';
      await page.fill('#access', wrong);
      await page.click('#read');
      await page.waitForSelector('#error:not(.hidden)', { timeout: 45_000 });
      expect(await page.locator('#error').textContent()).toBe('Sai số CAN: chip từ chối truy cập.');
      await page.screenshot({ path: join(ARTIFACTS, 'checkpoint-wrong-can.png'), fullPage: true });

      await page.fill('#access', record.id);
      await page.click('#read');
      await page.waitForSelector('#verdict.VALID', { timeout: 60_000 });
      expect(await page.locator('#verdict').textContent()).toBe('HỢP LỆ');
      expect(await page.locator('#fields').textContent()).toContain(record.fullName);
      expect(await page.locator('#fields').textContent()).toContain('Nơi thường trú');
      expect(await page.locator('#photo').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(50);
      const rows = await page.locator('#checks tr').count();
      expect(rows).toBeGreaterThan(10);
      expect(await page.locator('#checks').textContent()).toContain('aa');
      await page.screenshot({ path: join(ARTIFACTS, 'checkpoint-valid.png'), fullPage: true });

      await page.goto(`${server.url}/console/checkpoint.html?lang=en`);
      expect(await page.locator('h1').textContent()).toBe('Checkpoint');
      await removeCard();
      await page.fill('#access', card.can);
      await page.click('#read');
      await page.waitForSelector('#error:not(.hidden)', { timeout: 45_000 });
      expect(await page.locator('#error').textContent()).toBe('There is no card on the reader.');
      await page.screenshot({ path: join(ARTIFACTS, 'checkpoint-no-card-en.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
