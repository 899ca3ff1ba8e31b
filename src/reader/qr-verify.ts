/**
 * One QR code's content judged on its own (issue 4, cccd-profile.md "The QR code printed on the
 * card"): an ICAO VDS seal (ICAO 9303-13) verified against the trust store, or the plain CCCD
 * text, which carries no signature. Shared by `cancuoc qr verify` and the verification service.
 */
import { attempt } from '../lds/errors.js';
import { parseCccdText } from '../qr/cccd-text.js';
import { decodeVds, type VdsSeal } from '../qr/vds.js';
import { verifyVds } from '../qr/vds-sign.js';
import { decodeVdsFeatures, isCccdSeal, readCccdSeal } from '../qr/vds-profile.js';
import type { QrChipCheck } from './qr-check.js';
import { sealSignerDecision } from './seal-trust.js';
import type { TrustStore } from './trust-store.js';

export type QrVerdict = 'VALID' | 'INVALID' | 'UNTRUSTED' | 'UNSIGNED' | 'UNREADABLE';

/** Across several codes the first verdict in this order wins: a forgery must never hide behind an unreadable or untrusted neighbour. */
export const QR_VERDICT_ORDER: readonly QrVerdict[] = Object.freeze(['INVALID', 'UNREADABLE', 'UNTRUSTED', 'UNSIGNED', 'VALID']);

export interface QrCodeReport {
  readonly kind: 'vds' | 'cccd-text' | 'unknown';
  readonly verdict: QrVerdict;
  readonly code: string;
  readonly reason: string;
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Each QR field against a verified chip's DG13, when one was given. */
  readonly chip?: { readonly verdict: string; readonly checks: readonly QrChipCheck[] };
}

/** A seal starts with the VDS magic 0xDC (ICAO 9303-13 §2.2.1); anything else is read as the plain text. */
export function classifyQr(bytes: Uint8Array, trust: TrustStore | undefined): QrCodeReport {
  if (bytes[0] === 0xdc) {
    const seal = attempt(() => decodeVds(bytes));
    if (!seal.ok) return { kind: 'vds', verdict: 'INVALID', code: seal.error.code, reason: `malformed seal: ${seal.error.message}` };
    return verifySeal(seal.value, trust);
  }
  const text = attempt(() => parseCccdText(bytes));
  if (!text.ok) return { kind: 'unknown', verdict: 'UNREADABLE', code: text.error.code, reason: `neither a VDS seal nor the CCCD text: ${text.error.message}` };
  const { raw: _raw, ...fields } = text.value;
  return { kind: 'cccd-text', verdict: 'UNSIGNED', code: 'QR_UNSIGNED', reason: 'unsigned: the plain CCCD text carries no signature; anyone can write it', fields };
}

function verifySeal(seal: VdsSeal, trust: TrustStore | undefined): QrCodeReport {
  const result = verifyVds(seal, {
    certificates: trust === undefined ? [] : [...trust.cscas, ...trust.signerCertificates].map((c) => c.der),
    ...(trust === undefined ? {} : { trust: (cert: Uint8Array, at: Date) => sealSignerDecision(trust, cert, at) }),
  });
  const content = isCccdSeal(seal.header) ? attempt(() => readCccdSeal(seal)) : attempt(() => featureMap(seal));
  if (!content.ok) {
    const verdict = result.verdict === 'VALID' ? 'INVALID' : result.verdict;
    return { kind: 'vds', verdict, code: content.error.code, reason: `${result.reason}; content: ${content.error.message}` };
  }
  const h = seal.header;
  const header = { issuingCountry: h.issuingCountry, signer: h.signerIdentifier, certificateReference: h.certificateReference, issueDate: h.issueDate, signatureDate: h.signatureDate };
  return { kind: 'vds', verdict: result.verdict, code: result.code, reason: result.reason, fields: { ...header, ...content.value } };
}

function featureMap(seal: VdsSeal): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of decodeVdsFeatures(seal)) out[f.name] = f.value instanceof Uint8Array ? Buffer.from(f.value).toString('hex') : f.value;
  return out;
}

