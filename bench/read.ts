/**
 * Reading a card after PACE: our reader (largest blocks the chip announces, SFI reads, no SELECT)
 * against a reader with JMRTD's default 223-byte READ BINARY (SELECT, then 223-byte blocks), both
 * on the virtual chip in-process under AES secure messaging, on the same files: COM, SOD, DG1,
 * DG2 (a 15 KB face), DG13, DG14, DG15. The link time is modelled for ISO 14443 at 424 kbit/s
 * with 3 ms turnaround per APDU; `read.link_ms.limit` is the file bytes alone on that link.
 */
import { VirtualChip } from '../src/card/chip.js';
import { commandApdu, INS } from '../src/lds/apdu.js';
import { openCard, type CardSession } from '../src/reader/card-session.js';
import { InProcessTransport } from '../src/reader/in-process.js';
import { personalize } from '../src/reader/personalize.js';
import { selectEf } from '../src/reader/read-file.js';
import type { SecureTransport } from '../src/reader/secure-transport.js';
import { fileByName } from '../src/lds/files.js';
import { buildDocumentSet, PERSON } from '../test/reader/document-set.fixture.js';
import { round } from './measure.js';

const FILES = ['COM', 'SOD', 'DG1', 'DG2', 'DG13', 'DG14', 'DG15'] as const;
const LINK_BITS_PER_MS = 424;
const TURNAROUND_MS = 3;

function linkMs(bytes: number, apdus: number): number {
  return round((bytes * 8) / LINK_BITS_PER_MS + apdus * TURNAROUND_MS);
}

/** JMRTD's default: SELECT the EF, then READ BINARY 223 bytes at a time up to the length in the header. */
async function read223(session: CardSession, name: string, length: number): Promise<void> {
  const exchange = (session.transport as SecureTransport).exchange;
  await exchange(selectEf(fileByName(name)!.fid));
  for (let at = 0; at < length; at += 223) {
    await exchange(commandApdu({ cla: 0, ins: INS.READ_BINARY, p1: at >> 8, p2: at & 0xff, ne: Math.min(223, length - at) }));
  }
}

export async function runReadBench(): Promise<Record<string, number>> {
  const set = buildDocumentSet({ dg2Size: 15_000 });
  const chip = new VirtualChip();
  const perso = InProcessTransport.open(chip);
  await personalize(perso, set);
  await perso.close();

  const fileBytes = FILES.reduce((n, f) => n + set.files.get(f)!.length, 0);

  const ours = await openCard(InProcessTransport.open(chip), { can: PERSON.can });
  const a0 = ours.traffic;
  for (const f of FILES) await ours.readFile(f);
  const a1 = ours.traffic;
  await ours.close();

  const jmrtd = await openCard(InProcessTransport.open(chip), { can: PERSON.can });
  const b0 = jmrtd.traffic;
  for (const f of FILES) await read223(jmrtd, f, set.files.get(f)!.length);
  const b1 = jmrtd.traffic;
  await jmrtd.close();

  const oursApdus = a1.apdus - a0.apdus;
  const oursBytes = a1.bytesSent + a1.bytesReceived - a0.bytesSent - a0.bytesReceived;
  const blockApdus = b1.apdus - b0.apdus;
  const blockBytes = b1.bytesSent + b1.bytesReceived - b0.bytesSent - b0.bytesReceived;
  return {
    'read.apdus.ours': oursApdus,
    'read.apdus.block223': blockApdus,
    'read.bytes.ours': oursBytes,
    'read.bytes.files': fileBytes,
    'read.link_ms.ours': linkMs(oursBytes, oursApdus),
    'read.link_ms.block223': linkMs(blockBytes, blockApdus),
    'read.link_ms.limit': linkMs(fileBytes, 0),
  };
}
