/**
 * What a card looks like from the reader's side of the contacts: an ATR, power control and an
 * APDU exchange. The virtual chip implements it; the vpcd bridge and the in-process transport
 * drive it. The guarded calls below are the one place that turns a misbehaving handler into a
 * status word, so both drivers react to a broken chip the same way.
 */

import { uintBE } from '../lds/bytes.js';
import { CancuocError } from '../lds/errors.js';

export interface CardHandler {
  /** Answer-to-reset bytes, TS first (ISO/IEC 7816-3 §8.2). */
  atr(): Uint8Array;
  powerOn(): void;
  powerOff(): void;
  /** Warm reset: the card forgets its session state and answers with its ATR again. */
  reset(): void;
  /** One command APDU in, one response APDU (data ‖ SW1 SW2) out. */
  transmit(apdu: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /**
   * Time the card takes before it starts on `apdu` (the virtual chip's wait after failed access
   * attempts); the drivers await it, then call transmit.
   */
  delayBefore?(apdu: Uint8Array): Promise<void> | undefined;
}

/** A card handler that threw or answered something that is not a response APDU. */
export class CardHandlerError extends CancuocError {}

/** ISO/IEC 7816-4 SW '6F00': "no precise diagnosis", what a chip says when it fails internally. */
export const SW_NO_PRECISE_DIAGNOSIS = 0x6f00;

/** ISO/IEC 7816-3 §8.2: TS plus at most 32 characters. */
export const MAX_ATR_LENGTH = 33;

export interface GuardedResult<T> {
  readonly value: T;
  readonly error?: CardHandlerError;
}

/**
 * Runs handler.delayBefore, then handler.transmit, and never throws: a thrown exception or a
 * malformed answer becomes SW 6F00 plus the error to report. The APDU is copied so a handler
 * cannot alter the caller's bytes.
 */
export async function guardedTransmit(handler: CardHandler, apdu: Uint8Array): Promise<GuardedResult<Uint8Array>> {
  let response: unknown;
  try {
    await handler.delayBefore?.(apdu.slice());
    response = await handler.transmit(apdu.slice());
  } catch (e) {
    return failed('HANDLER_FAILED', 'card handler threw while processing an APDU', 'transmit', e);
  }
  if (!(response instanceof Uint8Array) || response.length < 2) {
    const what = response instanceof Uint8Array ? `${response.length} byte(s)` : typeof response;
    return failed('HANDLER_BAD_RESPONSE', `card handler answered ${what}, expected data and SW1 SW2`, 'transmit');
  }
  return Object.freeze({ value: response.slice() });
}

/** Reads the ATR; undefined with an error when the handler fails or the ATR is out of bounds. */
export function guardedAtr(handler: CardHandler): GuardedResult<Uint8Array | undefined> {
  let atr: unknown;
  try {
    atr = handler.atr();
  } catch (e) {
    return Object.freeze({ value: undefined, error: handlerError('HANDLER_FAILED', 'card handler threw while giving its ATR', 'atr', e) });
  }
  if (!(atr instanceof Uint8Array) || atr.length < 2 || atr.length > MAX_ATR_LENGTH) {
    const what = atr instanceof Uint8Array ? `${atr.length} bytes` : typeof atr;
    return Object.freeze({
      value: undefined,
      error: handlerError('HANDLER_BAD_ATR', `card handler gave an ATR of ${what}, expected 2..${MAX_ATR_LENGTH} bytes`, 'atr'),
    });
  }
  return Object.freeze({ value: atr.slice() });
}

export type PowerAction = 'powerOn' | 'powerOff' | 'reset';

/** Calls a power method; returns the error to report instead of throwing. */
export function guardedPower(handler: CardHandler, action: PowerAction): CardHandlerError | undefined {
  try {
    handler[action]();
    return undefined;
  } catch (e) {
    return handlerError('HANDLER_FAILED', `card handler threw on ${action}`, action, e);
  }
}

/**
 * Hands a non-fatal error to the caller's listener, or to process.emitWarning without one.
 * A throwing listener is ignored: reporting must never take a card or a bridge down.
 */
export function reportError<E extends CancuocError>(listener: ((error: E) => void) | undefined, error: E): void {
  try {
    if (listener !== undefined) listener(error);
    else process.emitWarning(error.message, { code: error.code });
  } catch {
    // see above
  }
}

function failed(code: string, message: string, step: string, cause?: unknown): GuardedResult<Uint8Array> {
  return Object.freeze({ value: uintBE(SW_NO_PRECISE_DIAGNOSIS, 2), error: handlerError(code, message, step, cause) });
}

function handlerError(code: string, message: string, step: string, cause?: unknown): CardHandlerError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new CardHandlerError(code, message + detail, { step }, cause === undefined ? undefined : { cause });
}
