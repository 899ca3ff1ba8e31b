/**
 * Terminal Authentication v1 on the virtual chip (BSI TR-03110 v1.11, EAC 1; docs/eac.md), in
 * process: personalize with a CVCA trust point and a date, then PACE or BAC, Chip
 * Authentication, TA, DG3. Every rule of the chip has a case that could fail: the chain must
 * start at a trust point, expired certificates are refused, rights are the AND of the CHATs,
 * the date moves only on domestic certificates, a link certificate adds a trust point, TA needs
 * CA, a wrong signature ends the session, DG3 opens only with its right; the image keeps it all.
 * The last case takes a chain made by openpace's cvc-create.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { VirtualChip } from '../../src/card/chip.js';
import { decodeImage, encodeImage, ImageFile, loadImage } from '../../src/card/image.js';
import { createCvcaLink } from '../../src/crypto/cv-pki.js';
import { generateSoftwareKey, softwareSigner } from '../../src/crypto/signer.js';
import { equalBytes } from '../../src/lds/bytes.js';
import { cvDate, decodeCvCertificate, type CvCertificate } from '../../src/lds/cvc.js';
import { CardStatusError, type Exchange } from '../../src/reader/secure-transport.js';
import { performTerminalAuth, type TerminalCredentials } from '../../src/reader/terminal-auth.js';
import { tempDir } from '../crypto/pki/openssl.js';
import { pkcs8Key, tool } from '../crypto/cvc/openpace.js';
import { at, chipWith, cvca, DAY, DG3, session, T0, terminal, type Cvca } from './eac-fixture.js';

async function refusedSw(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CardStatusError);
    return (e as CardStatusError).sw;
  }
  throw new Error('not refused');
}

/** PACE or BAC, CA, TA with `creds`, then DG3: its bytes, or the status word that refused it. */
async function readDg3(chip: VirtualChip, creds: TerminalCredentials, method: 'pace' | 'bac' = 'pace'): Promise<Uint8Array | number> {
  const s = await session(chip, method);
  try {
    await s.chipAuth();
    await s.terminalAuth(creds);
    return await s.readFile('DG3');
  } catch (e) {
    if (e instanceof CardStatusError) return e.sw;
    throw e;
  } finally {
    await s.close();
  }
}

