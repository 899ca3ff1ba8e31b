/**
 * ICAO 9303-13 VDS header/message/signature zones against every published seal in
 * test/vectors/vds (fixtures.json: values decoded independently, signatures checked with
 * openssl). The six BSI TR-03137 Annex C–H examples are rebuilt byte for byte from their field
 * values, and their signatures verified with the DETS27 / DETS32 certificates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromPem } from '../../src/crypto/certificates.js';
import { fromHex, hex } from '../../src/lds/bytes.js';
import { ParseError } from '../../src/lds/errors.js';
import { decodeVdsFeatures } from '../../src/qr/vds-profile.js';
import { decodeVds, decodeVdsDate, encodeVds, encodeVdsDate, type VdsSeal } from '../../src/qr/vds.js';
import { verifyVds, verifyVdsSignature } from '../../src/qr/vds-sign.js';
import { issuerOf } from '../../src/crypto/certificates.js';

const DIR = join(import.meta.dirname, '../vectors/vds');
interface Fixture {
  id: string;
  raw_hex: string;
  header: Record<string, string | number>;
  features: { tag: number; coding: string; length: number; hex: string; value: string }[];
  signature_hex: string;
  signed_data_length: number;
  parse_notes: string[];
  verification: { hash: string; cert: string } | null;
}
const FIX = JSON.parse(readFileSync(join(DIR, 'fixtures.json'), 'utf8')) as { vds: Fixture[]; certificates: Record<string, { pem: string }> };
const CERTS = Object.fromEntries(Object.entries(FIX.certificates).map(([k, v]) => [k, fromPem(v.pem)]));
const seal = (f: Fixture): VdsSeal => decodeVds(fromHex(f.raw_hex));

describe('VDS dates (TR-03137 §3.2.3)', () => {
  it('encodes 25 March 1957 as 31 9e f5 (the TR example) and the fixture dates', () => {
    expect(hex(encodeVdsDate('1957-03-25'))).toBe('319ef5');
    expect(decodeVdsDate(fromHex('0f7134'))).toBe('2020-01-01');
    expect(decodeVdsDate(fromHex('b79815'))).toBe('2021-12-03');
  });
  it('rejects a value that is no date', () => {
    expect(() => decodeVdsDate(fromHex('ffffff'), 0)).toThrow(ParseError);
    expect(() => decodeVdsDate(uint3(2302020), 0)).toThrow(/not a date/); // 02/30/2020
  });
});

function uint3(n: number): Uint8Array {
  return Uint8Array.of(n >> 16, (n >> 8) & 0xff, n & 0xff);
}

describe.each(FIX.vds.map((f) => [f.id, f] as const))('seal %s', (_id, f) => {
  it('parses to the header fields fixtures.json lists', () => {
    const h = seal(f).header;
    expect(h.version).toBe(f.header.icao_version);
    expect(h.issuingCountry).toBe(f.header.issuing_country);
    expect(h.signerIdentifier).toBe(f.header.signer_identifier);
    expect(h.certificateReference).toBe(f.header.certificate_reference);
    expect(h.issueDate).toBe(f.header.issue_date);
    expect(h.signatureDate).toBe(f.header.signature_date);
    expect(h.featureDefinitionReference).toBe(Number(f.header.feature_definition_reference));
    expect(h.documentTypeCategory).toBe(Number(f.header.document_type_category));
    expect(h.raw.length).toBe(f.header.header_length);
    // errata cases (README §4): v4 version byte with the fixed v3 signer field
    expect(h.signerFieldLayout === 'v3-in-v4').toBe(f.parse_notes.some((n) => n.includes('fixed 9-char v3 layout')));
  });

  it('has the listed features, values and signature, and re-encodes to the same bytes', () => {
    const s = seal(f);
    expect(s.features.map((x) => [x.tag, hex(x.value)])).toEqual(f.features.map((x) => [x.tag, x.hex]));
    const decoded = decodeVdsFeatures(s);
    f.features.forEach((x, i) => {
      const v = decoded[i]!.value;
      if (x.coding === 'C40' || x.coding === 'UTF8') expect(v).toBe(x.value);
      if (x.coding === 'MRZ' && decoded[i]!.coding === 'mrz') expect(v).toBe(x.value.replace(' / ', ''));
    });
    expect(hex(s.signature)).toBe(f.signature_hex);
    expect(s.signedData.length).toBe(f.signed_data_length);
    expect(s.lengthEncoding).toBe(f.parse_notes.some((n) => n.includes('single-byte')) ? 'single-byte' : 'der');
    expect(hex(encodeVds(s))).toBe(f.raw_hex);
  });

  it.runIf(f.verification !== null)('verifies with its certificate, and not after a flipped byte', () => {
    const s = seal(f);
    const cert = CERTS[f.verification!.cert]!;
    expect(verifyVdsSignature(s, issuerOf(cert).spki)).toBe(true);
    // the certificate is found by signer id + reference among all three
    const v = verifyVds(s, { certificates: Object.values(CERTS) });
    expect(v.verdict).toBe('UNTRUSTED'); // signature fine, no trust anchors given
    expect(v.code).toBe('SEAL_NO_TRUST_ANCHORS');
    expect(hex(v.certificate!)).toBe(hex(cert));
    const flipped = fromHex(f.raw_hex);
    flipped[s.header.raw.length + 3] = flipped[s.header.raw.length + 3]! ^ 0x01;
    const t = decodeVds(flipped);
    expect(verifyVdsSignature(t, issuerOf(cert).spki)).toBe(false);
  });
});

describe('BSI TR-03137 Annex C–H, rebuilt from field values', () => {
  const annex = FIX.vds.filter((f) => f.id.startsWith('bsi_tr03137__'));
  it('covers the six worked examples', () => expect(annex).toHaveLength(6));
  it.each(annex.map((f) => [f.id, f] as const))('%s', (_id, f) => {
    const h = f.header;
    const rebuilt = encodeVds({
      header: {
        version: h.icao_version as 3 | 4,
        issuingCountry: String(h.issuing_country).replace(/ /g, '<'),
        signerIdentifier: String(h.signer_identifier),
        certificateReference: String(h.certificate_reference),
        signerFieldLayout: h.icao_version === 3 ? 'v3' : 'v4',
        issueDate: String(h.issue_date),
        signatureDate: String(h.signature_date),
        featureDefinitionReference: Number(h.feature_definition_reference),
        documentTypeCategory: Number(h.document_type_category),
      },
      features: f.features.map((x) => ({ tag: x.tag, value: fromHex(x.hex) })),
      signature: fromHex(f.signature_hex),
    });
    expect(hex(rebuilt)).toBe(f.raw_hex);
  });
});

describe('hostile seals', () => {
  const good = fromHex(FIX.vds[0]!.raw_hex);
  it('every truncation is a ParseError with an offset', () => {
    for (let n = 0; n < good.length; n++) {
      const e = catchError(() => decodeVds(good.subarray(0, n)));
      expect(e, `length ${n}`).toBeInstanceOf(ParseError);
      expect(typeof (e as ParseError).place.offset).toBe('number');
    }
  });
  it('trailing bytes, a wrong magic or version are rejected', () => {
    expect((catchError(() => decodeVds(Uint8Array.of(...good, 0))) as ParseError).code).toBe('VDS_TRAILING_BYTES');
    expect((catchError(() => decodeVds(Uint8Array.of(0xdd, ...good.subarray(1)))) as ParseError).code).toBe('VDS_MAGIC');
    expect((catchError(() => decodeVds(Uint8Array.of(0xdc, 0x01, ...good.subarray(2)))) as ParseError).code).toBe('VDS_VERSION_UNSUPPORTED');
  });
  it('random and mutated bytes give a ParseError or a seal, never another exception', () => {
    let seed = 99;
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
    for (let i = 0; i < 3000; i++) {
      const b = i % 2 === 0 ? Uint8Array.from({ length: rnd() }, rnd) : Uint8Array.from(good);
      if (i % 2 === 1) for (let k = 0; k < 3; k++) b[rnd() % b.length] = rnd();
      if (i % 4 === 0) b[0] = 0xdc;
      const e = catchError(() => {
        const s = decodeVds(b);
        decodeVdsFeatures(s);
        expect(hex(encodeVds(s))).toBe(hex(b));
      });
      if (e !== undefined) expect(e).toBeInstanceOf(ParseError);
    }
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
