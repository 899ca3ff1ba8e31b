/**
 * A throwaway eMRTD PKI made by the openssl CLI, so that passive-authentication tests do not
 * depend on cancuoc's own certificate code: two unrelated CSCAs, Document Signers of several key
 * types, an expired DS, a revoked DS with the CSCA's CRL, a master-list signer.
 * Private keys live in a temporary directory (allowed for a throwaway test PKI).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface IssuedCert {
  readonly certPath: string;
  readonly keyPath: string;
  readonly der: Uint8Array;
  readonly pem: string;
}

export type KeySpec = 'p256' | 'p384' | 'bp256' | 'bp384' | 'rsa-pss-3072' | 'rsa2048' | 'rsa1024';

export function openssl(args: readonly string[], input?: Uint8Array): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

function genKey(path: string, spec: KeySpec): void {
  const curve = { p256: 'P-256', p384: 'P-384', bp256: 'brainpoolP256r1', bp384: 'brainpoolP384r1' } as const;
  if (spec === 'rsa-pss-3072' || spec === 'rsa2048' || spec === 'rsa1024') {
    const bits = spec === 'rsa2048' ? '2048' : spec === 'rsa1024' ? '1024' : '3072';
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`, '-out', path]);
  } else {
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve[spec]}`, '-out', path]);
  }
}

const CONFIG = (dir: string): string => `
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = ${dir}
database = ${dir}/index.txt
new_certs_dir = ${dir}/newcerts
serial = ${dir}/serial
crlnumber = ${dir}/crlnumber
default_md = sha256
policy = policy_any
unique_subject = no
default_crl_days = 30
[ policy_any ]
countryName = optional
organizationName = optional
commonName = supplied
[ req ]
distinguished_name = dn
[ dn ]
[ ext_csca ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ ext_plain ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = none
authorityKeyIdentifier = none
[ ext_ds ]
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ ext_mls ]
keyUsage = critical, digitalSignature
extendedKeyUsage = 2.23.136.1.1.3
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ ext_seal ]
keyUsage = critical, digitalSignature
extendedKeyUsage = 2.23.136.1.1.14.2
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ ext_ds_unknown_critical ]
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
1.2.3.4 = critical, DER:05:00
[ ext_csca_unknown_critical ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
1.2.3.4 = critical, DER:05:00
# privateKeyUsagePeriod 2020-01-01 to 2021-01-01 (RFC 3280 §4.2.1.4; openssl has no name for it)
[ ext_ds_key_period_past ]
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
2.5.29.16 = DER:30:22:80:0f:32:30:32:30:30:31:30:31:30:30:30:30:30:30:5a:81:0f:32:30:32:31:30:31:30:31:30:30:30:30:30:30:5a
[ ext_seal_key_period_past ]
keyUsage = critical, digitalSignature
extendedKeyUsage = 2.23.136.1.1.14.2
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
2.5.29.16 = DER:30:22:80:0f:32:30:32:30:30:31:30:31:30:30:30:30:30:30:5a:81:0f:32:30:32:31:30:31:30:31:30:30:30:30:30:30:5a
# documentTypeList { version 0, { "P" } } (ICAO 9303-12 §7.1.1.2): passports only
[ ext_ds_passports ]
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
2.23.136.1.1.6.2 = DER:30:08:02:01:00:31:03:13:01:50
[ crl_unknown_critical ]
1.2.3.4 = critical, DER:05:00
`;

/** A CSCA with its `openssl ca` database, able to issue certificates and CRLs. */
export class OpensslCa {
  readonly dir: string;
  readonly cert: IssuedCert;
  private readonly config: string;