describe('Terminal Authentication v1 on the virtual chip', () => {
  let root: Cvca;
  let chip: VirtualChip;
  beforeAll(async () => {
    root = await cvca();
    chip = await chipWith([root.cert], cvDate(at(-1)));
  });

  it('without TA DG3 stays closed (6982), with TA after PACE-CAN or BAC it reads back', async () => {
    const s = await session(chip);
    await s.chipAuth();
    expect(await refusedSw(s.readFile('DG3'))).toBe(0x6982);
    await s.close();
    const creds = await terminal(root);
    expect(equalBytes((await readDg3(chip, creds)) as Uint8Array, DG3)).toBe(true);
    expect(equalBytes((await readDg3(chip, creds, 'bac')) as Uint8Array, DG3)).toBe(true);
  });

  it('an RSA-PSS chain (id-TA-RSA-PSS-SHA-256) opens DG3 as well', async () => {
    const rsa = await cvca('VN', at(-30), 'rsa-pss-3072');
    const c = await chipWith([rsa.cert], cvDate(at(-1)));
    expect(equalBytes((await readDg3(c, await terminal(rsa))) as Uint8Array, DG3)).toBe(true);
  });

  it('TA without Chip Authentication first is refused (6985)', async () => {
    const s = await session(chip);
    const creds = await terminal(root);
    // terminalAuth() itself refuses before CA, so the commands go to the chip directly
    const exchange = (s.transport as unknown as { exchange: Exchange }).exchange;
    expect(await refusedSw(performTerminalAuth(exchange, creds, s.idPicc, new Uint8Array(32)))).toBe(0x6985);
    await s.close();
  });

  it('effective rights are the AND of the CHATs: a DV or an IS without DG3 leaves DG3 closed', async () => {
    expect(await readDg3(chip, await terminal(root, { isRights: { readDg3: false, readDg4: true } }))).toBe(0x6982);
    expect(await readDg3(chip, await terminal(root, { dvRights: { readDg3: false, readDg4: true } }))).toBe(0x6982);
  });

  it('a chain from another country\'s CVCA finds no trust point (6A88)', async () => {
    const other = await cvca('UT');
    expect(await readDg3(chip, await terminal(other))).toBe(0x6a88);
  });

  it('an expired IS certificate is refused against the chip date', async () => {
    const old = await terminal(root, { now: at(-100), isDays: 10 });
    expect(await readDg3(chip, old)).toBe(0x6300);
  });

  it('a wrong terminal signature answers 6300 and ends the session', async () => {
    const creds = await terminal(root);
    const impostor = { ...creds, signer: generateSoftwareKey('ecdsa-bp256').signer };
    const s = await session(chip);
    await s.chipAuth();
    expect(await refusedSw(s.terminalAuth(impostor))).toBe(0x6300);
    await expect(s.readFile('DG1')).rejects.toThrow();
    await s.close();
  });

  it('the date moves forward on a domestic IS, never on a foreign DV chain; the image keeps it', async () => {
    const c = await chipWith([root.cert], cvDate(at(-1)));
    const foreign = await terminal(root, { foreign: true, now: at(5) });
    expect(equalBytes((await readDg3(c, foreign)) as Uint8Array, DG3)).toBe(true);
    expect(c.image().currentDate).toBe(cvDate(at(-1)));
    const domestic = await terminal(root, { now: at(3) });
    expect(equalBytes((await readDg3(c, domestic)) as Uint8Array, DG3)).toBe(true);
    expect(c.image().currentDate).toBe(cvDate(at(3)));
    // an IS that expired before the new date is now refused
    expect(await readDg3(c, await terminal(root, { now: at(-20), isDays: 21 }))).toBe(0x6300);
    const reloaded = decodeImage(encodeImage(c.image()));
    expect(reloaded.currentDate).toBe(cvDate(at(3)));
    expect(reloaded.cvca.length).toBe(1);
  });

  it('the moved date and a new trust point are on disk before the chip answers (card image file)', async () => {
    const file = join(tempDir(), 'card.json');
    const c = await chipWith([root.cert], cvDate(at(-1)), { persistence: new ImageFile(file, { delayMs: 60_000 }) });
    expect(loadImage(file).currentDate).toBe(cvDate(at(-1)));
    expect(equalBytes((await readDg3(c, await terminal(root, { now: at(2) }))) as Uint8Array, DG3)).toBe(true);
    // no flush, no delay: PSO:Verify Certificate wrote the image before its 90 00
    expect(loadImage(file).currentDate).toBe(cvDate(at(2)));
  });

  it('a CVCA link certificate adds the new CVCA as a trust point', async () => {
    const c = await chipWith([root.cert], cvDate(at(-1)));
    const nextKey = generateSoftwareKey('ecdsa-bp256').signer;
    const link = await createCvcaLink({ old: root.cert, oldSigner: root.key, next: nextKey, sequence: 2, now: T0 });
    const next: Cvca = { cert: link, key: nextKey };
    const underNew = await terminal(next);
    expect(await readDg3(c, underNew)).toBe(0x6a88);
    const withLink = { ...underNew, chain: [link, ...underNew.chain] };
    expect(equalBytes((await readDg3(c, withLink)) as Uint8Array, DG3)).toBe(true);
    expect(equalBytes((await readDg3(c, underNew)) as Uint8Array, DG3)).toBe(true);
    const chrs = decodeImage(encodeImage(c.image())).cvca.map((t) => decodeCvCertificate(t.body).chr);
    expect(chrs).toEqual(['VNCVCA00001', 'VNCVCA00002']);
  });
});

describe('a chain made by openpace cvc-create, accepted by the chip and used by the terminal', () => {
  it('CVCA trust point, DV and IS from cvc-create: DG3 opens', async () => {
    const dir = tempDir();
    const run = (args: string[]): void => {
      const r = tool('cvc-create', args, dir);
      if (r.status !== 0) throw new Error(`cvc-create failed: ${r.stderr}`);
    };
    const key = pkcs8Key(dir, 'cvca', 'brainpoolP256r1');
    run(['--role=cvca', '--type=is', '--chr=VNCVCA00007', '--expires=301231', `--sign-with=${key}`, '--scheme=ECDSA_SHA_256', '--read-finger', '--read-iris']);
    run(['--role=dv_domestic', '--chr=VNDVOP00001', '--expires=291231', `--sign-with=${key}`, '--sign-as=VNCVCA00007.cvcert', '--scheme=ECDSA_SHA_256', '--read-finger']);
    run(['--role=terminal', '--chr=VNISOP00001', '--expires=281231', '--sign-with=VNDVOP00001.pkcs8', '--sign-as=VNDVOP00001.cvcert', '--scheme=ECDSA_SHA_256', '--read-finger']);
    const read = (n: string): CvCertificate => decodeCvCertificate(new Uint8Array(readFileSync(join(dir, n))));
    const root = read('VNCVCA00007.cvcert');
    const is = read('VNISOP00001.cvcert');
    // cvc-create writes the derived key as an RFC 5915 ECPrivateKey, whatever the file name says
    const signer = softwareSigner(createPrivateKey({ key: readFileSync(join(dir, 'VNISOP00001.pkcs8')), format: 'der', type: 'sec1' }), 'ecdsa-bp256');
    const c = await chipWith([root], cvDate(new Date(Date.now() - DAY)));
    const dg3 = await readDg3(c, { chain: [read('VNDVOP00001.cvcert'), is], is, signer });
    expect(dg3 instanceof Uint8Array && equalBytes(dg3, DG3)).toBe(true);
  });
});
