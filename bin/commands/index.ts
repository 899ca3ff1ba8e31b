import type { Command } from 'commander';
import { registerAudit } from './audit.js';
import { registerBatch } from './batch.js';
import { registerCard } from './card.js';
import { registerDemo } from './demo.js';
import { registerEnroll } from './enroll.js';
import { registerLds } from './lds.js';
import { registerPersonalize } from './personalize.js';
import { registerPki } from './pki.js';
import { registerRegistry } from './registry.js';
import { registerQr } from './qr.js';
import { registerRead } from './read.js';
import { registerServe } from './serve.js';
import { registerVerify } from './verify.js';

/** Adds every cancuoc subcommand to the program. */
export function registerCommands(program: Command): void {
  registerPki(program);
  registerLds(program);
  registerEnroll(program);
  registerQr(program);
  registerDemo(program);
  registerRegistry(program);
  registerAudit(program);
  registerBatch(program);
  registerPersonalize(program);
  registerCard(program);
  registerRead(program);
  registerVerify(program);
  registerServe(program);
}
