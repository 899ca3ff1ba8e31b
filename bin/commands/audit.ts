import type { Command } from 'commander';
import { verifyAuditLog } from '../../src/issuance/audit-log.js';
import { CliError, EXIT } from '../exit-codes.js';
import { withRegistry } from './registry.js';

/** `cancuoc audit verify`: the hash chain of the registry's audit log and its agreement with the cards. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log of the production line');
  audit
    .command('verify')
    .description('check that no audit entry was edited, removed, inserted or reordered')
    .requiredOption('--db <file>', 'registry database')
    .option('--json', 'print the result as JSON')
    .action((opts: { db: string; json?: boolean }) => {
      const { result, problems } = withRegistry(opts.db, (r) => ({ result: verifyAuditLog(r.database), problems: r.crossCheck() }));
      if (opts.json === true) process.stdout.write(`${JSON.stringify({ ...result, crossCheck: problems }, null, 2)}\n`);
      if (!result.ok) throw broken(result.code ?? 'AUDIT_INVALID', `audit log broken at ${result.reason}`);
      if (problems.length > 0) throw broken('AUDIT_REGISTRY_MISMATCH', `audit log and registry disagree: ${problems[0]!}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`);
      if (opts.json !== true) process.stdout.write(`audit log intact: ${result.entries} entries, head seq ${result.head?.seq ?? 0} ${result.head?.hash ?? ''}\n`);
    });
}

function broken(code: string, message: string): CliError {
  return new CliError(EXIT.invalid, code, message);
}
