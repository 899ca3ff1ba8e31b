import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { registryOptions, withRegistry, type RegistryTarget } from './registry-target.js';

/**
 * `cancuoc audit verify --db DB [--audit-key FILE] [--head SEQ:HASH]`: the hash chain of the
 * registry's audit log, the MAC of every entry under the audit key, and the log's agreement with
 * the cards. The chain alone cannot see entries cut from its end; a head printed by an earlier
 * run and kept elsewhere (`--head`) can. Without the key, a keyed log is UNTRUSTED (exit 2): an
 * insider who can write the database could have rewritten it (docs/registry.md, "Audit log").
 */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log of the production line');
  registryOptions(audit
    .command('verify'))
    .description('check that no audit entry was edited, removed, inserted or reordered')
    .option('--head <seq:hash>', 'a head printed by an earlier `audit verify` and kept elsewhere: the log must still hold it')
    .option('--json', 'print the result as JSON')
    .action(async (opts: RegistryTarget & { head?: string; json?: boolean }) => {
      const expectHead = opts.head === undefined ? undefined : parseHead(opts.head);
      const { result, problems } = await withRegistry(opts, async (r) => ({
        result: await r.verifyAudit(expectHead === undefined ? {} : { expectHead }),
        problems: await r.crossCheck(),
      }));
      if (opts.json === true) process.stdout.write(`${JSON.stringify({ ...result, crossCheck: problems }, null, 2)}\n`);
      if (!result.ok) throw broken(result.code ?? 'AUDIT_INVALID', `audit log broken at ${result.reason}`);
      if (problems.length > 0) throw broken('AUDIT_REGISTRY_MISMATCH', `audit log and registry disagree: ${problems[0]!}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`);
      const head = result.head === undefined ? 'none' : `${result.head.seq}:${result.head.hash}`;
      const keyed = { verified: 'every MAC verified', unchecked: 'MACs NOT checked (no --audit-key)', absent: 'not keyed' }[result.macs];
      if (opts.json !== true) process.stdout.write(`audit log intact: ${result.entries} entries, head ${head}, ${keyed}\n`);
      if (result.macs === 'unchecked') {
        throw new CliError(EXIT.untrusted, 'AUDIT_KEY_MISSING', 'the log is keyed but no audit key was given: a rewrite by someone with write access would not be seen');
      }
    });
}

function parseHead(text: string): { seq: number; hash: string } {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim().toLowerCase());
  if (m === null) throw new CliError(EXIT.badInput, 'CLI_AUDIT_HEAD', `--head ${text}: expected SEQ:HASH as printed by \`audit verify\` (64 hex digits)`);
  return { seq: Number(m[1]), hash: m[2]! };
}

function broken(code: string, message: string): CliError {
  return new CliError(EXIT.invalid, code, message);
}
