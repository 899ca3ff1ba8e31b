/**
 * The production line (issue 5 §2): for each queued citizen, enroll, wait for a blank card,
 * personalize it, read it back, verify it (PA against the CSCA, AA, CA), lock it and record it
 * issued — one card at a time in each station (reader), several stations side by side like the
 * encoder stations of a card printer, with the registry (registry.ts) as the only memory. Each
 * station claims its own records (registry-claims.ts); the signers, the trust and the registry
 * are shared.
 *
 * The order is what makes a `kill -9` at any instant recoverable (docs/registry.md, "The line
 * after a crash"): the registry says `personalizing` before the first write, `written` once the
 * files read back, `verified` before the lock is sent; the lock, then `issued`. A card is only
 * released (powered off, which a hopper takes as "eject") after its registry entry is final.
 *
 * The card in a station, and how to tell cards apart, are in line-card.ts. Cards are told apart by the chip serial in EF.ATR/INFO (ISO/IEC 7816-4 (2020) §12.7.1,
 * DO'46' pre-issuing data; docs/perso.md) and whether they are locked (JMRTD life cycle: after
 * PUT DATA DE AD a plain SELECT of EF.COM answers 6982). An unlocked card is blank enough: JMRTD
 * personalization may write over an unlocked card. A locked card is only used when it is the
 * card the current record was being issued on.
 */
import { rm } from 'node:fs/promises';
import { decodeResponseApdu, encodeCommandApdu, swHex } from '../lds/apdu.js';
import { LOCK_COMMAND, personalize, PersonalizationError } from '../reader/personalize.js';
import { TransportError, type Transport } from '../reader/transport.js';
import type { TrustStore } from '../reader/trust-store.js';
import { personalizationSet } from './document-set-files.js';
import type { Enrollment } from './enroll.js';
import { decide, LineError, probeChip, sodHash, verifyLineCard, writeCardFaces, type CardStation, type ChipProbe } from './line-card.js';
import { enrollQueueEntry, type LineSigners } from './queue-file.js';
import type { LineItem, Registry } from './registry.js';
import { HEARTBEAT_MS } from './registry-claims.js';

export type LineStage = 'enroll' | 'wait-card' | 'probe' | 'personalize' | 'verify' | 'lock-issue' | 'release';

export interface LineCardResult {
  /** The station (reader) that made the card. */
  readonly station: string;
  readonly idNumber: string;
  readonly cardId: number;
  readonly status: 'issued' | 'set-aside';
  readonly documentNumber?: string;
  readonly chipSerial?: string;
  readonly reason?: string;
  /** The record was left on the line by an earlier, interrupted run. */
  readonly resumed: boolean;
  readonly ms: number;
}

/** What one station did; the line's figures are the sums. */
export interface StationSummary {
  readonly station: string;
  readonly issued: number;
  readonly setAside: number;
  /** Locked cards found in the reader that were not blank (sent out). */
  readonly rejectedCards: number;
  /** From the start of the run until this station stopped. */
  readonly elapsedMs: number;
  /** Milliseconds spent in each stage, summed over the cards (enroll: waiting for it only). */
  readonly stages: Readonly<Record<LineStage, number>>;
}

export interface LineSummary extends Omit<StationSummary, 'station'> {
  readonly batchId: number;
  readonly stations: readonly StationSummary[];
}

export interface ProductionLineOptions {
  readonly registry: Registry;
  /** One station; or `stations`, several working at once (one per reader). */
  readonly station?: CardStation;
  readonly stations?: readonly CardStation[];
  readonly signers: LineSigners;
  /** Trust for passive authentication: at least the PKI's CSCA. */
  readonly trust: TrustStore;
  /** Records to finish in this run (issued or set aside); default all. */
  readonly limit?: number;
  readonly photoBudget?: number;
  readonly label?: string;
  /** How long to wait for a card to come or go; default 10 minutes. */
  readonly cardTimeoutMs?: number;
  /** Consecutive failed cards at one station before the line stops for an operator; default 3. */
  readonly maxFailures?: number;
  /** Attempts per record before it waits for an operator (set aside without retry); default 3. */
  readonly maxAttempts?: number;
  /**
   * Where to write each card's face for the printer: `<document number>-front.png` and
   * `-back.png` (card-face.ts), rendered from what the verified chip holds, before the lock.
   */
  readonly faceDir?: string;
  readonly onCard?: (result: LineCardResult) => void;
  /** Stop cleanly: after the card in hand, or at once where a station still waits for a card. */
  readonly signal?: AbortSignal;
}



