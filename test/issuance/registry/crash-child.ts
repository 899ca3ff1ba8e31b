/**
 * Child process for the SIGKILL test: runs a simulated line over the registry as fast as it can
 * (no card, no waits) so that the parent's kill lands inside transactions. Every step is taken
 * from the state the registry reports, as the real batch runner must after a crash.
 * Usage: tsx crash-child.ts DB COUNT [STATION]   (DB: a SQLite file or a postgres:// URI)
 */
import { createHash } from 'node:crypto';
import { Registry } from '../../../src/issuance/registry.js';

const [db, countText, station] = process.argv.slice(2);
const count = Number(countText);
const ids = Array.from({ length: count }, (_, i) => `0010990${String(i).padStart(5, '0')}`);
const sodHash = (id: string): Uint8Array => new Uint8Array(createHash('sha256').update(`SOD of ${id}`).digest());

const reg = await Registry.open(db!, { actor: `crash-child-${process.pid}@test`, poolSize: 2 });
await reg.enqueue(ids.map((id) => ({ id })));
const batch = await reg.startBatch('crash test', { stations: station === undefined ? [] : [station] });
process.stdout.write('ready\n');
for (let item = await reg.claimNext(batch.id, station); item !== undefined; item = await reg.claimNext(batch.id, station)) {
  process.stdout.write('claimed\n'); // the parent counts these to kill while work remains
  const documentNumber = item.idNumber.slice(3);
  let cur = item;
  if (cur.status === 'pending' || cur.status === 'personalizing') cur = await reg.markPersonalizing(cur, cur.chipSerial ?? `CHIP-${cur.cardId}`);
  if (cur.status === 'personalizing') {
    // every seventh citizen's first card fails to write and goes to the reject tray
    if (cur.attempt === 1 && Number(cur.idNumber) % 7 === 0) {
      await reg.setAside(cur, 'simulated write failure', { retry: true });
      continue;
    }
    cur = await reg.markWritten(cur, { documentNumber, sodHash: sodHash(cur.idNumber) });
  }
  if (cur.status === 'written') cur = await reg.markVerified(cur);
  if (cur.status === 'verified') await reg.markIssued(cur, { chipSerial: cur.chipSerial!, documentNumber, sodHash: sodHash(cur.idNumber) });
}
await reg.finishBatch(batch.id);
await reg.close();
process.stdout.write('done\n');
