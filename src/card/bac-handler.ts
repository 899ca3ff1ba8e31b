/**
 * The chip's side of Basic Access Control, ICAO 9303-11 (8th ed.) §4.3 and Appendix D:
 * GET CHALLENGE (00 84 00 00 08) hands out RND.IC; EXTERNAL AUTHENTICATE (00 82 00 00 28 …)
 * checks the terminal's cryptogram and answers with the chip's, after which 3DES secure
 * messaging starts with the session keys and SSC of §9.7.1 / App. D.3.
 *
 * A wrong MRZ fails the MAC check: the chip answers 6300 "authentication failed" (9303-11
 * §4.3.4.2, ISO/IEC 7816-4 §5.6) and forgets the challenge, so every attempt needs a fresh one.
 */
import { randomBytes } from 'node:crypto';
import { SW, type CommandApdu } from '../lds/apdu.js';
import { CancuocError } from '../lds/errors.js';
import { bacKeys, chipAuthenticate } from '../crypto/bac.js';
import { SW_AUTHENTICATION_FAILED } from './access-attempts.js';
import { draw, outcome, type ChipRandom, type Outcome } from './handler-outcome.js';

const CHALLENGE_LENGTH = 8;
const K_IC_LENGTH = 16;
const AUTH_DATA_LENGTH = 40;

const osRandom = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export class BacHandler {
  #challenge: Uint8Array | undefined;

  /** Power-on, reset, or a new protocol: forget the challenge. */
  reset(): void {
    this.#challenge = undefined;
  }

  /** GET CHALLENGE, ISO/IEC 7816-4 §11.6.3: 8 fresh bytes (Le must ask for 8). */
  getChallenge(cmd: CommandApdu, random: ChipRandom | undefined): Outcome {
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return outcome(SW.INCORRECT_P1P2);
    if (cmd.data.length !== 0 || cmd.ne !== CHALLENGE_LENGTH) return outcome(SW.WRONG_LENGTH);
    this.#challenge = draw(random, 'challenge', CHALLENGE_LENGTH, osRandom).slice();
    return outcome(SW.NO_ERROR, this.#challenge);
  }

  /**
   * EXTERNAL AUTHENTICATE with E.IFD ‖ M.IFD (§4.3.4.2). `mrzInformation` is the card's BAC
   * password; without one the card has no BAC key (6A88).
   */
  externalAuthenticate(cmd: CommandApdu, mrzInformation: string | undefined, random: ChipRandom | undefined): Outcome {
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return outcome(SW.INCORRECT_P1P2);
    if (cmd.data.length !== AUTH_DATA_LENGTH || (cmd.ne !== undefined && cmd.ne < AUTH_DATA_LENGTH)) {
      return outcome(SW.WRONG_LENGTH);
    }
    const rndIc = this.#challenge;
    this.#challenge = undefined;
    if (mrzInformation === undefined) return outcome(SW.REFERENCED_DATA_NOT_FOUND);
    if (rndIc === undefined) return outcome(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    const kIc = draw(random, 'bac-k-ic', K_IC_LENGTH, osRandom);
    try {
      const { responseData, session } = chipAuthenticate(bacKeys(mrzInformation), { rndIc, kIc }, cmd.data);
      return outcome(SW.NO_ERROR, responseData, { kind: 'open', via: 'bac', keys: session });
    } catch (e) {
      if (e instanceof CancuocError) return outcome(SW_AUTHENTICATION_FAILED);
      throw e;
    }
  }
}
