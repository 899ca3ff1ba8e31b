/**
 * A real PostgreSQL server for the registry tests. CANCUOC_TEST_PG may name one (a URI of a
 * role allowed to CREATE DATABASE); otherwise a private server is made for the test file: initdb
 * into a temporary directory, started with pg_ctl on a Unix socket in that directory only (no TCP
 * port at all), without fsync (the tests kill clients, never the server), and removed by stop().
 * PostgreSQL refuses to run as root: as root the directory is given to the `postgres` user of
 * Debian's package and the server runs as that user (runuser).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** A new empty database on the server, as a postgres:// URI. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

/** The server binaries: Debian keeps them out of PATH, in /usr/lib/postgresql/<major>/bin. */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'initdb'))) : [];
  if (majors.length === 0) throw new Error('PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin: apt-get install postgresql (scripts/install-debian.sh)');
  return join(root, majors.sort((a, b) => Number(b) - Number(a))[0]!, 'bin');
}

let made = 0;

function server(adminUrl: string, stop: () => Promise<void>): TestPostgres {
  return {
    async createDatabase(): Promise<string> {
      const name = `cancuoc_test_${process.pid}_${++made}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name}`);
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return adminUrl.replace(/^(postgres(?:ql)?:\/\/[^/?]*)(\/[^?]*)?/, `$1/${name}`);
    },
    stop,
  };
}

/** `durable`: fsync on, as in production (the bench); the tests run without it. */
export async function startTestPostgres(options: { readonly durable?: boolean } = {}): Promise<TestPostgres> {
  const given = process.env.CANCUOC_TEST_PG;
  if (given !== undefined && given !== '') return server(given, async () => undefined);
  const bin = binDir();
  // /tmp rather than $TMPDIR: the server's user must reach the directory, and a Unix socket path
  // is limited to 107 bytes (unix(7)).
  const dir = mkdtempSync(join(existsSync('/tmp') ? '/tmp' : tmpdir(), 'cancuoc-pg-'));
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const [uid, gid] = execFileSync('id', ['-u', 'postgres']).toString().trim().concat(':', execFileSync('id', ['-g', 'postgres']).toString().trim()).split(':').map(Number);
    chownSync(dir, uid!, gid!);
  }
  const run = (tool: string, args: string[]): void => {
    const cmd = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    execFileSync(cmd[0] as string, cmd[1] as string[], { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'cancuoc', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const settings = `-k ${dir} -c listen_addresses='' ${options.durable === true ? '' : '-F '}-c max_connections=200 -c shared_buffers=${options.durable === true ? '256MB' : '32MB'}`;
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', settings, '-w', '-t', '60', 'start']);
  let stopped = false;
  const stopNow = (): void => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stopNow);
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // A test run that ends without stop() (a failure in set-up, Ctrl-C) still stops its server.
  process.on('exit', stopNow);
  const stop = async (): Promise<void> => stopNow();
  return server(`postgres://cancuoc@/postgres?host=${encodeURIComponent(dir)}`, stop);
}
