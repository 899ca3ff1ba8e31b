import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerEnroll } from './enroll.js';
import { registerLds } from './lds.js';
import { registerPersonalize } from './personalize.js';
import { registerPki } from './pki.js';
import { registerQr } from './qr.js';

/** Adds every cancuoc subcommand to the program. */
export function registerCommands(program: Command): void {
  registerPki(program);
  registerLds(program);
  registerEnroll(program);
  registerQr(program);
  registerDemo(program);
  registerPersonalize(program);
}
