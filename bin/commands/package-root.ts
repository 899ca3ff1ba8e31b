import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The cancuoc package directory (holds fixtures/), found from this file whether built or run from source. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'cancuoc') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the cancuoc package directory');
    dir = parent;
  }
}
