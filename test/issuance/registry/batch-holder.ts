/**
 * Child process for the one-run-per-station test: starts a batch on the registry and holds it
 * until killed, as a `batch run` in another process would.
 * Usage: tsx batch-holder.ts DB [STATION...]
 */
import { Registry } from '../../../src/issuance/registry.js';

const reg = await Registry.open(process.argv[2]!, { actor: `holder-${process.pid}@test` });
const batch = await reg.startBatch('held', { stations: process.argv.slice(3) });
process.stdout.write(`ready ${batch.id}\n`);
setInterval(() => void reg.heartbeat(batch.id), 1000);
