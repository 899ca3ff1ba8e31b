/**
 * Child process for the concurrent-open test: waits for the start file, then opens the registry
 * (creating and migrating it when new), as a `batch run` and a `registry show` started together would.
 * Usage: tsx registry-opener.ts DB START_FILE
 */
import { existsSync } from 'node:fs';
import { Registry } from '../../../src/issuance/registry.js';

const [db, start] = [process.argv[2]!, process.argv[3]!];
while (!existsSync(start)) await new Promise((r) => setTimeout(r, 2));
await (await Registry.open(db, { actor: `opener-${process.pid}@test` })).close();
process.stdout.write('opened\n');
