/**
 * A throwaway SoftHSM2 token for PKCS#11 tests: a private token directory and softhsm2.conf in a
 * temp dir, SOFTHSM2_CONF pointing at it (SoftHSM reads it at C_Initialize), one initialised token.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  readonly module: string;
  readonly tokenLabel: string;
  readonly pin: string;
  readonly soPin: string;
  readonly dir: string;
  /** The environment for child processes (pkcs11-tool) that must see the same token. */
  readonly env: NodeJS.ProcessEnv;
  remove(): void;
}

export function softHsmAvailable(): boolean {
  return existsSync(SOFTHSM_MODULE);
}

export function createSoftHsmToken(tokenLabel = 'cancuoc-test'): SoftHsmToken {
  const dir = mkdtempSync(join(tmpdir(), 'cancuoc-softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const previous = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  const pin = '246810';
  const soPin = '13579111';
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', tokenLabel, '--pin', pin, '--so-pin', soPin], {
    env,
    stdio: 'pipe',
  });
  return Object.freeze({
    module: SOFTHSM_MODULE,
    tokenLabel,
    pin,
    soPin,
    dir,
    env,
    remove(): void {
      if (previous === undefined) delete process.env.SOFTHSM2_CONF;
      else process.env.SOFTHSM2_CONF = previous;
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