/** The record in hand, as last recorded: every registry transition replaces `item`. */
interface Hand {
  item: LineItem;
}

type Outcome = { readonly kind: 'issued' } | { readonly kind: 'set-aside'; readonly reason: string };

const noStages = (): Record<LineStage, number> => ({ enroll: 0, 'wait-card': 0, probe: 0, personalize: 0, verify: 0, 'lock-issue': 0, release: 0 });

/** One station's share of the run. */
class Seat {
  readonly stages = noStages();
  issued = 0;
  setAside = 0;
  rejected = 0;
  elapsedMs = 0;
  /** Consecutive failed cards, and the last failure. */
  failures = 0;
  lastFailure = '';

  constructor(readonly station: CardStation) {}

  summary(): StationSummary {
    const { issued, setAside, rejected: rejectedCards, elapsedMs } = this;
    return Object.freeze({ station: this.station.name, issued, setAside, rejectedCards, elapsedMs, stages: Object.freeze({ ...this.stages }) });
  }
}

class ProductionLine {
  readonly #o: ProductionLineOptions;
  readonly #seats: readonly Seat[];
  readonly #timeout: number;
  readonly #limit: number;
  readonly #enrollments = new Map<number, Promise<Enrollment>>();
  /** Aborted when the line must stop: the caller's signal, or a station's error (kept in #error). */
  readonly #stop = new AbortController();
  #error: unknown;
  #claimed = 0;

  constructor(options: ProductionLineOptions, stations: readonly CardStation[]) {
    this.#o = options;
    this.#seats = stations.map((s) => new Seat(s));
    this.#timeout = options.cardTimeoutMs ?? 600_000;
    this.#limit = options.limit ?? Infinity;
  }

  async run(): Promise<LineSummary> {
    const started = performance.now();
    const { registry, signal } = this.#o;
    const batch = await registry.startBatch(this.#o.label, { stations: this.#seats.map((s) => s.station.name) });
    // registry-claims.ts: the heartbeat keeps other runs off these stations while this one lives.
    const heartbeat = setInterval(() => {
      // A busy or failing database: the next beat tries again, and the next claim reports it.
      registry.heartbeat(batch.id).catch(() => undefined);
    }, HEARTBEAT_MS);
    heartbeat.unref();
    const onAbort = (): void => this.#stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) onAbort();
    try {
      // Every station's first record before any station claims its next: stations share the queue.
      const first: (LineItem | undefined)[] = [];
      for (const seat of this.#seats) first.push(await this.#claim(batch.id, seat));
      await Promise.all(
        this.#seats.map((seat, i) =>
          this.#runStation(batch.id, seat, first[i])
            .catch((e: unknown) => this.#halt(e))
            .finally(() => (seat.elapsedMs = performance.now() - started)),
        ),
      );
    } catch (e) {
      this.#halt(e);
    } finally {
      clearInterval(heartbeat);
      signal?.removeEventListener('abort', onAbort);
    }
    try {
      await registry.finishBatch(batch.id);
    } catch (e) {
      this.#halt(e);
    }
    if (this.#error !== undefined) throw this.#error;
    const stations = this.#seats.map((s) => s.summary());
    const sum = (f: (s: StationSummary) => number): number => stations.reduce((n, s) => n + f(s), 0);
    const stages = noStages();
    for (const st of stations) for (const k of Object.keys(stages) as LineStage[]) stages[k] += st.stages[k];
    return Object.freeze({
      batchId: batch.id,
      issued: sum((s) => s.issued),
      setAside: sum((s) => s.setAside),
      rejectedCards: sum((s) => s.rejectedCards),
      elapsedMs: performance.now() - started,
      stages: Object.freeze(stages),
      stations: Object.freeze(stations),
    });
  }

  /** The first failure stops every station after its card in hand; it is what run() throws. */
  #halt(error: unknown): void {
    this.#error ??= error;
    this.#stop.abort();
  }

  /** One station: card after card until the queue is empty, the limit is reached or the line stops. */
  async #runStation(batchId: number, seat: Seat, first: LineItem | undefined): Promise<void> {
    let item = first;
    while (item !== undefined && !this.#stop.signal.aborted) {
      const current = item;
      // Pipelining: the next record is claimed now and enrolled during the card swap.
      const claimed = this.#claim(batchId, seat);
      claimed.catch(() => undefined); // awaited below, where a failed claim stops the station
      const result = await this.#process(seat, current, () =>
        void claimed.then(
          (next) => {
            if (next !== undefined && next.status !== 'verified') this.#enrollment(next);
          },
          () => undefined,
        ),
      );
      item = await claimed;
      if (result === undefined) return; // stopped while waiting for a card: the record stays on the line
      this.#o.onCard?.(result);
      this.#haltIfFailing(seat);
    }
  }

