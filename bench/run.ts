/**
 * `npm run bench`: runs every benchmark, merges the figures into bench/results.json and prints them.
 * Each benchmark compares itself with a baseline measured in the same run.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../bin/commands/package-root.js';
import { runEnrollBench } from './enroll.js';
import { runLineBench } from './line.js';
import { runQrBench } from './qr.js';
import { runReadBench } from './read.js';
import { runRegistryBench } from './registry.js';
import { runServeBench } from './serve.js';
import { runSodBench } from './sod.js';
import { runVerifyBench } from './verify.js';

const BENCHES: readonly { name: string; run: () => Promise<Record<string, number>> }[] = [
  { name: 'sod', run: runSodBench },
  { name: 'read', run: runReadBench },
  { name: 'qr', run: runQrBench },
  { name: 'enroll', run: runEnrollBench },
  { name: 'verify', run: runVerifyBench },
  { name: 'line', run: runLineBench },
  { name: 'registry', run: runRegistryBench },
  { name: 'serve', run: runServeBench },
];

/** 1 when delayed ACKs are off on loopback (scripts/loopback-quickack.sh): vpcd then costs ~0.5 ms per APDU, not ~45. */
function quickack(): number {
  try {
    return /^local 127\.0\.0\.1 .*quickack 1/m.test(execFileSync('ip', ['route', 'show', 'table', 'local'], { encoding: 'utf8' })) ? 1 : 0;
  } catch {
    return 0;
  }
}

const only = process.argv.slice(2);
const results: Record<string, number> = { 'pcsc.quickack': quickack() };
for (const b of BENCHES) {
  if (only.length > 0 && !only.includes(b.name)) continue;
  process.stderr.write(`bench ${b.name}...\n`);
  Object.assign(results, await b.run());
}
const file = join(packageRoot(), 'bench', 'results.json');
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
