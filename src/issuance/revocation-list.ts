/**
 * `registry export-revocations`: the lost and revoked cards of the registry as a signed
 * revocation list (codec and signing in src/crypto/revocation-list.ts, format in
 * docs/revocation-list.md), written atomically, the export itself recorded in the audit log.
 */
import { digest } from '../crypto/algorithms.js';
import { writeFileAtomic } from '../crypto/file-io.js';
import { issueRevocationList, type RevokedDocument } from '../crypto/revocation-list.js';
import type { Signer } from '../crypto/signer.js';
import { hex } from '../lds/bytes.js';
import type { Registry } from './registry.js';

const DAY = 24 * 3600 * 1000;

export interface RevocationExportOptions {
  /** The signer (the Document Signer, or a dedicated signer issued by the CSCA) and its certificate. */
  readonly signer: Signer;
  readonly certificate: Uint8Array;
  /** ISO 3166-1 alpha-2 code of the issuing state. */
  readonly issuer: string;
  /** thisUpdate; defaults to now. */
  readonly now?: Date;
  /** nextUpdate = thisUpdate + this many days; defaults to 7 (a verifier then knows the list is stale). */
  readonly validityDays?: number;
  /** Where to write the list; when omitted only the bytes are returned. */
  readonly out?: string;
}

export interface RevocationExport {
  /** ContentInfo DER. */
  readonly bytes: Uint8Array;
  readonly documents: readonly RevokedDocument[];
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

export async function exportRevocationList(registry: Registry, options: RevocationExportOptions): Promise<RevocationExport> {
  const days = options.validityDays ?? 7;
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new RangeError(`"validityDays" expected 1 to 366, got ${String(days)}`);
  // GeneralizedTime holds whole seconds (X.690 §11.7); round so that decode(encode) gives the same dates.
  const thisUpdate = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + days * DAY);
  const documents = (await registry.listRevoked()).map(
    (c): RevokedDocument =>
      Object.freeze({
        documentNumber: c.documentNumber!,
        sodHash: c.sodHash,
        revocationDate: new Date(Math.floor(Date.parse(c.revokedAt!) / 1000) * 1000),
        reason: c.status === 'lost' ? 'lost' : 'revoked',
      }),
  );
  const bytes = await issueRevocationList({
    issuer: options.issuer,
    thisUpdate,
    nextUpdate,
    documents,
    signer: options.signer,
    certificate: options.certificate,
  });
  if (options.out !== undefined) {
    await writeFileAtomic(options.out, bytes, 0o600);
    await registry.logEvent('revocations.export', null, {
      documents: documents.length,
      thisUpdate: thisUpdate.toISOString(),
      nextUpdate: nextUpdate.toISOString(),
      sha256: hex(digest('sha256', bytes)),
    });
  }
  return Object.freeze({ bytes, documents: Object.freeze(documents), thisUpdate, nextUpdate });
}
