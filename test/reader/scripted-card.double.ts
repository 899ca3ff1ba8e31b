/**
 * Test double: a Transport that replays a recorded conversation. Each step names the exact
 * command APDU the terminal must send (hex) and the chip's answer to give back; any other
 * command fails the test with both hex strings. Used to replay the published worked examples
 * and real-passport traces on the terminal side.
 */
import { fromHex, hex } from '../../src/lds/bytes.js';
import type { Transport } from '../../src/reader/transport.js';

export interface ScriptStep {
  readonly command: string;
  /** Response hex, or a function computing it from the command (for answers the vector only implies). */
  readonly response: string | ((command: Uint8Array) => Uint8Array);
}

export class ScriptedCardDouble implements Transport {
  readonly sent: string[] = [];
  #at = 0;
  closed = false;

  constructor(private readonly steps: readonly ScriptStep[]) {}

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const step = this.steps[this.#at++];
    const got = hex(apdu).toUpperCase();
    this.sent.push(got);
    if (step === undefined) throw new Error(`unexpected extra command ${got}`);
    const want = step.command.replace(/\s+/g, '').toUpperCase();
    if (got !== want) throw new Error(`command ${this.#at} differs:\n  sent     ${got}\n  expected ${want}`);
    return typeof step.response === 'function' ? step.response(apdu) : fromHex(step.response);
  }

  /** True when every scripted step was used. */
  get finished(): boolean {
    return this.#at === this.steps.length;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
