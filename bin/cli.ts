/**
 * The cancuoc command line: a thin shell over the library. Every failure becomes one line on
 * stderr and a distinct exit code (bin/exit-codes.ts); a stack trace only with CANCUOC_DEBUG=1.
 */
import { Command, CommanderError } from 'commander';
import { escapeControls } from '../src/lds/display.js';
import { CancuocError, ParseError, ValidationError } from '../src/lds/errors.js';
import { CliError, EXIT } from './exit-codes.js';
import { registerCommands } from './commands/index.js';

function exitCodeOf(e: unknown): number {
  if (e instanceof CliError) return e.exitCode;
  if (e instanceof ParseError || e instanceof ValidationError) return EXIT.badInput;
  if (e instanceof CancuocError) return EXIT.badInput;
  if (isNodeIoError(e)) return EXIT.badInput;
  return EXIT.internal;
}

function isNodeIoError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && 'syscall' in e;
}

async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('cancuoc')
    .description('Issue and verify chip-based national ID cards (Vietnamese CCCD, ICAO 9303)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  registerCommands(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
      return;
    }
    const code = exitCodeOf(e);
    // one line always, controls escaped (src/lds/display.ts): our messages may quote file names or
    // card content, so their line breaks show as \x0a; a library's multi-line message (libvips,
    // SQLite) is joined with '; ' first
    const raw = e instanceof Error ? e.message : String(e);
    const message = e instanceof CancuocError ? raw : raw.replace(/\s*[\r\n]+\s*/g, '; ');
    process.stderr.write(`cancuoc: ${code === EXIT.internal ? 'internal error: ' : ''}${escapeControls(message)}\n`);
    if (process.env.CANCUOC_DEBUG === '1' && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exitCode = code;
  }
}

// A reader that closed the pipe (`cancuoc … | head`) has all it wanted: stop quietly, as Unix tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? EXIT.ok);
});

await main(process.argv.slice(2));
