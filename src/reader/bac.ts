/**
 * Basic Access Control from the terminal, ICAO 9303-11 (8th ed.) §4.3: GET CHALLENGE, then
 * EXTERNAL AUTHENTICATE with E_IFD ‖ M_IFD. The cryptography is src/crypto/bac.ts; this module
 * only runs the two commands over an Exchange. The chip's answer is checked MAC first, then for
 * the echo of RND.IC and RND.IFD (JMRTD skips the latter).
 *
 * A chip that rejects EXTERNAL AUTHENTICATE (63 00 or 69 82 on real chips) was given the wrong
 * MRZ: that is ACCESS_DENIED, never a generic failure.
 */

import { randomBytes } from 'node:crypto';
import { abytes } from '../lds/bytes.js';
import { CancuocError } from '../lds/errors.js';
import {
  bacKeys,
  externalAuthenticateCommand,
  getChallengeCommand,
  parseChallenge,
  terminalAuthenticationData,
  terminalCompleteAuthentication,
  type BacSession,
  type BacTerminalSecrets,
} from '../crypto/bac.js';
import { CardStatusError, expectSuccess, type Exchange } from './secure-transport.js';

export interface BacOptions {
  /** RND.IFD (8 bytes) and K.IFD (16 bytes); fresh random values when absent. Tests replay App. D with them. */
  readonly terminal?: BacTerminalSecrets;
}

export interface BacOutcome {
  readonly protocol: 'BAC';
  /** Keys and SSC for 3DES secure messaging (§4.3.3.3). */
  readonly session: BacSession;
}

/** Runs BAC with MRZ_information (document number, birth, expiry, each with its check digit). */
export async function performBac(exchange: Exchange, mrzInformation: string, options: BacOptions = {}): Promise<BacOutcome> {
  if (typeof exchange !== 'function') throw new TypeError('"exchange" expected a function');
  const keys = bacKeys(mrzInformation);
  const terminal = options.terminal ?? {
    rndIfd: new Uint8Array(randomBytes(8)),
    kIfd: new Uint8Array(randomBytes(16)),
  };
  abytes(terminal.rndIfd, 'rndIfd', 8);
  abytes(terminal.kIfd, 'kIfd', 16);

  const challenge = await exchange(getChallengeCommand());
  const rndIc = parseChallenge(expectSuccess(challenge, 'GET CHALLENGE'));

  const auth = await exchange(externalAuthenticateCommand(terminalAuthenticationData(keys, rndIc, terminal)));
  if (auth.sw !== 0x9000) {
    throw new CardStatusError('ACCESS_DENIED', 'BAC failed: wrong MRZ (document number, date of birth or date of expiry)', {
      step: 'EXTERNAL AUTHENTICATE',
      sw: auth.sw,
    });
  }
  let session: BacSession;
  try {
    session = terminalCompleteAuthentication(keys, rndIc, terminal, auth.data);
  } catch (e) {
    // A chip that accepts our cryptogram but cannot answer with the same keys is not the document we think.
    const code = e instanceof CancuocError ? e.code : 'INTERNAL';
    throw new CardStatusError('ACCESS_DENIED', `BAC failed: the chip's answer does not verify (${code})`, {
      step: 'EXTERNAL AUTHENTICATE',
      sw: auth.sw,
    }, { cause: e });
  }
  return Object.freeze({ protocol: 'BAC' as const, session });
}
