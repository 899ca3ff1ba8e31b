/**
 * The checkpoint's card reader: the server reads the card on its own PC/SC reader (PACE with the
 * CAN, or the CAN derived from the 12-digit ID, cccd-profile.md "The chip") and verifies it
 * completely (src/reader/verify.ts), AA and CA included. One card at a time per process.
 */
import sharp from 'sharp';
import { canFromId } from '../lds/cccd-id.js';
import { connect, waitForCard } from '../reader/pcsc.js';
import { TransportError } from '../reader/transport.js';
import type { TrustStore } from '../reader/trust-store.js';
import { CardAccessError, verifyCard, type VerificationReport } from '../reader/verify.js';
import { HttpError } from './http-io.js';

export interface CardReading {
  readonly report: VerificationReport;
  /** The DG2 face as a data: URL a browser shows (JPEG as stored, JPEG 2000 converted to PNG when possible). */
  readonly faceImage: string | undefined;
}

export type CardReader = (request: { readonly can?: unknown; readonly id?: unknown }) => Promise<CardReading>;

const NO_CARD = new Set(['NO_READER', 'NO_CARD', 'CARD_REMOVED', 'TIMEOUT', 'PCSC_NO_SERVICE', 'PCSC_UNAVAILABLE', 'CARD_UNRESPONSIVE']);

export function cardReader(trust: TrustStore, reader: string | undefined, waitMs = 3000): CardReader {
  let queue: Promise<unknown> = Promise.resolve();
  return (request) => {
    const can = accessCan(request);
    const run = queue.then(() => readOnce(trust, reader, can, waitMs));
    queue = run.catch(() => undefined);
    return run;
  };
}

function accessCan(request: { readonly can?: unknown; readonly id?: unknown }): string {
  if (typeof request.can === 'string' && /^\d{6}$/.test(request.can) && request.id === undefined) return request.can;
  if (typeof request.id === 'string' && /^\d{12}$/.test(request.id) && request.can === undefined) return canFromId(request.id);
  throw new HttpError(400, 'BAD_REQUEST', 'give "can" (6 digits) or "id" (the 12-digit personal ID)');
}

async function readOnce(trust: TrustStore, reader: string | undefined, can: string, waitMs: number): Promise<CardReading> {
  let report: VerificationReport;
  try {
    const card = await waitForCard({ ...(reader !== undefined && { reader }), timeoutMs: waitMs });
    const transport = await connect(card.reader, { share: 'exclusive', disposition: 'reset' });
    report = await verifyCard(transport, { trust, access: { can } });
  } catch (e) {
    if (e instanceof CardAccessError) {
      throw new HttpError(422, e.code === 'ACCESS_DENIED' ? 'ACCESS_DENIED' : 'CARD_ACCESS_FAILED', e.code === 'ACCESS_DENIED' ? 'the chip refused access: wrong CAN' : e.message);
    }
    if (e instanceof TransportError) {
      throw NO_CARD.has(e.code) ? new HttpError(409, 'NO_CARD', 'there is no card on the reader') : new HttpError(409, 'CARD_FAILED', `card communication failed: ${e.code}`);
    }
    throw e;
  }
  return Object.freeze({ report, faceImage: await faceDataUrl(report) });
}

async function faceDataUrl(report: VerificationReport): Promise<string | undefined> {
  const image = report.data.faceImage;
  if (image === undefined || report.face === undefined) return undefined;
  if (report.face.format === 'jpeg') return `data:image/jpeg;base64,${Buffer.from(image).toString('base64')}`;
  try {
    return `data:image/png;base64,${(await sharp(image).png().toBuffer()).toString('base64')}`;
  } catch {
    return undefined; // no JPEG 2000 decoder in this libvips: the page shows no photo
  }
}
