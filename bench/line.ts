/**
 * The production line end to end (issue 5 §4): the 20 fixture enrollments through pcscd + vpcd
 * with the virtual card hopper, from an empty registry to 20 locked, verified, registered cards.
 * `issuance.line_cards_per_min` is the rate; the baseline in the same run is the card swap — the
 * time between releasing a card and the next one being usable, which pcscd's polling of the vpcd
 * driver sets — beside the software's own time per card. Per-stage times go to stderr.
 *
 * Needs pcscd with the vpcd driver and a free "Virtual PCD" reader; without them it reports nothing.
 * The hopper runs in this process, so the chip's work shares the thread with the terminal's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CardHopper } from '../src/card/hopper.js';
import { VPCD_DEFAULT_PORT } from '../src/card/vpcd.js';
import { initPki, loadPki } from '../src/crypto/pki.js';
import { openPcscStation, runProductionLine } from '../src/issuance/production-line.js';
import { loadQueueFile } from '../src/issuance/queue-file.js';
import { Registry } from '../src/issuance/registry.js';
import { listReaders } from '../src/reader/pcsc.js';
import { TrustStore } from '../src/reader/trust-store.js';
import { round } from './measure.js';

/** "Virtual PCD 00 0N" listens on 35963 + N (docs/pcsc.md). */
function vpcdPort(reader: string): number {
  return VPCD_DEFAULT_PORT + Number(/ 00 0(\d)$/.exec(reader)![1]);
}

export async function runLineBench(): Promise<Record<string, number>> {
  const root = join(import.meta.dirname, '..');
  const readers = (await listReaders(2000).catch(() => [])).filter((r) => / 00 0\d$/.test(r) && r.startsWith('Virtual PCD'));
  const reader = readers.at(-1);
  if (reader === undefined) {
    process.stderr.write('bench line: no vpcd reader (is pcscd running with vsmartcard-vpcd?): skipped\n');
    return {};
  }
  const dir = await mkdtemp(join(tmpdir(), 'cancuoc-bench-line-'));
  let hopper: CardHopper | undefined;
  try {
    await initPki({ dir: join(dir, 'pki'), suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true });
    const pki = await loadPki(join(dir, 'pki'));
    // Citizen 17's card expired on 2025-01-01: give it a later expiry so that all 20 verify VALID.
    const entries = (await loadQueueFile(join(root, 'fixtures/queue-20.jsonl'), root)).map((e) =>
      e.record.dateOfExpiry !== null && e.record.dateOfExpiry < '2027-01-01' ? { ...e, record: { ...e.record, dateOfExpiry: '2035-01-01' } } : e,
    );
    const registry = Registry.open(join(dir, 'registry.sqlite'), { actor: 'bench@line' });
    hopper = await CardHopper.start({ dir: join(dir, 'cards'), port: vpcdPort(reader) });
    const station = await openPcscStation(reader);
    const trust = new TrustStore();
    trust.addCertificates(pki.certificates.csca);
    trust.addCrl(pki.crl);
    try {
      registry.enqueue(entries);
      const s = await runProductionLine({
        registry,
        station,
        signers: { dsSigner: pki.signers.ds, dsCertificate: pki.certificates.ds, sealSigner: pki.signers.seal, sealCertificate: pki.certificates.seal },
        trust,
      });
      if (s.issued !== entries.length) throw new Error(`bench line: ${s.issued} of ${entries.length} cards issued`);
      const per = (ms: number): number => round(ms / s.issued);
      const swap = s.stages['wait-card'] + s.stages.release;
      process.stderr.write(
        `bench line: ${s.issued} cards in ${(s.elapsedMs / 1000).toFixed(1)} s on "${reader}"; per card: ` +
          `${Object.entries(s.stages).map(([k, ms]) => `${k} ${per(ms)} ms`).join(', ')}\n`,
      );
      return {
        'issuance.line_cards_per_min': round((s.issued * 60_000) / s.elapsedMs),
        'issuance.line_software_ms_per_card': per(s.elapsedMs - swap),
        'issuance.line_card_swap_ms_per_card': per(swap),
      };
    } finally {
      await station.close();
      registry.close();
      pki.close();
    }
  } finally {
    await hopper?.close();
    await rm(dir, { recursive: true, force: true });
  }
}
