/** `cancuoc demo` (issue 5 §3): the whole chain on embedded defaults, in-process and through pcscd + vpcd. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { acquireVpcdSlot, pcscStatus } from '../helpers/pcscd.js';

const ROOT = join(import.meta.dirname, '..', '..');

function checkRun(stdout: string): void {
  expect(stdout).toMatch(/enrolled sample citizen 001099012345/);
  expect(stdout).toMatch(/personalized \(\d+ commands\), 9 files read back and compared, AA ok, CA ok, locked/);
  for (const id of ['cms.signature', 'chain', 'crl', 'dg.1.hash', 'dg.2.hash', 'aa', 'ca', 'consistency.name']) {
    expect(stdout).toMatch(new RegExp(`\\[ok  \\] ${id.replace('.', '\\.')} `));
  }
  expect(stdout).toMatch(/Họ và tên: +Nguyễn Văn An/);
  expect(stdout.trim().split('\n').at(-1)).toBe('VERDICT: VALID');
}

describe('cancuoc demo', () => {
  it('in-process: VALID, exit 0', () => {
    const r = runCli(['demo', '--in-process']);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toMatch(/blank virtual chip connected in-process \(as asked\)/);
    checkRun(r.stdout);
    expect(r.status).toBe(0);
  });

  it('without a PC/SC stack: the first line says IN-PROCESS, not through PC/SC, and the run is still VALID', () => {
    // libpcsclite's client looks for pcscd at PCSCLITE_CSOCK_NAME: a socket nobody serves is "no pcscd"
    const r = runCli(['demo'], { PCSCLITE_CSOCK_NAME: '/nonexistent/pcscd.comm' });
    expect(r.stdout.split('\n')[0]).toMatch(/blank virtual chip connected IN-PROCESS, not through PC\/SC \(fallback: .*start pcscd/);
    checkRun(r.stdout);
    expect(r.status).toBe(0);
  });

  it('a reader that closes the pipe early ends the demo quietly (no EPIPE trace)', () => {
    const r = spawnSync('bash', ['-c', `node ${JSON.stringify(join(ROOT, 'bin/cancuoc.js'))} demo --in-process | head -1`], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^\[\d+\.\d+ s\] blank virtual chip connected/);
    expect(r.stderr).toBe('');
  });

  it('through pcscd + vpcd: VALID, exit 0, and it says so', async (ctx) => {
    if (!pcscStatus().available) ctx.skip();
    const slot = await acquireVpcdSlot();
    try {
      const r = runCli(['demo', '--vpcd-port', String(slot.port)]);
      // the first line says which path the demo took
      expect(r.stdout.split('\n')[0]).toMatch(/blank virtual chip connected through pcscd \+ vpcd on "Virtual PCD 00 0[01]"/);
      checkRun(r.stdout);
      expect(r.status).toBe(0);
    } finally {
      slot.release();
    }
  });
});
