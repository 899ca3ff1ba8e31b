/**
 * The terminal's view of a card: send one command APDU, get the whole response APDU back.
 *
 * Shared by every transport (PC/SC, in-process): the typed errors, one exchange at a time, and
 * the transport-level status words of ISO/IEC 7816-4 (2020) that a caller should never see:
 * '61XX' (more data waiting: fetch it with GET RESPONSE) and '6CXX' (wrong Le: send the same
 * command again with Le = XX). Works on raw bytes; the command is only parsed far enough to
 * find its Le field.
 */

import { abytes, concat } from '../lds/bytes.js';
import { CancuocError, ErrorPlace, ParseError } from '../lds/errors.js';

export interface Transport {
  /** Sends a command APDU; resolves with data ‖ SW1 SW2 after any 61XX/6CXX handling. */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  /** Largest command APDU the transport can carry, when it is limited. */
  readonly maxCommandLength?: number;
  /** Waits for exchanges in progress, then releases the card. Idempotent. */
  close(): Promise<void>;
}

/**
 * `transport` lent to a session that will close it: the session's close() leaves the connection
 * open, so that the lender can go on (personalization reads back, then locks, on one connection).
 */
export function borrowedTransport(transport: Transport): Transport {
  return {
    transmit: (apdu) => transport.transmit(apdu),
    get maxCommandLength() {
      return transport.maxCommandLength;
    },
    close: async () => undefined,
  };
}

export interface TransportErrorOptions {
  readonly cause?: unknown;
  /** The PC/SC return code (SCARD_E_… / SCARD_W_…) when the error came from the PC/SC stack. */
  readonly pcscCode?: number;
}

/** A failure to talk to the card: stack, reader or protocol. `code` is stable. */
export class TransportError extends CancuocError {
  readonly pcscCode: number | undefined;

  constructor(code: string, message: string, place: ErrorPlace = {}, options: TransportErrorOptions = {}) {
    super(code, message, place, options.cause === undefined ? undefined : { cause: options.cause });
    this.pcscCode = options.pcscCode;
  }
}

/** The card left the reader (or was never there). Codes CARD_REMOVED, NO_CARD. */
export class CardRemovedError extends TransportError {}

/** The reader does not exist or went away. Code NO_READER. */
export class NoReaderError extends TransportError {}

/** Nothing happened in the time allowed. Code TIMEOUT. */
export class TimeoutError extends TransportError {}

/** A card that keeps answering 61XX is broken or hostile; stop after this many GET RESPONSEs. */
const MAX_GET_RESPONSE_ROUNDS = 1024;

const INS_GET_RESPONSE = 0xc0;

/**
 * Base for transports: subclasses supply one raw exchange and the release of the card; this
 * class adds argument checks, serialisation of concurrent calls and the status-word handling.
 */
export abstract class BaseTransport implements Transport {
  abstract readonly maxCommandLength?: number;
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  /** One command APDU to the card, its response back, nothing else. */
  protected abstract exchange(apdu: Uint8Array): Promise<Uint8Array>;

