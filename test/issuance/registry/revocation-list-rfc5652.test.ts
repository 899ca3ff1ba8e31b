/**
 * The signed document revocation list (docs/revocation-list.md): eContent DER checked against
 * `openssl asn1parse -genconf`, the CMS SignedData (RFC 5652) checked by `openssl cms -verify`
 * against the CSCA, and the reader's TrustStore accepting it only under a trusted CSCA.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrust } from '../../../bin/commands/trust.js';
import { issueMasterList } from '../../../src/crypto/masterlist.js';
import { initPki, loadPki, type Pki } from '../../../src/crypto/pki.js';
import { toPem } from '../../../src/crypto/certificates.js';
import {
  decodeRevocationList,
  decodeRevocationListContent,
  encodeRevocationList,
  issueRevocationList,
} from '../../../src/crypto/revocation-list.js';
import { Registry, type LineItem } from '../../../src/issuance/registry.js';
import { exportRevocationList } from '../../../src/issuance/revocation-list.js';
import { attempt, ParseError } from '../../../src/lds/errors.js';
import { pkiFileKind, TrustStore } from '../../../src/reader/trust-store.js';
import { derFromConf, openssl, tempDir } from '../../crypto/pki/openssl.js';

const dir = tempDir('cancuoc-rl-');
const sod = (id: string): Uint8Array => new Uint8Array(createHash('sha256').update(`SOD ${id}`).digest());
let pki: Pki;
let other: Pki;
let listPath: string;
let list: Uint8Array;

beforeAll(async () => {
  await initPki({ dir: join(dir, 'pki'), suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true });
  await initPki({ dir: join(dir, 'other'), suite: 'ecdsa-p256', country: 'VN', insecurePlainKeys: true });
  pki = await loadPki(join(dir, 'pki'));
  other = await loadPki(join(dir, 'other'));
  writeFileSync(join(dir, 'csca.pem'), toPem(pki.certificates.csca));
  writeFileSync(join(dir, 'other-csca.pem'), toPem(other.certificates.csca));
  const reg = await Registry.open(join(dir, 'registry.sqlite'), { actor: 'test@line' });
  await reg.enqueue([{ id: '001099012345' }, { id: '079204000123' }, { id: '031185000777' }]);
  const batch = await reg.startBatch();
  for (let item: LineItem | undefined = await reg.claimNext(batch.id); item !== undefined; item = await reg.claimNext(batch.id)) {
    const documentNumber = item.idNumber.slice(3);
    const p = await reg.markPersonalizing(item, `CHIP-${item.cardId}`);
    const v = await reg.markVerified(await reg.markWritten(p, { documentNumber, sodHash: sod(item.idNumber) }));
    await reg.markIssued(v, { chipSerial: `CHIP-${item.cardId}`, documentNumber, sodHash: sod(item.idNumber) });
  }
  await reg.markLost('001099012345', 'reported lost');
  await reg.markRevoked('204000123');
  listPath = join(dir, 'revocations.rl');
  await exportRevocationList(reg, { signer: pki.signers.ds, certificate: pki.certificates.ds, issuer: 'VN', out: listPath });
  expect((await reg.auditLog()).at(-1)!.action).toBe('revocations.export');
  await reg.close();
  list = new Uint8Array(readFileSync(listPath));
}, 60_000);

describe('eContent DER (checked against openssl asn1parse -genconf)', () => {
  it('encodes the structure of docs/revocation-list.md byte for byte', () => {
    const hash = sod('x');
    const expected = derFromConf(
      [
        'asn1 = SEQUENCE:rl',
        '[rl]',
        'version = INTEGER:0',
        'issuer = PRINTABLESTRING:VN',
        'thisUpdate = GENERALIZEDTIME:20260301000000Z',
        'nextUpdate = GENERALIZEDTIME:20260308000000Z',
        'docs = SEQUENCE:docs',
        '[docs]',
        'd1 = SEQUENCE:d1',
        'd2 = SEQUENCE:d2',
        '[d1]',
        'num = PRINTABLESTRING:099012345',
        `hash = FORMAT:HEX,OCTETSTRING:${Buffer.from(hash).toString('hex')}`,
        'date = GENERALIZEDTIME:20260215103000Z',
        'reason = ENUMERATED:1',
        '[d2]',
        'num = PRINTABLESTRING:204000123',
        'date = GENERALIZEDTIME:20260216000000Z',
        'reason = ENUMERATED:2',
      ].join('\n'),
      dir,
    );
    const content = {
      issuer: 'VN',
      thisUpdate: new Date('2026-03-01T00:00:00Z'),
      nextUpdate: new Date('2026-03-08T00:00:00Z'),
      documents: [
        { documentNumber: '099012345', sodHash: hash, revocationDate: new Date('2026-02-15T10:30:00Z'), reason: 'lost' as const },
        { documentNumber: '204000123', sodHash: undefined, revocationDate: new Date('2026-02-16T00:00:00Z'), reason: 'revoked' as const },
      ],
    };
    expect(Buffer.from(encodeRevocationList(content)).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
    const back = decodeRevocationListContent(expected);
    expect(back).toMatchObject({ version: 0, issuer: 'VN', thisUpdate: content.thisUpdate, nextUpdate: content.nextUpdate });
    expect(back.documents).toEqual(content.documents);
    expect(encodeRevocationList(back)).toEqual(expected);
  });
});

describe('signature (openssl cms -verify, RFC 5652 §5.6)', () => {
  it('verifies against the CSCA and yields the eContent', () => {
    const r = openssl(['cms', '-verify', '-inform', 'DER', '-in', listPath, '-CAfile', join(dir, 'csca.pem'), '-purpose', 'any', '-binary']);
    expect(r.stderr).toContain('Verification successful');
    expect(new Uint8Array(r.out)).toEqual(decodeRevocationList(list).signedData.content);
  });

  it('fails against an unrelated CSCA', () => {
    const r = openssl(['cms', '-verify', '-inform', 'DER', '-in', listPath, '-CAfile', join(dir, 'other-csca.pem'), '-purpose', 'any', '-out', '/dev/null']);
    expect(r.status).not.toBe(0);
  });

  it('lists the lost and the revoked card from the registry with their SOD hashes', () => {
    const rl = decodeRevocationList(list);
    expect(rl.issuer).toBe('VN');
    expect(rl.nextUpdate.getTime() - rl.thisUpdate.getTime()).toBe(7 * 24 * 3600 * 1000);
    expect(rl.documents.map((d) => [d.documentNumber, d.reason]).sort()).toEqual([
      ['099012345', 'lost'],
      ['204000123', 'revoked'],
    ]);
    expect(rl.documents.find((d) => d.documentNumber === '099012345')!.sodHash).toEqual(sod('001099012345'));
  });
});

describe('TrustStore.addRevocationList', () => {
  it('accepts the list under the trusted CSCA and answers isDocumentRevoked', () => {
    const store = new TrustStore();
    store.addCertificates(pki.certificates.csca);
    const report = store.addRevocationList(list);
    expect(report).toMatchObject({ accepted: true, current: true });
    expect(store.isDocumentRevoked('099012345')).toBe(true);
    expect(store.isDocumentRevoked(sod('079204000123'))).toBe(true);
    expect(store.isDocumentRevoked('185000777')).toBe(false);
    expect(store.isDocumentRevoked(sod('031185000777'))).toBe(false);
    // a later card with the same document number but another SOD is not the revoked one
    expect(store.revocationOf({ documentNumber: '099012345', sodHash: sod('new card') })).toBeUndefined();
    expect(store.revocationOf({ documentNumber: '099012345', sodHash: sod('001099012345') })?.reason).toBe('lost');
  });

  it('refuses it without the issuing CSCA, and reports a stale list', () => {
    const store = new TrustStore();
    store.addCertificates(other.certificates.csca);
    expect(store.addRevocationList(list)).toMatchObject({ accepted: false, reason: expect.stringMatching(/does not chain/) });
    expect(store.isDocumentRevoked('099012345')).toBe(false);
    const mine = new TrustStore();
    mine.addCertificates(pki.certificates.csca);
    expect(mine.addRevocationList(list, { at: new Date(Date.now() + 30 * 24 * 3600 * 1000) })).toMatchObject({ accepted: true, current: false });
  });

  it('refuses a list whose content was altered after signing', () => {
    const bad = Uint8Array.from(list);
    const content = decodeRevocationList(list).signedData;
    const at = content.contentOffset + content.content.length - 1; // the last reason ENUMERATED value
    bad[at] = bad[at] === 1 ? 2 : 1;
    const store = new TrustStore();
    store.addCertificates(pki.certificates.csca);
    expect(store.addRevocationList(bad).accepted).toBe(false);
  });

  it('is recognised by content in --trust, whatever the order of the paths', async () => {
    expect(pkiFileKind(list)).toBe('revocation-list');
    expect(pkiFileKind(pki.masterList)).toBe('master-list');
    const { store, loaded } = await loadTrust([listPath, join(dir, 'csca.pem')]);
    expect(loaded.find((l) => l.file === listPath)).toMatchObject({ kind: 'revocation-list', ok: true });
    expect(store.isDocumentRevoked('204000123')).toBe(true);
  });
});

describe('hostile input', () => {
  it('every truncation and random bytes give a ParseError, never a crash', () => {
    for (let cut = 0; cut < list.length; cut += 5) {
      const r = attempt(() => decodeRevocationList(list.subarray(0, cut)));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toBeInstanceOf(ParseError);
    }
    for (let i = 0; i < 500; i++) {
      const junk = new Uint8Array(1 + Math.floor(Math.random() * 200)).map(() => Math.floor(Math.random() * 256));
      const r = attempt(() => decodeRevocationList(junk));
      if (!r.ok) expect(r.error).toBeInstanceOf(ParseError);
    }
  });

  it('a master list is not a revocation list (RL_WRONG_CONTENT_TYPE)', async () => {
    const ml = await issueMasterList({ certificates: [pki.certificates.csca], signerCertificate: pki.certificates.mlsigner, signer: pki.signers.mlsigner });
    expect(() => decodeRevocationList(ml)).toThrow(expect.objectContaining({ code: 'RL_WRONG_CONTENT_TYPE' }));
  });

  it('bad field values in the content are ParseErrors with their place', () => {
    const good = encodeRevocationList({ issuer: 'VN', thisUpdate: new Date(0), nextUpdate: new Date(1000), documents: [] });
    const v1 = Uint8Array.from(good);
    v1[4] = 1; // version 1
    expect(() => decodeRevocationListContent(v1)).toThrow(expect.objectContaining({ code: 'RL_BAD_VERSION' }));
    const badTime = Uint8Array.from(good);
    badTime[good.indexOf(0x18) + 6] = 0x39; // month 19
    expect(() => decodeRevocationListContent(badTime)).toThrow(expect.objectContaining({ code: 'RL_BAD_TIME' }));
  });

  it('issueRevocationList checks its arguments', async () => {
    const base = { issuer: 'VN', thisUpdate: new Date(0), nextUpdate: new Date(1000), documents: [], signer: pki.signers.ds, certificate: pki.certificates.ds };
    await expect(issueRevocationList({ ...base, issuer: 'vn' })).rejects.toThrow(RangeError);
    await expect(issueRevocationList({ ...base, nextUpdate: new Date(0) })).rejects.toThrow(RangeError);
    await expect(issueRevocationList({ ...base, certificate: pki.certificates.csca })).rejects.toThrow(RangeError);
    await expect(
      issueRevocationList({ ...base, documents: [{ documentNumber: 'a b', sodHash: undefined, revocationDate: new Date(0), reason: 'lost' }] }),
    ).rejects.toThrow(RangeError);
  });
});