  /** Claims the next record for this station, unless the line stops or the limit is claimed. */
  async #claim(batchId: number, seat: Seat): Promise<LineItem | undefined> {
    if (this.#stop.signal.aborted || this.#claimed >= this.#limit) return undefined;
    this.#claimed++; // counted before the claim resolves: stations claiming at once stay within the limit
    const item = await this.#o.registry.claimNext(batchId, seat.station.name);
    if (item === undefined) this.#claimed--;
    return item;
  }

  async #timed<T>(seat: Seat, stage: LineStage, run: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await run();
    } finally {
      seat.stages[stage] += performance.now() - start;
    }
  }

  /** The enrollment of a record, started once (a resumed verified card needs none). */
  #enrollment(item: LineItem): Promise<Enrollment> {
    let e = this.#enrollments.get(item.cardId);
    if (e === undefined) {
      e = enrollQueueEntry(item.record, this.#o.signers, this.#o.photoBudget);
      e.catch(() => undefined); // awaited later; a failure then sets the record aside
      this.#enrollments.set(item.cardId, e);
    }
    return e;
  }

  /** One record, from its recorded state to issued or set aside; undefined if the line stopped before a card came. */
  async #process(seat: Seat, start: LineItem, onRelease: () => void): Promise<LineCardResult | undefined> {
    const began = performance.now();
    const { station } = seat;
    const hand: Hand = { item: start };
    const result = (status: LineCardResult['status'], extra: Partial<LineCardResult>): LineCardResult => {
      this.#enrollments.delete(start.cardId);
      if (status === 'issued') seat.issued++;
      else seat.setAside++;
      const ms = performance.now() - began;
      return Object.freeze({ station: station.name, idNumber: start.idNumber, cardId: start.cardId, status, resumed: start.resumed, ms, ...extra });
    };
    for (;;) {
      if (!(await this.#timed(seat, 'wait-card', () => this.#waitForCard(station)))) return undefined;
      const transport = await station.connect();
      // A locked card leaves the reader when released; wait for that before the next card.
      let removal: Promise<void> | undefined;
      try {
        const chip = await this.#timed(seat, 'probe', () => probeChip(transport));
        const move = decide(hand.item, chip);
        if (move.kind === 'reject-card') {
          seat.rejected++;
          await this.#o.registry.logEvent('line.card-rejected', null, { chipSerial: chip.serial, station: station.name, reason: move.reason });
          removal = station.nextRemoval(this.#timeout);
          continue;
        }
        if (move.kind === 'abandon') {
          const own = hand.item.chipSerial === chip.serial;
          hand.item = await this.#o.registry.setAside(hand.item, move.reason);
          if (own && chip.locked) removal = station.nextRemoval(this.#timeout);
          return result('set-aside', { reason: move.reason, ...(own ? { chipSerial: chip.serial } : {}) });
        }
        const outcome =
          move.kind === 'complete' ? await this.#complete(seat, transport, hand, chip) : await this.#personalize(seat, transport, hand, chip);
        if (chip.locked || outcome.kind === 'issued') removal = station.nextRemoval(this.#timeout);
        if (outcome.kind === 'issued') {
          seat.failures = 0;
          return result('issued', { documentNumber: hand.item.documentNumber!, chipSerial: chip.serial });
        }
        this.#failed(seat, `card ${chip.serial}: ${outcome.reason}`);
        return result('set-aside', { reason: outcome.reason, chipSerial: chip.serial });
      } catch (e) {
        // The card left mid-way: go on with whatever card comes; the recorded state decides.
        if (!(e instanceof TransportError) || (e.code !== 'CARD_REMOVED' && e.code !== 'NO_CARD')) throw e;
        this.#failed(seat, `the card left the reader (${e.code})`);
        this.#haltIfFailing(seat);
      } finally {
        await this.#timed(seat, 'release', async () => {
          await transport.close();
          onRelease();
          await removal;
        });
      }
    }
  }

  /** True when a card is in the reader; false when the line stopped first (no card in hand: nothing to finish). */
  async #waitForCard(station: CardStation): Promise<boolean> {
    const stop = this.#stop.signal;
    if (stop.aborted) return false;
    let off = (): void => undefined;
    const stopped = new Promise<false>((resolve) => {
      const on = (): void => resolve(false);
      stop.addEventListener('abort', on, { once: true });
      off = () => stop.removeEventListener('abort', on);
    });
    try {
      return await Promise.race([station.waitForCard(this.#timeout).then(() => true), stopped]);
    } catch (e) {
      if (e instanceof TransportError && e.code === 'TIMEOUT') {
        throw new LineError('LINE_NO_CARD', `no card in ${station.name} within ${Math.round(this.#timeout / 1000)} s`, { step: 'wait-for-card' }, { cause: e });
      }
      throw e;
    } finally {
      off();
    }
  }

  #failed(seat: Seat, what: string): void {
    seat.failures++;
    seat.lastFailure = what;
  }

  #haltIfFailing(seat: Seat): void {
    if (seat.failures >= (this.#o.maxFailures ?? 3)) {
      const where = this.#seats.length > 1 ? ` in ${seat.station.name}` : '';
      throw new LineError('LINE_HALTED', `${seat.failures} cards in a row failed${where} (last: ${seat.lastFailure}); the line stops for an operator`, {
        step: 'line',
      });
    }
  }

  async #setAsideFor(hand: Hand, reason: string, retry: boolean): Promise<Outcome> {
    const again = retry && hand.item.attempt < (this.#o.maxAttempts ?? 3);
    hand.item = await this.#o.registry.setAside(hand.item, reason.slice(0, 500), { retry: again });
    return { kind: 'set-aside', reason };
  }

  /** Blank (or half-written, unlocked) card: the whole sequence. */
  async #personalize(seat: Seat, transport: Transport, hand: Hand, chip: ChipProbe): Promise<Outcome> {
    const registry = this.#o.registry;
    let enrollment: Enrollment;
    try {
      enrollment = await this.#timed(seat, 'enroll', () => this.#enrollment(hand.item));
    } catch (e) {
      // Bad input (photo, template, record): no other card helps; an operator fixes the record.
      return this.#setAsideFor(hand, `enrollment failed: ${(e as Error).message}`, false);
    }
    const set = personalizationSet(enrollment.documentSet);
    hand.item = await registry.markPersonalizing(hand.item, chip.serial);
    try {
      await this.#timed(seat, 'personalize', () => personalize(transport, set, { lock: false }));
    } catch (e) {
      if (!(e instanceof PersonalizationError)) throw e;
      // The card stays unlocked; a retry enrolls again (new chip keys) for the next card.
      this.#enrollments.delete(hand.item.cardId);
      return this.#setAsideFor(hand, `personalization failed at ${e.place.step ?? '?'}${e.place.file ? ` ${e.place.file}` : ''}: ${e.code}`, true);
    }
    hand.item = await registry.markWritten(hand.item, { documentNumber: set.manifest.documentNumber, sodHash: sodHash(set.files.get('SOD')!) });
    return this.#complete(seat, transport, hand, { ...chip, locked: false });
  }

  /**
   * A card whose files are written: verify it as an inspection system would (a new PACE session
   * with the CAN, PA, AA, CA), check it is the card recorded, lock it, record it issued.
   */
  async #complete(seat: Seat, transport: Transport, hand: Hand, chip: ChipProbe): Promise<Outcome> {
    const registry = this.#o.registry;
    const verified = await this.#timed(seat, 'verify', () => verifyLineCard(transport, hand.item, this.#o.trust));
    // A locked card that fails is out for good; an unlocked one may be written again.
    if ('reason' in verified) return this.#setAsideFor(hand, verified.reason, verified.chipFault && !chip.locked);
    return this.#timed(seat, 'lock-issue', async (): Promise<Outcome> => {
      if (hand.item.status === 'written') hand.item = await registry.markVerified(hand.item);
      // Before the lock and the registry: an issued card always has its face; a resumed card
      // writes the same face again.
      let faces: readonly string[];
      try {
        faces = await writeCardFaces(this.#o.faceDir, hand.item, verified.faceImage);
      } catch (e) {
        return this.#setAsideFor(hand, `the card face could not be written: ${(e as Error).message}`, false);
      }
      if (!chip.locked) {
        // JMRTD step 6. 6581: the chip could not store the lock and stays unlocked.
        const sw = decodeResponseApdu(await transport.transmit(encodeCommandApdu(LOCK_COMMAND))).sw;
        if (sw !== 0x9000) {
          await Promise.all(faces.map((f) => rm(f, { force: true })));
          return this.#setAsideFor(hand, `the chip answered ${swHex(sw)} to LOCK`, true);
        }
      }
      const { documentNumber, sodHash: hash } = hand.item;
      hand.item = await registry.markIssued(hand.item, { chipSerial: chip.serial, documentNumber: documentNumber!, sodHash: hash! });
      return { kind: 'issued' };
    });
  }

}

