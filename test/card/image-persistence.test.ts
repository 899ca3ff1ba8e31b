/**
 * The card image (src/card/image.ts): the whole chip state survives a save and a load, writes are
 * atomic (a process killed with SIGKILL in the middle of saving leaves a loadable image; a
 * half-written temp file is ignored), the chip flushes before the lock answers 9000, and a
 * damaged image is a ParseError, never a crash.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtualChip } from '../../src/card/chip.js';
import { decodeImage, encodeImage, ImageFile, loadImage, saveImage } from '../../src/card/image.js';
import { ParseError } from '../../src/lds/errors.js';
import { h, LOCK, mrzSeedApdu, ok, send, SELECT_LDS1, writeFile } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cancuoc-image-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function personalize(chip: VirtualChip): void {
  ok(chip, SELECT_LDS1);
  ok(chip, mrzSeedApdu('099012345', '990101', '240101'));
  ok(chip, '00DA0065' + '0A65080406303132333435');
  writeFile(chip, 0x011e, h('60145F0104303130365F36063034303030305C026175'));
  writeFile(chip, 0x0102, new Uint8Array(randomBytes(3000)));
}

describe('card image encoding', () => {
  it('save → load gives back every part of the state', () => {
    const chip = new VirtualChip();
    personalize(chip);
    const file = path.join(dir, 'round.json');
    saveImage(file, chip.image());
    const loaded = loadImage(file);
    const before = chip.image();
    expect(loaded.serial).toEqual(before.serial);
    expect(loaded.locked).toBe(false);
    // BAC key input of cccd-profile.md: 0990123459 9901018 2401014
    expect(loaded.mrzInformation).toBe('0990123459' + '9901018' + '2401014');
    expect(loaded.can).toBe('012345');
    expect([...loaded.files.keys()].sort()).toEqual([0x0102, 0x011e]);
    expect(loaded.files.get(0x0102)).toEqual(before.files.get(0x0102));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // encode(decode(b)) is the same bytes
    const bytes = new Uint8Array(fs.readFileSync(file));
    expect(encodeImage(decodeImage(bytes))).toEqual(bytes);
  });

  it('damaged images are ParseError CARD_IMAGE_INVALID', () => {
    const good = encodeImage(new VirtualChip().image());
    const cases = [
      good.subarray(0, good.length >> 1),
      new Uint8Array(randomBytes(200)),
      new TextEncoder().encode('{"format":"other"}'),
      new TextEncoder().encode(new TextDecoder().decode(good).replace('"locked": false', '"locked": "no"')),
      new TextEncoder().encode(new TextDecoder().decode(good).replace('"files": {}', '"files": {"011E": "zz"}')),
      new TextEncoder().encode('null'),
    ];
    for (const bytes of cases) {
      let caught: unknown;
      try {
        decodeImage(bytes);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ParseError);
      expect((caught as ParseError).code).toBe('CARD_IMAGE_INVALID');
    }
  });
});

describe('chip persistence', () => {
  it('the lock is on disk before 9000 goes out; a locked image stays locked, an unlocked one can be personalized again', () => {
    const file = path.join(dir, 'lock.json');
    const store = new ImageFile(file, { delayMs: 60_000 });
    const chip = new VirtualChip(undefined, { persistence: store });
    personalize(chip);
    expect(fs.existsSync(file)).toBe(false); // debounced
    store.flush();
    const unlocked = new VirtualChip(loadImage(file));
    expect(send(unlocked, '00E000000663040004011E')).toBe('9000');
    expect(unlocked.image().files.get(0x011e)!.length).toBe(4);
    expect(send(chip, LOCK)).toBe('9000');
    expect(loadImage(file).locked).toBe(true);
    const relocked = new VirtualChip(loadImage(file));
    expect(send(relocked, '00E000000663040004011E')).toBe('6985');
    expect(send(relocked, '00DA0065' + '0A65080406303132333435')).toBe('6985');
  });

  it('a lock whose image cannot be written answers 6581 and leaves the card unlocked', () => {
    const store = new ImageFile(path.join(dir, 'missing-dir', 'x.json'), { delayMs: 60_000 });
    const chip = new VirtualChip(undefined, { persistence: store });
    expect(send(chip, LOCK)).toBe('6581');
    expect(chip.locked).toBe(false);
  });

  it('a half-written temp file left by a crash is ignored', () => {
    const file = path.join(dir, 'crash.json');
    const chip = new VirtualChip();
    personalize(chip);
    saveImage(file, chip.image());
    const leftover = path.join(dir, `.crash.json.${process.pid}.0123456789ab.tmp`);
    fs.writeFileSync(leftover, '{"format":"cancuoc-card-image/1","serial":"01');
    expect(loadImage(file).can).toBe('012345');
    saveImage(file, chip.image());
    expect(loadImage(file).can).toBe('012345');
  });

  it('SIGKILL while saving never leaves a half-written image', async () => {
    const file = path.join(dir, 'killed.json');
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'image-writer.child.ts'), file], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(Math.random() * 300)));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const image = loadImage(file);
      const fill = image.files.get(0x0102)!;
      expect(fill.length).toBe(400_000);
      expect(fill.every((b) => b === fill[0])).toBe(true);
      expect([0x41, 0x42]).toContain(fill[0]);
    }
  });
});
