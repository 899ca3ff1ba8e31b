/**
 * The production line end to end (issue 5 §4): fixture enrollments through pcscd + vpcd with a
 * virtual card hopper in each vpcd reader, from an empty registry to locked, verified, registered
 * cards with their faces for the printer. `issuance.line_cards_per_min` is the rate with a
 * station on every vpcd reader (`issuance.line_readers` of them) in one `runProductionLine`; the
 * baseline in the same run is the rate of one reader alone (`issuance.line_cards_per_min_1reader`).
 * Per card, the software's
 * own time and the card swap — the time between releasing a card and the next one being usable,
 * which pcscd's polling of the vpcd driver sets (about 400 ms per poll, two polls per swap) —
 * show where the time goes. Per-stage times go to stderr.
 *
 * Needs pcscd with the vpcd driver and free "Virtual PCD" readers; without them it reports nothing.
 * The hoppers run in this process, so the chips' work shares the thread with the terminal's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CardHopper } from '../src/card/hopper.js';
import { VPCD_DEFAULT_PORT } from '../src/card/vpcd.js';
import { initPki, loadPki, type Pki } from '../src/crypto/pki.js';
import { openPcscStation } from '../src/issuance/line-card.js';
import { runProductionLine, type LineSummary, type StationSummary } from '../src/issuance/production-line.js';
import { loadQueueFile, type QueueEntry } from '../src/issuance/queue-file.js';
import { Registry } from '../src/issuance/registry.js';
import { listReaders } from '../src/reader/pcsc.js';
import { TrustStore } from '../src/reader/trust-store.js';
import { packageRoot } from '../bin/commands/package-root.js';
import { round } from './measure.js';

/** Cards per measurement: one reader alone, then every reader together. */
const CARDS_ONE_READER = 30;
const CARDS_ALL_READERS = 40;

/** "Virtual PCD 00 0N" listens on 35963 + N (docs/pcsc.md). */
function vpcdPort(reader: string): number {
  return VPCD_DEFAULT_PORT + Number(/ 00 0(\d)$/.exec(reader)![1]);
}

/**
 * `count` citizens from the 20 fixtures: copies get another random part of the ID number (its
 * last six digits), hence another document number. Citizen 17's card expired on 2025-01-01: it
 * gets a later expiry so that every card verifies VALID.
 */
function citizens(fixtures: readonly QueueEntry[], count: number): readonly QueueEntry[] {
  const out: QueueEntry[] = [];
  const ids = new Set<string>();
  for (let i = 0; out.length < count; i++) {
    const e = fixtures[i % fixtures.length]!;
    const copy = Math.floor(i / fixtures.length);
    const id = `${e.id.slice(0, 6)}${String((Number(e.id.slice(6)) + 104_729 * copy) % 1_000_000).padStart(6, '0')}`;
    if (ids.has(id)) throw new Error(`bench line: ID ${id} made twice`);
    ids.add(id);
    const expiry = e.record.dateOfExpiry !== null && e.record.dateOfExpiry < '2027-01-01' ? { dateOfExpiry: '2035-01-01' } : {};
    out.push({ ...e, id, record: { ...e.record, id, ...expiry } });
  }
  return out;
}

/** Software and swap milliseconds per card: each station's time outside the swap, summed, over the cards. */
function perCard(s: LineSummary): { software: number; swap: number } {
  const swapOf = (st: StationSummary): number => st.stages['wait-card'] + st.stages.release;
  const swap = s.stations.reduce((n, st) => n + swapOf(st), 0);
  const busy = s.stations.reduce((n, st) => n + st.elapsedMs - swapOf(st), 0);
  return { software: round(busy / s.issued), swap: round(swap / s.issued) };
}

/** One measurement: a fresh registry and a hopper per reader, the whole queue through the line. */
async function measure(dir: string, name: string, readers: readonly string[], entries: readonly QueueEntry[], pki: Pki, trust: TrustStore): Promise<LineSummary> {
  const registry = await Registry.open(join(dir, `${name}.sqlite`), { actor: 'bench@line' });
  const hoppers: CardHopper[] = [];
  const stations: Awaited<ReturnType<typeof openPcscStation>>[] = [];
  try {
    for (const [i, reader] of readers.entries()) hoppers.push(await CardHopper.start({ dir: join(dir, name, `cards-${i}`), port: vpcdPort(reader) }));
    for (const reader of readers) stations.push(await openPcscStation(reader));
    await registry.enqueue(entries);
    const s = await runProductionLine({
      registry,
      stations,
      signers: { dsSigner: pki.signers.ds, dsCertificate: pki.certificates.ds, sealSigner: pki.signers.seal, sealCertificate: pki.certificates.seal },
      trust,
      faceDir: join(dir, name, 'faces'), // a real line prints every card
    });
    if (s.issued !== entries.length) throw new Error(`bench line: ${s.issued} of ${entries.length} cards issued`);
    const per = (ms: number): number => round(ms / s.issued);
    const split = s.stations.map((st) => `${st.issued} on "${st.station}"`).join(', ');
    process.stderr.write(
      `bench line (${name}): ${s.issued} cards in ${(s.elapsedMs / 1000).toFixed(1)} s, ${split}; per card, all stations: ` +
        `${Object.entries(s.stages).map(([k, ms]) => `${k} ${per(ms)} ms`).join(', ')}\n`,
    );
    return s;
  } finally {
    await Promise.all(stations.map((st) => st.close()));
    await Promise.all(hoppers.map((h) => h.close()));
    await registry.close();
  }
}

export async function runLineBench(): Promise<Record<string, number>> {
  const root = packageRoot();
  const readers = (await listReaders(2000).catch(() => [])).filter((r) => / 00 0\d$/.test(r) && r.startsWith('Virtual PCD'));
  if (readers.length === 0) {
    process.stderr.write('bench line: no vpcd reader (is pcscd running with vsmartcard-vpcd?): skipped\n');
    return {};
  }
  const dir = await mkdtemp(join(tmpdir(), 'cancuoc-bench-line-'));
  try {
    await initPki({ dir: join(dir, 'pki'), suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true });
    const pki = await loadPki(join(dir, 'pki'));
    const trust = new TrustStore();
    trust.addCertificates(pki.certificates.csca);
    trust.addCrl(pki.crl);
    try {
      const fixtures = await loadQueueFile(join(root, 'fixtures/queue-20.jsonl'), root);
      const one = await measure(dir, '1-reader', readers.slice(0, 1), citizens(fixtures, CARDS_ONE_READER), pki, trust);
      const all = readers.length > 1 ? await measure(dir, `${readers.length}-readers`, readers, citizens(fixtures, CARDS_ALL_READERS), pki, trust) : one;
      const rate = (s: LineSummary): number => round((s.issued * 60_000) / s.elapsedMs);
      return {
        'issuance.line_cards_per_min': rate(all),
        'issuance.line_readers': readers.length,
        'issuance.line_cards_per_min_1reader': rate(one),
        'issuance.line_software_ms_per_card': perCard(all).software,
        'issuance.line_card_swap_ms_per_card': perCard(all).swap,
        'issuance.line_software_ms_per_card_1reader': perCard(one).software,
        'issuance.line_card_swap_ms_per_card_1reader': perCard(one).swap,
      };
    } finally {
      pki.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
