/**
 * Hostile Terminal Authentication (docs/eac.md): after PACE and Chip Authentication, thousands of
 * TA commands in random order — MSE:Set DST / AT with real and random references, PSO:Verify
 * Certificate with real, mutated and foreign certificates, GET CHALLENGE, EXTERNAL AUTHENTICATE
 * with random signatures, complete TA runs of a terminal whose rights exclude DG3 — interleaved
 * with reads of DG3. The attacker holds a genuine DG3 chain but not its IS key. DG3 must never be
 * given; the chip never fails internally (6F00). The PRNG is seeded: a failure names its seed.
 */
import { describe, expect, it } from 'vitest';
import { commandApdu, INS, type CommandApdu } from '../../src/lds/apdu.js';
import { encodeKeyReference, psoVerifyData } from '../../src/crypto/terminal-auth.js';
import type { CardSession } from '../../src/reader/card-session.js';
import type { Exchange } from '../../src/reader/secure-transport.js';
import { chipWith, cvca, at, DG3, session, terminal } from './eac-fixture.js';
import { cvDate } from '../../src/lds/cvc.js';
import { xorshift } from '../helpers/prng.js';

const SEED = Number(process.env.CANCUOC_FUZZ_SEED ?? 0x7a5eed);
const ROUNDS = 1000;

describe('fuzz: hostile Terminal Authentication never opens DG3', () => {
  it(`${ROUNDS} TA commands and DG3 reads (seed ${SEED})`, async () => {
    const r = xorshift(SEED);
    const root = await cvca();
    const other = await cvca('UT');
    const stolen = await terminal(root); // a genuine DG3 chain, but its IS key stays with its owner
    const noDg3 = await terminal(root, { isRights: { readDg3: false, readDg4: true } });
    const foreign = await terminal(other);
    const chip = await chipWith([root.cert], cvDate(at(-1)));
    const certs = [...stolen.chain, ...noDg3.chain, ...foreign.chain, root.cert, other.cert];
    const refs = [...new Set(certs.flatMap((c) => [c.car, c.chr])), 'VNCVCA99999', ''];
    const readDg3 = commandApdu({ cla: 0, ins: INS.READ_BINARY, p1: 0x83, p2: 0, ne: 256 });

    let s: CardSession | undefined;
    let exchange: Exchange | undefined;
    const counts = new Map<number, number>();
    const open = async (): Promise<void> => {
      await s?.close().catch(() => undefined);
      s = await session(chip);
      await s.chipAuth();
      exchange = (s.transport as unknown as { exchange: Exchange }).exchange;
    };
    const send = async (cmd: CommandApdu): Promise<number | undefined> => {
      try {
        const resp = await exchange!(cmd);
        counts.set(resp.sw, (counts.get(resp.sw) ?? 0) + 1);
        if (resp.sw === 0x6f00) throw new Error(`seed ${SEED}: 6F00 for INS ${cmd.ins.toString(16)}`);
        if (cmd === readDg3 && resp.sw === 0x9000) throw new Error(`seed ${SEED}: DG3 given`);
        if (resp.data.length >= DG3.length && Buffer.from(resp.data).includes(Buffer.from(DG3))) throw new Error(`seed ${SEED}: DG3 bytes leaked`);
        return resp.sw;
      } catch (e) {
        if (e instanceof Error && e.message.startsWith(`seed ${SEED}`)) throw e;
        await open(); // the chip ended the session (failed TA, SM error): start again
        return undefined;
      }
    };
    const mutated = (bytes: Uint8Array): Uint8Array => {
      const b = bytes.slice();
      if (r.int(2) === 0) b[r.int(b.length)]! ^= 1 << r.int(8);
      return r.int(4) === 0 ? b.subarray(0, r.int(b.length)) : b;
    };

    await open();
    for (let i = 0; i < ROUNDS; i++) {
      switch (r.int(8)) {
        case 0:
          await send(commandApdu({ cla: 0, ins: INS.MANAGE_SECURITY_ENVIRONMENT, p1: 0x81, p2: 0xb6, data: r.int(5) === 0 ? r.bytes(r.int(20)) : encodeKeyReference(r.pick(refs) || 'X') }));
          break;
        case 1: {
          const data = psoVerifyData(r.pick(certs));
          await send(commandApdu({ cla: 0, ins: 0x2a, p1: 0, p2: 0xbe, data: r.int(2) === 0 ? data : mutated(data) }));
          break;
        }
        case 2:
          await send(commandApdu({ cla: 0, ins: INS.MANAGE_SECURITY_ENVIRONMENT, p1: 0x81, p2: 0xa4, data: encodeKeyReference(r.pick(refs) || 'X') }));
          break;
        case 3:
          await send(commandApdu({ cla: 0, ins: INS.GET_CHALLENGE, p1: 0, p2: 0, ne: r.pick([8, 8, 8, 16, 1]) }));
          break;
        case 4:
          await send(commandApdu({ cla: 0, ins: INS.EXTERNAL_AUTHENTICATE, p1: 0, p2: 0, data: r.bytes(r.pick([64, 64, 63, 10])) }));
          break;
        case 5: // a complete, correct TA of the terminal without the DG3 right
          await s!.terminalAuth(noDg3).catch(() => undefined);
          break;
        case 6: // the stolen chain, correctly verified, then the stolen IS "signs" with the wrong key
          await s!.terminalAuth({ ...stolen, signer: noDg3.signer }).catch(() => open());
          break;
        default:
          await send(readDg3);
      }
      if (r.int(10) === 0) await send(readDg3);
    }
    await s?.close();
    expect(counts.get(0x9000)).toBeGreaterThan(30);
    expect(counts.get(0x6f00)).toBeUndefined();

    // and the chip still works: the real terminal reads DG3
    const good = await terminal(root);
    const t = await session(chip);
    await t.chipAuth();
    await t.terminalAuth(good);
    expect(Buffer.from(await t.readFile('DG3')).equals(Buffer.from(DG3))).toBe(true);
    await t.close();
  }, 120_000);
});
