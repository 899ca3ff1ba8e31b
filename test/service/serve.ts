/**
 * Runs `cancuoc serve` as a user would (the CLI from source through tsx, as test/helpers/cli.ts
 * does) on 127.0.0.1 with a free port, and stops it with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

export interface Served {
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything the service wrote to stderr so far. */
  stderr(): string;
  stop(): Promise<number | null>;
}

export function serve(args: readonly string[]): Promise<Served> {
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'bin/cli.ts'), 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        url: m[1]!,
        process: child,
        stderr: () => err,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done(child.exitCode);
            child.once('exit', (code) => done(code));
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
