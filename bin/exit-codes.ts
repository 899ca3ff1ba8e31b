import { CancuocError } from '../src/lds/errors.js';

/** Exit codes of every cancuoc command (documented in the README). */
export const EXIT = Object.freeze({
  ok: 0,
  invalid: 1,
  untrusted: 2,
  noCard: 3,
  badInput: 4,
  internal: 5,
});

/** A failure with the exit code the CLI should use; bin/cli.ts prints its message on one line. */
export class CliError extends CancuocError {
  constructor(
    readonly exitCode: number,
    code: string,
    message: string,
    cause?: unknown,
  ) {
    super(code, message, {}, cause === undefined ? undefined : { cause });
  }
}