  /** Gives the card back (disconnect, power off). Called once. */
  protected abstract release(): Promise<void>;

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    abytes(apdu, 'apdu');
    if (apdu.length < 4) throw new RangeError(`"apdu" expected at least 4 bytes (CLA INS P1 P2), got ${apdu.length}`);
    const max = this.maxCommandLength;
    if (max !== undefined && apdu.length > max) throw new RangeError(`"apdu" expected at most ${max} bytes, got ${apdu.length}`);
    if (this.closing !== undefined) throw new TransportError('TRANSPORT_CLOSED', 'transport is closed', { step: 'transmit' });
    const command = apdu.slice();
    const run = this.queue.then(() => this.transmitHandlingStatus(command));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): Promise<void> {
    this.closing ??= this.queue.then(() => this.release());
    return this.closing;
  }

  private async transmitHandlingStatus(command: Uint8Array): Promise<Uint8Array> {
    let response = await this.exchangeChecked(command);
    // ISO/IEC 7816-4: '6CXX' = wrong Le, XX is the exact length available ('00' = 256).
    if (response[response.length - 2] === 0x6c) {
      const retry = withLe(command, (response[response.length - 1] as number) || 256);
      if (retry !== undefined) response = await this.exchangeChecked(retry);
    }
    return this.collectGetResponse(command[0] as number, response);
  }

  /** ISO/IEC 7816-4: '61XX' = XX more bytes ('00' = 256 or more); fetch with GET RESPONSE. */
  private async collectGetResponse(cla: number, first: Uint8Array): Promise<Uint8Array> {
    let response = first;
    const parts: Uint8Array[] = [];
    for (let round = 0; response[response.length - 2] === 0x61; round++) {
      if (round === MAX_GET_RESPONSE_ROUNDS) {
        throw new TransportError('GET_RESPONSE_LOOP', `card still answers 61XX after ${round} GET RESPONSE commands`, {
          step: 'get-response',
          sw: 0x6100 | (response[response.length - 1] as number),
        });
      }
      parts.push(response.subarray(0, response.length - 2));
      const getResponse = new Uint8Array([getResponseClass(cla), INS_GET_RESPONSE, 0, 0, response[response.length - 1] as number]);
      response = await this.exchangeChecked(getResponse);
      if (response[response.length - 2] === 0x6c) {
        response = await this.exchangeChecked(withLe(getResponse, (response[response.length - 1] as number) || 256) as Uint8Array);
      }
    }
    return parts.length === 0 ? response : concat(...parts, response);
  }

  private async exchangeChecked(command: Uint8Array): Promise<Uint8Array> {
    const response = await this.exchange(command);
    if (response.length < 2) {
      throw new ParseError('RESPONSE_TOO_SHORT', `response APDU of ${response.length} byte(s) has no SW1 SW2`, {
        field: 'SW1-SW2',
        offset: 0,
      });
    }
    return response;
  }
}

/**
 * Where the Le field of a command APDU sits, by the cases of ISO/IEC 7816-4 (2020) "command-response
 * pairs": 1, 2S, 3S, 4S, 2E, 3E, 4E. Undefined for cases 1 and 3 and for malformed commands.
 */
export function locateLe(apdu: Uint8Array): { readonly offset: number; readonly width: 1 | 2 } | undefined {
  const body = apdu.length - 4;
  if (body <= 0) return undefined;
  const b0 = apdu[4] as number;
  if (body === 1) return { offset: 4, width: 1 }; // case 2S
  if (b0 !== 0) return body === 2 + b0 ? { offset: apdu.length - 1, width: 1 } : undefined; // case 4S
  if (body === 3) return { offset: 5, width: 2 }; // case 2E: 00 Le1 Le2
  const lc = ((apdu[5] as number) << 8) | (apdu[6] as number);
  if (lc !== 0 && body === 5 + lc) return { offset: apdu.length - 2, width: 2 }; // case 4E
  return undefined;
}

/** The same command with Le set to `length` (256 short / 65536 extended encode as zeros). */
export function withLe(apdu: Uint8Array, length: number): Uint8Array | undefined {
  const at = locateLe(apdu);
  if (at === undefined) return undefined;
  const out = apdu.slice();
  if (at.width === 1) out[at.offset] = length & 0xff;
  else {
    out[at.offset] = (length >> 8) & 0xff;
    out[at.offset + 1] = length & 0xff;
  }
  return out;
}

/**
 * CLA for GET RESPONSE: same logical channel as the command, without secure messaging or
 * chaining bits (ISO/IEC 7816-4 class byte coding). Proprietary classes fall back to '00'.
 */
function getResponseClass(cla: number): number {
  if ((cla & 0xe0) === 0x00) return cla & 0x03; // first interindustry: channels 0..3
  if ((cla & 0xc0) === 0x40) return cla & 0x4f; // further interindustry: channels 4..19
  return 0x00;
}
