/**
 * The repository stands alone: no tracked file may name a path outside it. A clone has no sibling
 * folders (CI runs the suite in a copy placed where there are none), so a test, bench, script or doc
 * that reaches out of the repository would pass here and fail for everyone else.
 */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter((f) => f.length > 0);
}

/** A relative path written in `text` (`../x`, `../../y`), not part of a longer dotted run. */
const RELATIVE = /(?<![\w.])((?:\.\.\/)+)([\w@.-]+)/g;
/** Machine paths that only exist on a developer's machine. */
const OUTSIDE = [/\.\.\/shared\b/, /\/work\/(?:shared|main)\b/];

export function escapes(file: string, text: string): string[] {
  const found: string[] = [];
  for (const pattern of OUTSIDE) {
    const m = pattern.exec(text);
    if (m) found.push(m[0]);
  }
  for (const m of text.matchAll(RELATIVE)) {
    const target = path.resolve(ROOT, path.dirname(file), `${m[1] ?? ''}${m[2] ?? ''}`);
    if (path.relative(ROOT, target).startsWith('..')) found.push(m[0]);
  }
  return found;
}

describe('the repository refers to nothing outside itself', () => {
  it('the checker sees an escape and lets an inward path pass', () => {
    const sibling = ['..', 'shared'].join('/'); // spelt in pieces: this file must pass its own check
    expect(escapes('test/x/a.test.ts', `readFileSync('${sibling}/vectors/a.bin')`)).toContain(sibling);
    expect(escapes('test/a.test.ts', "import x from '../../other/x.js'")).toEqual(['../../other']);
    expect(escapes('test/x/a.test.ts', "import x from '../../src/x.js'")).toEqual([]);
    expect(escapes('docs/a.md', 'see `.../ansi378v2004/*`')).toEqual([]);
  });

  it('no tracked text file names the sibling reference folder, a developer path, or a relative path that leaves the repository', () => {
    const offenders: string[] = [];
    const files = trackedFiles();
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(path.join(ROOT, file));
      } catch {
        continue; // deleted in the work tree, not yet committed
      }
      if (bytes.includes(0)) continue; // binary
      for (const hit of escapes(file, bytes.toString('utf8'))) offenders.push(`${file}: ${hit}`);
    }
    expect(offenders).toEqual([]);
  });
});
