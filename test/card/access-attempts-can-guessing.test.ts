/**
 * Issue 10 item 6: the virtual chip resists guessing the CAN (and the MRZ key) as real chips do.
 * After each failed PACE or BAC the chip waits longer before its next password check, a success
 * clears the count, and the count survives a restart in the card image. No timing assertions: the
 * chip reports the delay it decided (accessDelayMs), a test-only sleep records the waits the
 * drivers made it perform, and the real wait is shown on fake timers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { FIRST_DELAY_MS, MAX_DELAY_MS, failureDelayMs } from '../../src/card/access-attempts.js';
import { VirtualChip } from '../../src/card/chip.js';
import { decodeImage, encodeImage, ImageFile, loadImage, type ChipImage } from '../../src/card/image.js';
import { encodeCardAccess } from '../../src/lds/card-access.js';
import { protocolOid } from '../../src/lds/security-infos.js';
import { openCard, type AccessKey } from '../../src/reader/card-session.js';
import { InProcessTransport } from '../../src/reader/in-process.js';
import { h, LOCK, mrzSeedApdu, ok, SELECT_LDS1, writeFile } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cancuoc-attempts-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.useRealTimers());

const CAN = '012345';
const MRZ = { documentNumber: '099012345', dateOfBirth: '990101', dateOfExpiry: '240101' };
const WRONG_MRZ = { ...MRZ, dateOfBirth: '990102' };

/** A locked chip with an MRZ key, the CAN 012345 and EF.CardAccess offering PACE ECDH-GM-AES-128 on brainpoolP256r1. */
function lockedImage(): ChipImage {
  const chip = new VirtualChip();
  ok(chip, SELECT_LDS1);
  ok(chip, mrzSeedApdu(MRZ.documentNumber, MRZ.dateOfBirth, MRZ.dateOfExpiry));
  ok(chip, '00DA0065' + '0A65080406' + Buffer.from(CAN).toString('hex'));
  writeFile(chip, 0x011c, encodeCardAccess([{ kind: 'pace', protocol: protocolOid('pace', 'ECDH', 'GM', 'AES-128')!, version: 2, parameterId: 13 }]));
  ok(chip, h(LOCK));
  return chip.image();
}

/** A chip whose waits are recorded instead of slept. */
function recordingChip(image: ChipImage, options: { persistence?: ImageFile } = {}): { chip: VirtualChip; waits: number[] } {
  const waits: number[] = [];
  const chip = new VirtualChip(image, { ...options, testOnlySleep: async (ms) => void waits.push(ms) });
  return { chip, waits };
}

const open = (chip: VirtualChip, key: AccessKey, method: 'pace' | 'bac' = 'pace') => openCard(InProcessTransport.open(chip), key, { method });

describe('failed PACE and BAC attempts slow the next ones down', () => {
  it('5 wrong CANs: the delay the chip decides strictly grows, and each next attempt waits it', async () => {
    const { chip, waits } = recordingChip(lockedImage());
    expect(chip.accessDelayMs).toBe(0);
    const decided: number[] = [];
    for (const guess of ['000000', '111111', '222222', '333333', '444444']) {
      await expect(open(chip, { can: guess })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
      decided.push(chip.accessDelayMs);
    }
    expect(chip.accessFailures).toBe(5);
    expect(decided[0]).toBeGreaterThan(0);
    for (let i = 1; i < decided.length; i++) expect(decided[i]).toBeGreaterThan(decided[i - 1]!);
    // the first guess found no failure to wait for; every later one waited what the previous failure decided
    expect(waits).toEqual(decided.slice(0, 4));
  });

  it('a wrong MRZ over BAC counts too; a success waits once more, then clears the count', async () => {
    const { chip, waits } = recordingChip(lockedImage());
    await expect(open(chip, { can: '999999' })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await expect(open(chip, WRONG_MRZ, 'bac')).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect(chip.accessFailures).toBe(2);
    const pending = chip.accessDelayMs;
    const session = await open(chip, { can: CAN });
    expect(session.accessControl).toBe('PACE');
    await session.close();
    expect(waits).toEqual([failureDelayMs(1), pending]);
    expect(chip.accessFailures).toBe(0);
    expect(chip.accessDelayMs).toBe(0);
    // BAC with the right MRZ after a failure: the same rule
    await expect(open(chip, WRONG_MRZ, 'bac')).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await (await open(chip, MRZ, 'bac')).close();
    expect(waits).toHaveLength(3);
    expect(chip.accessFailures).toBe(0);
  });

  it('the count is in the card image before the chip answers, and a restarted chip keeps it', async () => {
    const file = path.join(dir, 'card.json');
    const store = new ImageFile(file, { delayMs: 60_000 });
    const { chip } = recordingChip(lockedImage(), { persistence: store });
    for (const guess of ['000001', '000002', '000003']) await expect(open(chip, { can: guess })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    // no flush by the test: the chip wrote the image itself before each 6300
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).accessFailures).toBe(3);
    const restarted = recordingChip(loadImage(file));
    expect(restarted.chip.accessFailures).toBe(3);
    expect(restarted.chip.accessDelayMs).toBe(chip.accessDelayMs);
    await (await open(restarted.chip, { can: CAN })).close();
    expect(restarted.waits).toEqual([failureDelayMs(3)]);
  });

  it('images without the count (written before it existed) still load, with no failures', () => {
    const text = new TextDecoder().decode(encodeImage(lockedImage()));
    expect(text).not.toContain('accessFailures'); // a chip without failures writes the old format
    const old = decodeImage(new TextEncoder().encode(text));
    expect(new VirtualChip(old).accessFailures).toBe(0);
    const edited = text.replace('"locked": true', '"locked": true, "accessFailures": -1');
    expect(() => decodeImage(new TextEncoder().encode(edited))).toThrow(/accessFailures/);
  });

  it('the schedule: doubling from FIRST_DELAY_MS, capped at MAX_DELAY_MS', () => {
    expect([0, 1, 2, 3].map(failureDelayMs)).toEqual([0, FIRST_DELAY_MS, 2 * FIRST_DELAY_MS, 4 * FIRST_DELAY_MS]);
    expect(failureDelayMs(30)).toBe(MAX_DELAY_MS);
    expect(failureDelayMs(1_000_000)).toBe(MAX_DELAY_MS);
  });

  it('without the test-only sleep the chip really waits: a timer of the decided length, before the password check only', async () => {
    const chip = new VirtualChip({ ...lockedImage(), accessFailures: 2 });
    const delay = chip.accessDelayMs;
    vi.useFakeTimers();
    expect(chip.delayBefore(h('1086000002' + '7C00'))).toBeUndefined(); // chained GA: not the token step
    expect(chip.delayBefore(h('00B0000000'))).toBeUndefined();
    const wait = chip.delayBefore(h('008600000C' + '7C0A850800000000000000' + '00'));
    expect(wait).toBeInstanceOf(Promise);
    let done = false;
    void wait!.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(delay - 1);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    expect(chip.delayBefore(h('0082000028' + '00'.repeat(40) + '28'))).toBeInstanceOf(Promise); // BAC EXTERNAL AUTHENTICATE
  });
});