  constructor(root: string, name: string, subject: string, keySpec: KeySpec = 'p256') {
    this.dir = join(root, name);
    mkdirSync(join(this.dir, 'newcerts'), { recursive: true });
    writeFileSync(join(this.dir, 'index.txt'), '');
    writeFileSync(join(this.dir, 'serial'), '1000\n');
    writeFileSync(join(this.dir, 'crlnumber'), '01\n');
    this.config = join(this.dir, 'openssl.cnf');
    writeFileSync(this.config, CONFIG(this.dir));
    const keyPath = join(this.dir, 'csca.key');
    const certPath = join(this.dir, 'csca.pem');
    genKey(keyPath, keySpec);
    openssl(['req', '-config', this.config, '-new', '-x509', '-key', keyPath, '-subj', subject, '-days', '3650',
      '-set_serial', '1', '-extensions', 'ext_csca', '-out', certPath]);
    this.cert = load(certPath, keyPath);
  }

  /** Issues a certificate; dates as YYYYMMDDHHMMSSZ, default valid from yesterday for two years. */
  issue(name: string, subject: string, options: { keySpec?: KeySpec; start?: string; end?: string; ext?: string; md?: string } = {}): IssuedCert {
    const keyPath = join(this.dir, `${name}.key`);
    const csrPath = join(this.dir, `${name}.csr`);
    const certPath = join(this.dir, `${name}.pem`);
    genKey(keyPath, options.keySpec ?? 'p256');
    openssl(['req', '-config', this.config, '-new', '-key', keyPath, '-subj', subject, '-out', csrPath]);
    const start = options.start ?? stamp(new Date(Date.now() - 86_400_000));
    const end = options.end ?? stamp(new Date(Date.now() + 2 * 365 * 86_400_000));
    openssl(['ca', '-batch', '-config', this.config, '-cert', this.cert.certPath, '-keyfile', this.cert.keyPath,
      '-in', csrPath, '-out', certPath, '-extensions', options.ext ?? 'ext_ds', '-startdate', start, '-enddate', end,
      '-notext', ...(options.md === undefined ? [] : ['-md', options.md])]);
    return load(certPath, keyPath);
  }

  revoke(cert: IssuedCert): void {
    openssl(['ca', '-batch', '-config', this.config, '-cert', this.cert.certPath, '-keyfile', this.cert.keyPath,
      '-revoke', cert.certPath, '-crl_reason', 'keyCompromise']);
  }

  /** The CRL in DER; `exts` names a CRL extension section of the config, times as YYYYMMDDHHMMSSZ. */
  crl(options: { exts?: string; lastUpdate?: string; nextUpdate?: string } = {}): Uint8Array {
    const pemPath = join(this.dir, 'crl.pem');
    openssl(['ca', '-batch', '-config', this.config, '-cert', this.cert.certPath, '-keyfile', this.cert.keyPath,
      '-gencrl', '-out', pemPath,
      ...(options.exts === undefined ? [] : ['-crlexts', options.exts]),
      ...(options.lastUpdate === undefined ? [] : ['-crl_lastupdate', options.lastUpdate]),
      ...(options.nextUpdate === undefined ? [] : ['-crl_nextupdate', options.nextUpdate])]);
    return new Uint8Array(openssl(['crl', '-in', pemPath, '-outform', 'DER']));
  }
}

function load(certPath: string, keyPath: string): IssuedCert {
  const pem = readFileSync(certPath, 'utf8');
  const der = new Uint8Array(openssl(['x509', '-in', certPath, '-outform', 'DER']));
  return Object.freeze({ certPath, keyPath, der, pem });
}

export function stamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** `openssl cms -verify` of a ContentInfo (the 77 wrapper already removed) against `caFile`. */
export function opensslCmsVerify(contentInfo: Uint8Array, caFile: string, workDir: string): { ok: boolean; output: string } {
  const inPath = join(workDir, `cms-${process.pid}-${Math.random().toString(36).slice(2)}.der`);
  writeFileSync(inPath, contentInfo);
  try {
    const out = execFileSync('openssl', ['cms', '-verify', '-inform', 'DER', '-in', inPath, '-CAfile', caFile,
      '-purpose', 'any', '-out', '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    return { ok: true, output: out.toString() };
  } catch (e) {
    const err = e as { stderr?: Buffer };
    return { ok: false, output: err.stderr?.toString() ?? String(e) };
  }
}
