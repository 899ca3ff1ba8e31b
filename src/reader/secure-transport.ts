/**
 * The terminal's APDU exchange, plain or under secure messaging (ICAO 9303-11 (8th ed.) §9.8).
 *
 * Protocol modules (bac.ts, pace.ts, read-file.ts, …) depend only on `Exchange`: one command
 * APDU in, one response APDU out. `plainExchange` runs it over a Transport as is;
 * `SecureTransport` is itself a Transport that wraps every command with the session keys and
 * checks every response MAC first (src/crypto/secure-messaging.ts). Any failure on the way — a
 * bad MAC, a plain answer where a protected one was due, a lost card mid-exchange — ends the
 * session: the send sequence counters are no longer in step, so every later call is refused.
 */

import {
  decodeCommandApdu,
  decodeResponseApdu,
  encodeCommandApdu,
  encodeResponseApdu,
  swHex,
  type CommandApdu,
  type ResponseApdu,
} from '../lds/apdu.js';
import { abytes } from '../lds/bytes.js';
import { CancuocError, type ErrorPlace } from '../lds/errors.js';
import { SecureMessaging, SecureMessagingError, type SecureMessagingKeys } from '../crypto/secure-messaging.js';
import type { Transport } from './transport.js';

/** One command in, its response out: the narrow dependency of every protocol step. */
export type Exchange = (command: CommandApdu) => Promise<ResponseApdu>;

/**
 * The chip refused a command: `sw` says why (ISO/IEC 7816-4 §5.6). Codes: CARD_STATUS for an
 * unexpected status word, ACCESS_DENIED when an access-control step (BAC, PACE) failed.
 */
export class CardStatusError extends CancuocError {
  readonly sw: number;

  constructor(code: string, message: string, place: ErrorPlace & { readonly sw: number }, options?: { cause?: unknown }) {
    super(code, message, place, options);
    this.sw = place.sw;
  }
}

/** Returns the response data when the chip answered 90 00; otherwise a CardStatusError naming the step. */
export function expectSuccess(response: ResponseApdu, step: string, file?: string): Uint8Array {
  if (response.sw === 0x9000) return response.data;
  const where = file === undefined ? { step, sw: response.sw } : { step, file, sw: response.sw };
  throw new CardStatusError('CARD_STATUS', `${step} failed: the chip answered ${swHex(response.sw)}`, where);
}

/** Runs commands over a Transport without secure messaging (before access control). */
export function plainExchange(transport: Transport): Exchange {
  return async (command) => decodeResponseApdu(await transport.transmit(encodeCommandApdu(command)));
}

/**
 * A Transport that protects every command with secure messaging. Commands are serialised (the
 * SSC allows exactly one exchange at a time) and the first failure closes the session for good.
 */
export class SecureTransport implements Transport {
  readonly #inner: Transport;
  #sm: SecureMessaging;
  #queue: Promise<unknown> = Promise.resolve();
  #failure: CancuocError | undefined;

  constructor(inner: Transport, keys: SecureMessagingKeys) {
    if (inner === null || typeof inner !== 'object' || typeof inner.transmit !== 'function') {
      throw new TypeError('"inner" expected a Transport');
    }
    this.#inner = inner;
    this.#sm = new SecureMessaging(keys);
  }

  get maxCommandLength(): number | undefined {
    return this.#inner.maxCommandLength;
  }

  /** The session's cipher (3DES or AES-n). */
  get cipher(): SecureMessagingKeys['cipher'] {
    return this.#sm.cipher;
  }

  /** False once any exchange failed or close() was called. */
  get alive(): boolean {
    return this.#failure === undefined && this.#sm.alive;
  }

  /** Raw command bytes in, raw (unprotected) response bytes out. */
  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const command = decodeCommandApdu(abytes(apdu, 'apdu'));
    return encodeResponseApdu(await this.exchange(command));
  }

  /** The Exchange of this session, for the protocol modules. */
  readonly exchange: Exchange = (command) => {
    const run = this.#queue.then(() => this.#exchangeNow(command));
    this.#queue = run.catch(() => undefined);
    return run;
  };

  /**
   * Switches to new session keys once the chip has accepted them (Chip Authentication,
   * 9303-11 §6.2.3: SSC restarts at zero). Waits for exchanges in progress first.
   */
  async rekey(keys: SecureMessagingKeys): Promise<void> {
    await this.#queue;
    this.#assertAlive();
    const next = new SecureMessaging(keys);
    this.#sm.close();
    this.#sm = next;
  }

  /** Ends the session (wiping the keys) and closes the transport underneath. */
  async close(): Promise<void> {
    await this.#queue;
    this.#sm.close();
    this.#failure ??= new SecureMessagingError('SM_SESSION_CLOSED', 'secure messaging session is closed');
    await this.#inner.close();
  }

  toString(): string {
    return `SecureTransport(${this.#sm.cipher}${this.alive ? '' : ', closed'})`;
  }

  #assertAlive(): void {
    if (this.#failure !== undefined) {
      throw new SecureMessagingError('SM_SESSION_CLOSED', `secure messaging session is closed (after ${this.#failure.code})`, {}, {
        cause: this.#failure,
      });
    }
  }

  async #exchangeNow(command: CommandApdu): Promise<ResponseApdu> {
    this.#assertAlive();
    // A programmer's mistake in the command (e.g. CLA with SM bits) throws before anything is sent.
    const wire = encodeCommandApdu(this.#sm.protectCommand(command));
    try {
      return this.#sm.unprotectResponse(await this.#inner.transmit(wire));
    } catch (e) {
      // §9.8: whatever failed, the counters are out of step now.
      this.#sm.close();
      this.#failure = e instanceof CancuocError ? e : new CancuocError('INTERNAL', 'exchange failed', {}, { cause: e });
      throw e;
    }
  }
}
