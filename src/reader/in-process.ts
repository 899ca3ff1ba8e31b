/**
 * A Transport that calls a CardHandler in the same process: the virtual chip without pcscd.
 * It behaves like the vpcd path: the card is powered on at open and off at close, a handler
 * failure answers SW 6F00 and is reported, and the 61XX/6CXX handling is the shared one.
 */

import { CardHandler, CardHandlerError, guardedAtr, guardedPower, guardedTransmit, reportError } from '../card/card-handler.js';
import { BaseTransport, TransportError } from './transport.js';

export interface InProcessOptions {
  /** Simulate a reader limit; undefined = no limit. */
  readonly maxCommandLength?: number;
  /** Handler failures (answered 6F00 to the caller). Default: process.emitWarning. */
  readonly onError?: (error: CardHandlerError) => void;
}

export class InProcessTransport extends BaseTransport {
  readonly maxCommandLength: number | undefined;
  /** The ATR the card gave at power-on. */
  readonly atr: Uint8Array;

  private constructor(
    private readonly handler: CardHandler,
    atr: Uint8Array,
    private readonly options: InProcessOptions,
  ) {
    super();
    this.atr = atr;
    this.maxCommandLength = options.maxCommandLength;
  }

  /** Powers the card on and reads its ATR; a card without a valid ATR is not present. */
  static open(handler: CardHandler, options: InProcessOptions = {}): InProcessTransport {
    if (handler === null || typeof handler !== 'object' || typeof handler.transmit !== 'function') {
      throw new TypeError('"handler" expected a CardHandler');
    }
    const max = options.maxCommandLength;
    if (max !== undefined && (!Number.isInteger(max) || max < 4)) {
      throw new RangeError(`"maxCommandLength" expected an integer >= 4, got ${max}`);
    }
    const powerError = guardedPower(handler, 'powerOn');
    const { value: atr, error } = guardedAtr(handler);
    const failure = powerError ?? error;
    if (failure !== undefined || atr === undefined) {
      throw new TransportError('CARD_UNRESPONSIVE', 'the card handler did not power up with a valid ATR', { step: 'power-on' }, { cause: failure });
    }
    return new InProcessTransport(handler, atr, options);
  }

  protected async exchange(apdu: Uint8Array): Promise<Uint8Array> {
    const { value, error } = await guardedTransmit(this.handler, apdu);
    if (error !== undefined) reportError(this.options.onError, error);
    return value;
  }

  protected async release(): Promise<void> {
    const error = guardedPower(this.handler, 'powerOff');
    if (error !== undefined) reportError(this.options.onError, error);
  }
}