/**
 * Runs the line until the queue is empty (or `limit` records are done, or `signal` aborts), one
 * card at a time in each station, the stations side by side. Throws LineError when it must stop
 * for an operator (after the other stations finish the card in hand); whatever it leaves on the
 * line is resumed by the next run, each card by the station that holds it.
 */
export function runProductionLine(options: ProductionLineOptions): Promise<LineSummary> {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object');
  for (const f of ['registry', 'signers', 'trust'] as const) {
    if (options[f] === null || typeof options[f] !== 'object') throw new TypeError(`"${f}" expected an object`);
  }
  if ((options.station === undefined) === (options.stations === undefined)) throw new TypeError('give exactly one of "station" and "stations"');
  const stations: unknown = options.stations ?? [options.station];
  if (!Array.isArray(stations) || stations.length === 0) throw new TypeError('"stations" expected a non-empty array of stations');
  for (const [i, st] of stations.entries()) {
    if (st === null || typeof st !== 'object' || typeof (st as CardStation).name !== 'string') throw new TypeError(`"stations[${i}]" expected a CardStation`);
  }
  const valid = stations as readonly CardStation[];
  if (new Set(valid.map((st) => st.name)).size !== valid.length) throw new TypeError('"stations" names a reader twice');
  const limit = options.limit;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw new RangeError(`"limit" expected a non-negative integer, got ${limit}`);
  return new ProductionLine(options, valid).run();
}
