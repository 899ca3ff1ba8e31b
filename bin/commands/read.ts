/**
 * `cancuoc read [--reader NAME] (--can CAN | --mrz DOCNO,YYMMDD,YYMMDD | --id ID12) --out DIR [--force] [--wait S]`:
 * opens a card over PC/SC (PACE with the CAN or the MRZ key, BAC when the chip has no PACE) and
 * dumps every file it gives as CardAccess.bin, COM.bin, SOD.bin, DG1.bin … — the names
 * `cancuoc verify --dir` and `lds verify` read back.
 *
 * `--id` takes the 12-digit personal ID and derives, by the vn-cccd rules (cccd-profile.md "The
 * chip"), the CAN (its last 6 digits) and the MRZ document number (its last 9). The MRZ key also
 * needs the dates of birth and expiry, which the ID does not hold, so `--id` means PACE with the
 * derived CAN.
 *
 * The card options and the way a card is opened are shared with `cancuoc verify`.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { checkOutputDir, replaceDirectory, writeFileAtomic } from '../../src/crypto/file-io.js';
import { loadTerminal } from '../../src/crypto/terminal-pki.js';
import { canFromId, documentNumberFromId } from '../../src/lds/cccd-id.js';
import { CancuocError, ValidationError } from '../../src/lds/errors.js';
import { openCard, type AccessKey, type CardSession } from '../../src/reader/card-session.js';
import { connect, waitForCard, type PcscTransport } from '../../src/reader/pcsc.js';
import type { TerminalCredentials } from '../../src/reader/terminal-auth.js';
import { TransportError } from '../../src/reader/transport.js';
import { readCardFiles } from '../../src/reader/card-files.js';
import { CardAccessError, type FileOutcome } from '../../src/reader/verify.js';
import { terminalAuthAndRead, type EacOutcome } from '../../src/reader/verify-eac.js';
import { CliError, EXIT } from '../exit-codes.js';

export interface CardCliOptions {
  reader?: string;
  can?: string;
  mrz?: string;
  id?: string;
  wait: string;
}

/** Adds --reader, --can, --mrz, --id and --wait to a command. */
export function cardOptions(command: Command, required = true): Command {
  const access = required ? 'required unless' : 'with';
  return command
    .option('--reader <name>', 'PC/SC reader (default: the first reader with a card)')
    .option('--can <can>', `card access number (${access} --mrz or --id)`)
    .option('--mrz <key>', 'MRZ key: DOCNO,YYMMDD,YYMMDD (document number, birth, expiry)')
    .option('--id <id12>', '12-digit personal ID: PACE with the CAN derived from it (its last 6 digits)')
    .option('--wait <seconds>', 'how long to wait for a card', '5');
}

const invalid = (flag: string, why: string): ValidationError => new ValidationError('CLI_ACCESS', `${flag}: ${why}`, { field: flag });

/** The access key from exactly one of --can, --mrz, --id (bad values: ValidationError, exit 4). */
export function accessFromOptions(opts: CardCliOptions): { access: AccessKey; label: string } {
  const given = (['can', 'mrz', 'id'] as const).filter((k) => opts[k] !== undefined);
  if (given.length !== 1) throw invalid('--can/--mrz/--id', `give exactly one, got ${given.length}`);
  if (opts.can !== undefined) {
    if (!/^[0-9]{6}$/.test(opts.can)) throw invalid('--can', 'expected the 6 digits of the card access number');
    return { access: { can: opts.can }, label: 'PACE with the CAN' };
  }
  if (opts.id !== undefined) {
    if (!/^[0-9]{12}$/.test(opts.id)) throw invalid('--id', 'expected the 12-digit personal ID');
    return { access: { can: canFromId(opts.id) }, label: `PACE with the CAN of ID …${documentNumberFromId(opts.id).slice(-3)}` };
  }
  const m = /^([0-9A-Z<]{1,22}),([0-9]{6}),([0-9]{6}|<{6})$/.exec(opts.mrz!.toUpperCase());
  if (m === null) throw invalid('--mrz', 'expected DOCNO,YYMMDD,YYMMDD (expiry <<<<<< for a card without one)');
  return { access: { documentNumber: m[1]!, dateOfBirth: m[2]!, dateOfExpiry: m[3]! }, label: 'the MRZ key' };
}

const NO_CARD_CODES = new Set(['NO_READER', 'NO_CARD', 'CARD_REMOVED', 'TIMEOUT', 'PCSC_NO_SERVICE', 'PCSC_UNAVAILABLE', 'CARD_UNRESPONSIVE']);

