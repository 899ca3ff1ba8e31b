/**
 * Child process for the one-run-at-a-time test: starts a batch on the registry and holds it
 * until killed, as a `batch run` in another process would.
 * Usage: tsx batch-holder.ts DB
 */
import { Registry } from '../../../src/issuance/registry.js';

const reg = Registry.open(process.argv[2]!, { actor: `holder-${process.pid}@test` });
const batch = reg.startBatch('held', { stations: ['Reader A'] });
process.stdout.write(`ready ${batch.id}\n`);
setInterval(() => reg.heartbeat(batch.id), 1000);
