import { Option, type Command } from 'commander';
import { loadPki } from '../../src/crypto/pki.js';
import { hex } from '../../src/lds/bytes.js';
import { ValidationError } from '../../src/lds/errors.js';
import { Registry, type CitizenView } from '../../src/issuance/registry.js';
import { exportRevocationList } from '../../src/issuance/revocation-list.js';
import { copyRegistry } from '../../src/issuance/registry-copy.js';
import { loadAuditKey, registryOptions, withRegistry, type RegistryTarget } from './registry-target.js';

/** `cancuoc registry`: look up a citizen's cards, mark a card lost or revoked, publish the revocation list. */
export function registerRegistry(program: Command): void {
  const registry = program.command('registry').description('the production registry: cards issued, lost and revoked');
  registryOptions(registry
    .command('show'))
    .description('the queue entries, cards and audit history of one citizen')
    .argument('[key]', '12-digit ID number or document number')
    .option('--chip <serial>', 'instead of a key: the chip serial of a card (as `batch run --json` prints it)')
    .option('--json', 'print as JSON')
    .action(async (key: string | undefined, opts: RegistryTarget & { chip?: string; json?: boolean }) => {
      if ((key === undefined) === (opts.chip === undefined)) {
        throw new ValidationError('CLI_SHOW', 'give an ID number or document number, or --chip SERIAL', { field: 'key' });
      }
      const view = await withRegistry(opts, (r) => (key === undefined ? r.showChip(opts.chip!) : r.show(key)));
      process.stdout.write(opts.json === true ? `${JSON.stringify(view, jsonBytes, 2)}\n` : describe(view));
    });
  registryOptions(registry
    .command('mark'))
    .description('report the issued card of a citizen lost, or revoke it')
    .argument('<key>', '12-digit ID number or document number')
    .option('--lost', 'the card was reported lost')
    .option('--revoked', 'the card is revoked')
    .option('--reason <text>', 'why (no personal data)')
    .action(async (key: string, opts: RegistryTarget & { lost?: boolean; revoked?: boolean; reason?: string }) => {
      if ((opts.lost === true) === (opts.revoked === true)) {
        throw new ValidationError('CLI_MARK', 'give exactly one of --lost and --revoked', { field: '--lost' });
      }
      const card = await withRegistry(opts, (r) => (opts.lost === true ? r.markLost(key, opts.reason) : r.markRevoked(key, opts.reason)), true);
      process.stdout.write(`card ${card.cardId} (document ${card.documentNumber ?? '?'}) is now ${card.status}\n`);
    });
  registryOptions(registry
    .command('export-revocations'))
    .description('write the signed list of lost and revoked documents for `--trust`')
    .requiredOption('--pki <dir>', 'PKI made by `cancuoc pki init`; the Document Signer signs the list')
    .requiredOption('--out <file>', 'where to write the list (DER)')
    .option('--days <n>', 'days until nextUpdate', '7')
    .action(async (opts: RegistryTarget & { pki: string; out: string; days: string }) => {
      const days = Number(opts.days);
      if (!Number.isInteger(days) || days < 1 || days > 366) {
        throw new ValidationError('CLI_DAYS', `--days ${opts.days}: expected 1 to 366`, { field: '--days' });
      }
      await withRegistry(opts, async (registry) => {
        const pki = await loadPki(opts.pki);
        try {
          const result = await exportRevocationList(registry, {
            signer: pki.signers.ds,
            certificate: pki.certificates.ds,
            issuer: pki.manifest.country,
            validityDays: days,
            out: opts.out,
          });
          process.stdout.write(
            `revocation list written to ${opts.out}: ${result.documents.length} document(s), next update ${result.nextUpdate.toISOString()}\n`,
          );
        } finally {
          pki.close();
        }
      }, true);
    });
  registry
    .command('migrate')
    .description('copy a registry (e.g. a SQLite file) into an empty one (e.g. postgres://…), audit chain included, and verify the copy')
    .requiredOption('--from <file|uri>', 'the registry to copy')
    .requiredOption('--to <file|uri>', 'an empty registry to create or fill: a SQLite file or a postgres://… URI')
    .addOption(new Option('--audit-key <file>', 'audit key file: the MAC of every entry is checked before and after').env('CANCUOC_AUDIT_KEY_FILE'))
    .action(async (opts: { from: string; to: string; auditKey?: string }) => {
      const key = opts.auditKey === undefined ? undefined : await loadAuditKey(opts.auditKey);
      await withRegistry({ db: opts.from }, async (from) => {
        const to = await Registry.open(opts.to);
        try {
          const r = await copyRegistry(from, to, key === undefined ? {} : { key });
          const head = r.audit.head === undefined ? 'none' : `${r.audit.head.seq}:${r.audit.head.hash}`;
          process.stdout.write(
            `copied ${r.rows.queue} queue entries, ${r.rows.cards} cards, ${r.rows.batches} batches, ${r.rows.audit_log} audit entries to ${to.store.where}; ` +
              `audit chain verified (${r.audit.macs === 'verified' ? 'every MAC checked' : r.audit.macs === 'unchecked' ? 'MACs not checked' : 'not keyed'}), head ${head}\n`,
          );
        } finally {
          await to.close();
        }
      }, true);
    });
}

function describe(view: CitizenView): string {
  const lines = [`ID number ${view.idNumber}`];
  for (const q of view.queue) lines.push(`  queue ${q.queueId}: ${q.state}, ${q.attempts} attempt(s), enqueued ${q.enqueuedAt}`);
  for (const c of view.cards) {
    const facts = [c.documentNumber && `document ${c.documentNumber}`, c.chipSerial && `chip ${c.chipSerial}`, c.reason && `reason: ${c.reason}`];
    lines.push(`  card ${c.cardId}: ${c.status} (${[`updated ${c.updatedAt}`, ...facts.filter(Boolean)].join(', ')})`);
  }
  lines.push(`  history: ${view.history.length} audit entr${view.history.length === 1 ? 'y' : 'ies'}`);
  for (const h of view.history) lines.push(`    #${h.seq} ${h.time} ${h.actor} ${h.action}`);
  return `${lines.join('\n')}\n`;
}

function jsonBytes(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? hex(value) : value;
}
