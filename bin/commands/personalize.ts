/**
 * `cancuoc personalize DIR [--reader NAME] [--no-lock] [--wait S]`: writes a document set made by
 * `cancuoc lds build` to a blank card over PC/SC, reads it back through PACE with the CAN, runs
 * AA and CA, and only then locks (src/reader/personalize.ts). Keys are decrypted with
 * CANCUOC_PASSPHRASE. Any failure leaves the card unlocked and prints the step and the file.
 */
import type { Command } from 'commander';
import { CancuocError } from '../../src/lds/errors.js';
import { connect, waitForCard } from '../../src/reader/pcsc.js';
import { loadDocumentSet, personalize, PersonalizationError } from '../../src/reader/personalize.js';
import { TransportError } from '../../src/reader/transport.js';
import { CliError, EXIT } from '../exit-codes.js';

interface PersonalizeCliOptions {
  reader?: string;
  lock: boolean;
  wait: string;
}

const NO_CARD_CODES = new Set(['NO_READER', 'NO_CARD', 'CARD_REMOVED', 'TIMEOUT', 'PCSC_NO_SERVICE', 'PCSC_UNAVAILABLE']);

export function registerPersonalize(program: Command): void {
  program
    .command('personalize')
    .description('write a document set to a blank card, read it back through PACE, then lock it')
    .argument('<dir>', 'document set made by `cancuoc lds build`')
    .option('--reader <name>', 'PC/SC reader (default: the first reader with a card)')
    .option('--no-lock', 'leave the card unlocked (for testing)')
    .option('--wait <seconds>', 'how long to wait for a card', '10')
    .action(async (dir: string, opts: PersonalizeCliOptions) => {
      const wait = Number(opts.wait);
      if (!Number.isFinite(wait) || wait < 0 || wait > 3600) throw new CancuocError('CLI_WAIT', `--wait ${opts.wait}: expected 0..3600 seconds`, { field: '--wait' });
      const set = await loadDocumentSet(dir, process.env.CANCUOC_PASSPHRASE);
      try {
        const card = await waitForCard({ ...(opts.reader && { reader: opts.reader }), timeoutMs: Math.max(1, Math.round(wait * 1000)) });
        const transport = await connect(card.reader, { share: 'exclusive', disposition: 'reset' });
        try {
          const report = await personalize(transport, set, { lock: opts.lock });
          process.stdout.write(
            `personalized on "${card.reader}": ${report.commands} commands, ${report.filesVerified.length} files read back, AA and CA verified, ${report.locked ? 'locked' : 'NOT locked (--no-lock)'}\n`,
          );
        } finally {
          await transport.close();
        }
      } catch (e) {
        if (e instanceof TransportError && NO_CARD_CODES.has(e.code)) throw new CliError(EXIT.noCard, e.code, e.message, e);
        if (e instanceof PersonalizationError) throw new CliError(EXIT.invalid, e.code, e.message, e);
        throw e;
      }
    });
}
