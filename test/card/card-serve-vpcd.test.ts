/**
 * `cancuoc card serve` through the real PC/SC stack (pcscd + vsmartcard vpcd + pcsclite): the
 * chip answers with its ATR, is personalized with the JMRTD example over PC/SC, read back with
 * BAC, and Ctrl-C (SIGINT) removes the card, saves the image and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chipAtr } from '../../src/card/atr.js';
import { loadImage } from '../../src/card/image.js';
import { bacKeys, terminalAuthenticationData, terminalCompleteAuthentication } from '../../src/crypto/bac.js';
import { SecureMessaging } from '../../src/crypto/secure-messaging.js';
import { commandApdu, encodeCommandApdu } from '../../src/lds/apdu.js';
import { connect, ReaderWatch, waitForCard, type PcscTransport } from '../../src/reader/pcsc.js';
import { acquireVpcdSlot, pcscStatus, type HeldSlot } from '../helpers/pcscd.js';
import { apdu, h, up } from './helpers.js';

const status = pcscStatus();
const ROOT = path.resolve(import.meta.dirname, '../..');

const JMRTD_EXAMPLE = [
  '00A4040C07A0000002471001',
  '00DA00621D621B04094C383938393032433304063734303831320406333031323331',
  '00E000000663040017011E',
  '00A4020C02011E',
  '00D600001760155F0104303130375F36063034303030305C03616E6F',
  '00DADEAD',
];

describe.skipIf(!status.available)('cancuoc card serve over pcscd + vpcd', () => {
  let slot: HeldSlot;
  let child: ChildProcess | undefined;
  let transport: PcscTransport | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cancuoc-serve-'));
  const image = path.join(dir, 'card.json');

  beforeAll(async () => {
    slot = await acquireVpcdSlot();
    const watch = await ReaderWatch.open(slot.reader, { timeoutMs: 10_000 });
    await watch.waitForRemoval(10_000);
    await watch.close();
  });

  afterAll(async () => {
    await transport?.close().catch(() => undefined);
    child?.kill('SIGKILL');
    slot?.release();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function cli(...args: string[]): ChildProcess {
    return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bin/cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  it('card new, card serve, personalize over PC/SC, BAC read, SIGINT removes the card and saves', async () => {
    const made = cli('card', 'new', '--out', image);
    expect(await new Promise((resolve) => made.once('exit', resolve))).toBe(0);

    child = cli('card', 'serve', '--image', image, '--port', String(slot.port));
    const output: string[] = [];
    child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    const card = await waitForCard({ reader: slot.reader, timeoutMs: 20_000 });
    expect(up(card.atr!)).toBe(up(chipAtr()));
    transport = await connect(slot.reader);
    const send = async (bytes: Uint8Array): Promise<string> => up(await transport!.transmit(bytes));

    expect(await send(h('00A4000C023F00'))).toBe('6D00');
    for (const command of JMRTD_EXAMPLE) expect(await send(h(command))).toBe('9000');

    // BAC with MRZ_information L898902C3 6 740812 2 301231 6, then a protected READ of EF.COM
    const keys = bacKeys('L898902C3674081223012316');
    const challenge = h(await send(h('0084000008')));
    const rndIc = challenge.subarray(0, 8);
    const terminal = { rndIfd: h('0102030405060708'), kIfd: h('00112233445566778899AABBCCDDEEFF') };
    const auth = h(await send(apdu(0x00, 0x82, 0, 0, terminalAuthenticationData(keys, rndIc, terminal), 40)));
    const sm = new SecureMessaging(terminalCompleteAuthentication(keys, rndIc, terminal, auth.subarray(0, 40)));
    const select = sm.protectCommand(commandApdu({ cla: 0, ins: 0xa4, p1: 2, p2: 0x0c, data: h('011E') }));
    expect(sm.unprotectResponse(await transport.transmit(encodeCommandApdu(select))).sw).toBe(0x9000);
    const read = sm.protectCommand(commandApdu({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 65536, extended: true }));
    const com = sm.unprotectResponse(await transport.transmit(encodeCommandApdu(read)));
    expect(up(com.data)).toBe('60155F0104303130375F36063034303030305C03616E6F');

    await transport.close();
    transport = undefined;
    const watch = await ReaderWatch.open(slot.reader, { timeoutMs: 10_000 });
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child!.once('exit', resolve));
    expect(code, output.join('')).toBe(0);
    await watch.waitForRemoval(10_000);
    await watch.close();
    child = undefined;
    const saved = loadImage(image);
    expect(saved.locked).toBe(true);
    expect(saved.mrzInformation).toBe('L898902C3674081223012316');
  }, 60_000);
});