/** Waits for a card and connects to it exclusively (reset at close). */
export async function connectCard(opts: CardCliOptions): Promise<PcscTransport> {
  const wait = Number(opts.wait);
  if (!Number.isFinite(wait) || wait < 0 || wait > 3600) throw new ValidationError('CLI_WAIT', `--wait ${opts.wait}: expected 0..3600 seconds`, { field: '--wait' });
  try {
    const card = await waitForCard({ ...(opts.reader && { reader: opts.reader }), timeoutMs: Math.max(1, Math.round(wait * 1000)) });
    return await connect(card.reader, { share: 'exclusive', disposition: 'reset' });
  } catch (e) {
    throw asCliError(e);
  }
}

/** No card, a lost card and a refused access all exit 3, with one clear line. */
export function asCliError(e: unknown): unknown {
  if (e instanceof CardAccessError) {
    const why = e.code === 'ACCESS_DENIED' ? 'access denied: wrong CAN or MRZ key' : e.message;
    return new CliError(EXIT.noCard, e.code, why, e);
  }
  if (e instanceof TransportError) {
    const why = NO_CARD_CODES.has(e.code) ? `no card: ${e.message}` : `card communication failed: ${e.message}`;
    return new CliError(EXIT.noCard, e.code, why, e);
  }
  return e;
}

/** openCard, with its failures as exit-3 errors; the transport is closed when access fails. */
async function openSession(transport: PcscTransport, access: AccessKey): Promise<CardSession> {
  try {
    return await openCard(transport, access);
  } catch (e) {
    await transport.close().catch(() => undefined);
    if (e instanceof CancuocError && !(e instanceof TransportError)) {
      throw asCliError(new CardAccessError(e.code, `access control failed: ${e.message}`, {}, { cause: e }));
    }
    throw asCliError(e);
  }
}

export function registerRead(program: Command): void {
  cardOptions(program.command('read').description('read every file of a card (PACE or BAC) into a directory'))
    .requiredOption('--out <dir>', 'directory for CardAccess.bin, COM.bin, SOD.bin, DG1.bin, …')
    .option('--terminal <dir>', 'inspection system from `pki terminal`: Chip and Terminal Authentication, then DG3 (docs/eac.md)')
    .option('--force', 'replace an existing, non-empty output folder (the whole dump)')
    .action(async (opts: CardCliOptions & { out: string; terminal?: string; force?: boolean }) => {
      const { access, label } = accessFromOptions(opts);
      const force = opts.force === true;
      await checkOutputDir(opts.out, force); // before the card is touched: two dumps never mix
      const terminal = opts.terminal === undefined ? undefined : await loadTerminal(opts.terminal);
      const session = await openSession(await connectCard(opts), access).catch((e: unknown) => {
        terminal?.close();
        throw e;
      });
      try {
        const card = await readCardFiles(session).catch((e: unknown) => {
          throw asCliError(e);
        });
        let { files, outcomes } = card;
        let taLine = '';
        if (terminal !== undefined) {
          const eac = await readWithTerminal(session, terminal, outcomes).catch((e: unknown) => {
            throw asCliError(e);
          });
          files = new Map([...files, ...eac.read]);
          outcomes = outcomes.map((o) => (eac.read.has(o.name) ? { name: o.name, status: 'read' as const, length: eac.read.get(o.name)!.length } : o));
          taLine = `Terminal Authentication: ${eac.check.reason}\n`;
          if (eac.check.status === 'fail') process.exitCode = EXIT.noCard;
        }
        // Personal data: readable by the owner only; the folder appears whole or not at all.
        await replaceDirectory(opts.out, force, async (staging) => {
          for (const [name, bytes] of files) await writeFileAtomic(join(staging, `${name}.bin`), bytes, 0o600);
        });
        const lines = outcomes.map((o) =>
          o.status === 'read' ? `  ${o.name}.bin  ${o.length} bytes` : `  ${o.name}  not read: ${o.status}${o.code ? ` (${o.code})` : ''}`,
        );
        process.stdout.write(`read through ${session.accessControl} (${label}), ${session.traffic.apdus} APDUs, into ${opts.out}:\n${lines.join('\n')}\n${taLine}`);
      } finally {
        await session.close().catch(() => undefined);
        terminal?.close();
      }
    });
}

/** Chip Authentication, then TA and the files the chip refused before (DG3, DG4). */
async function readWithTerminal(session: CardSession, terminal: TerminalCredentials, outcomes: readonly FileOutcome[]): Promise<EacOutcome> {
  try {
    await session.chipAuth();
  } catch (e) {
    if (e instanceof TransportError) throw e;
    const reason = `Chip Authentication failed first (${e instanceof CancuocError ? e.code : 'error'}), so no Terminal Authentication`;
    return { check: { status: 'fail', code: 'TA_NEEDS_CA', reason }, read: new Map() };
  }
  const denied = outcomes.filter((o) => o.status === 'denied').map((o) => o.name);
  return terminalAuthAndRead(session, terminal, denied, new Date());
}
