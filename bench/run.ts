/**
 * `npm run bench`: runs every benchmark, merges the figures into bench/results.json and prints them.
 * Each benchmark compares itself with a baseline measured in the same run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../bin/commands/package-root.js';
import { runEnrollBench } from './enroll.js';
import { runReadBench } from './read.js';
import { runSodBench } from './sod.js';
import { runVerifyBench } from './verify.js';

const BENCHES: readonly { name: string; run: () => Promise<Record<string, number>> }[] = [
  { name: 'sod', run: runSodBench },
  { name: 'read', run: runReadBench },
  { name: 'enroll', run: runEnrollBench },
  { name: 'verify', run: runVerifyBench },
];

const only = process.argv.slice(2);
const results: Record<string, number> = {};
for (const b of BENCHES) {
  if (only.length > 0 && !only.includes(b.name)) continue;
  process.stderr.write(`bench ${b.name}...\n`);
  Object.assign(results, await b.run());
}
const file = join(packageRoot(), 'bench', 'results.json');
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
