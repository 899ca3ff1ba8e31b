/** The openssl CLI as an independent reference for the SM primitives (OpenSSL 3; single DES needs the legacy provider). */
import { execFileSync } from 'node:child_process';
import { hex } from '../../../src/lds/bytes.js';

function openssl(args: readonly string[], input: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync('openssl', args, { input }));
}

/** CMAC through `openssl mac`, NIST SP 800-38B. */
export function opensslCmac(key: Uint8Array, data: Uint8Array): string {
  const cipher = `AES-${key.length * 8}-CBC`;
  const out = execFileSync('openssl', ['mac', '-cipher', cipher, '-macopt', `hexkey:${hex(key)}`, '-in', '-', 'CMAC'], {
    input: data,
  });
  return out.toString().trim().toLowerCase();
}

/** Raw CBC encryption without padding. */
export function opensslCbc(cipher: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): string {
  const legacy = cipher === 'des-cbc' || cipher === 'des-ecb' ? ['-provider', 'legacy', '-provider', 'default'] : [];
  const ivArgs = cipher.endsWith('-ecb') || cipher === 'des-ede' ? [] : ['-iv', hex(iv)];
  return hex(openssl(['enc', `-${cipher}`, ...legacy, '-K', hex(key), ...ivArgs, '-nopad'], data));
}

/** Decrypts whole blocks without padding, e.g. one DES-ECB block. */
export function opensslDecrypt(cipher: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): string {
  const legacy = cipher === 'des-cbc' || cipher === 'des-ecb' ? ['-provider', 'legacy', '-provider', 'default'] : [];
  const ivArgs = cipher.endsWith('-ecb') || cipher === 'des-ede' ? [] : ['-iv', hex(iv)];
  return hex(openssl(['enc', '-d', `-${cipher}`, ...legacy, '-K', hex(key), ...ivArgs, '-nopad'], data));
}
