/**
 * Basic Access Control, ICAO 9303-11 (8th ed.) §4.3 and Appendix D: document basic access keys
 * from the MRZ, the mutual authentication of GET CHALLENGE / EXTERNAL AUTHENTICATE, and the
 * session keys and SSC that start 3DES secure messaging. Pure step functions for both sides;
 * the random values are passed in so the Appendix D run can be replayed exactly.
 *
 * Unlike JMRTD, the terminal checks the chip's MAC first (constant time), then that the chip
 * echoed both RND.IFD and RND.IC.
 */
import { abytes, concat } from '../lds/bytes.js';
import { ParseError } from '../lds/errors.js';
import { commandApdu, INS, type CommandApdu } from '../lds/apdu.js';
import { decryptCbc, encryptCbc } from './cipher.js';
import { constantTimeEqual } from './constant-time.js';
import { KDF_ENC, KDF_MAC, kdf, seedFromMrz } from './kdf.js';
import { retailMac } from './mac.js';

/** K_Enc and K_MAC derived from the MRZ (§4.3.2, App. D.2). */
export interface BacKeys {
  readonly kEnc: Uint8Array;
  readonly kMac: Uint8Array;
}

/** What secure messaging needs after BAC (§4.3.3.3): pass it to `new SecureMessaging(...)`. */
export interface BacSession {
  readonly cipher: '3DES';
  readonly ksEnc: Uint8Array;
  readonly ksMac: Uint8Array;
  readonly ssc: Uint8Array;
}

/** The chip's state between GET CHALLENGE and EXTERNAL AUTHENTICATE. */
export interface BacChipSecrets {
  readonly rndIc: Uint8Array;
  readonly kIc: Uint8Array;
}

/** The terminal's random values: RND.IFD (8 bytes) and K.IFD (16 bytes). */
export interface BacTerminalSecrets {
  readonly rndIfd: Uint8Array;
  readonly kIfd: Uint8Array;
}

const RND_LENGTH = 8;
const K_LENGTH = 16;
const CRYPTOGRAM_LENGTH = 2 * RND_LENGTH + K_LENGTH; // 32 bytes, four 3DES blocks
const AUTH_DATA_LENGTH = CRYPTOGRAM_LENGTH + 8; // E‖M = 40 bytes
const ZERO_IV = new Uint8Array(8);
const STEP = 'EXTERNAL AUTHENTICATE';

/** §9.7.2: K_seed = SHA-1(MRZ_information)[0..15]; K_Enc = KDF(K_seed, 1), K_MAC = KDF(K_seed, 2). */
export function bacKeys(mrzInformation: string): BacKeys {
  const seed = seedFromMrz(mrzInformation);
  return Object.freeze({ kEnc: kdf(seed, KDF_ENC, '3DES'), kMac: kdf(seed, KDF_MAC, '3DES') });
}

/** GET CHALLENGE, §4.3.4.1: 00 84 00 00 08. */
export function getChallengeCommand(): CommandApdu {
  return commandApdu({ cla: 0x00, ins: INS.GET_CHALLENGE, p1: 0, p2: 0, ne: RND_LENGTH });
}

/** EXTERNAL AUTHENTICATE, §4.3.4.2: 00 82 00 00 28 <E_IFD‖M_IFD> 28. */
export function externalAuthenticateCommand(data: Uint8Array): CommandApdu {
  abytes(data, 'data', AUTH_DATA_LENGTH);
  return commandApdu({ cla: 0x00, ins: INS.EXTERNAL_AUTHENTICATE, p1: 0, p2: 0, data, ne: AUTH_DATA_LENGTH });
}

/** The RND.IC a chip returned to GET CHALLENGE: exactly 8 bytes, else ParseError. */
export function parseChallenge(responseData: Uint8Array): Uint8Array {
  abytes(responseData, 'responseData');
  if (responseData.length !== RND_LENGTH) {
    throw new ParseError('BAC_CHALLENGE_INVALID', `challenge of ${responseData.length} bytes, expected 8`, {
      step: 'GET CHALLENGE',
      offset: 0,
    });
  }
  return responseData.slice();
}

/** E = 3DES-CBC(K_Enc, IV 0, plain), M = retail MAC(K_MAC, E) — §4.3.4.2 steps 3–4. */
function seal(keys: BacKeys, plain: Uint8Array): Uint8Array {
  const e = encryptCbc('3DES', keys.kEnc, ZERO_IV, plain);
  return concat(e, retailMac(keys.kMac, e));
}

/** Checks M over E in constant time, then decrypts E. Nothing is decrypted before the MAC verifies. */
function open(keys: BacKeys, data: Uint8Array, who: string): Uint8Array {
  if (data.length !== AUTH_DATA_LENGTH) {
    throw new ParseError('BAC_LENGTH_INVALID', `${who} cryptogram of ${data.length} bytes, expected 40`, {
      step: STEP,
      offset: 0,
    });
  }
  const e = data.subarray(0, CRYPTOGRAM_LENGTH);
  if (!constantTimeEqual(retailMac(keys.kMac, e), data.subarray(CRYPTOGRAM_LENGTH))) {
    throw new ParseError('BAC_MAC_INVALID', `${who} MAC does not verify`, { step: STEP, offset: CRYPTOGRAM_LENGTH });
  }
  return decryptCbc('3DES', keys.kEnc, ZERO_IV, e);
}

function checkKeys(keys: BacKeys): void {
  if (keys === null || typeof keys !== 'object') throw new TypeError('"keys" expected { kEnc, kMac }');
  abytes(keys.kEnc, 'kEnc', 16);
  abytes(keys.kMac, 'kMac', 16);
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((v, i) => v ^ b[i]!);
}

/**
 * §4.3.3.3 and §9.7.1: K_seed = K.IFD ⊕ K.IC, KS_Enc / KS_MAC from the KDF,
 * SSC = RND.IC[4..7] ‖ RND.IFD[4..7] (App. D.3).
 */
export function bacSession(kIfd: Uint8Array, kIc: Uint8Array, rndIc: Uint8Array, rndIfd: Uint8Array): BacSession {
  abytes(kIfd, 'kIfd', K_LENGTH);
  abytes(kIc, 'kIc', K_LENGTH);
  abytes(rndIc, 'rndIc', RND_LENGTH);
  abytes(rndIfd, 'rndIfd', RND_LENGTH);
  const seed = xor(kIfd, kIc);
  return Object.freeze({
    cipher: '3DES',
    ksEnc: kdf(seed, KDF_ENC, '3DES'),
    ksMac: kdf(seed, KDF_MAC, '3DES'),
    ssc: concat(rndIc.subarray(4), rndIfd.subarray(4)),
  });
}

// ---- terminal side --------------------------------------------------------------------------

/** §4.3.4.2 steps 1–4: S = RND.IFD ‖ RND.IC ‖ K.IFD, returns E_IFD ‖ M_IFD (40 bytes). */
export function terminalAuthenticationData(keys: BacKeys, rndIc: Uint8Array, terminal: BacTerminalSecrets): Uint8Array {
  checkKeys(keys);
  abytes(rndIc, 'rndIc', RND_LENGTH);
  abytes(terminal.rndIfd, 'rndIfd', RND_LENGTH);
  abytes(terminal.kIfd, 'kIfd', K_LENGTH);
  return seal(keys, concat(terminal.rndIfd, rndIc, terminal.kIfd));
}

/**
 * §4.3.4.2 steps 5–7 on the terminal: verifies M_IC, decrypts R = RND.IC ‖ RND.IFD ‖ K.IC,
 * requires both nonces echoed, and returns the session. The chip's response data (E_IC ‖ M_IC)
 * is untrusted: every failure is a ParseError with a BAC_* code.
 */
export function terminalCompleteAuthentication(
  keys: BacKeys,
  rndIc: Uint8Array,
  terminal: BacTerminalSecrets,
  responseData: Uint8Array,
): BacSession {
  checkKeys(keys);
  abytes(rndIc, 'rndIc', RND_LENGTH);
  abytes(terminal.rndIfd, 'rndIfd', RND_LENGTH);
  abytes(terminal.kIfd, 'kIfd', K_LENGTH);
  abytes(responseData, 'responseData');
  const r = open(keys, responseData, 'chip');
  if (!constantTimeEqual(r.subarray(0, RND_LENGTH), rndIc)) {
    throw new ParseError('BAC_RND_IC_MISMATCH', 'chip did not return its own RND.IC', { step: STEP, offset: 0 });
  }
  if (!constantTimeEqual(r.subarray(RND_LENGTH, 2 * RND_LENGTH), terminal.rndIfd)) {
    throw new ParseError('BAC_RND_IFD_MISMATCH', 'chip did not echo RND.IFD', { step: STEP, offset: RND_LENGTH });
  }
  return bacSession(terminal.kIfd, r.subarray(2 * RND_LENGTH), rndIc, terminal.rndIfd);
}

// ---- chip side ------------------------------------------------------------------------------

/**
 * The chip's half of §4.3.4.2: verifies M_IFD, decrypts S, requires its RND.IC echoed, answers
 * with E_IC ‖ M_IC over R = RND.IC ‖ RND.IFD ‖ K.IC, and returns the session.
 */
export function chipAuthenticate(
  keys: BacKeys,
  chip: BacChipSecrets,
  commandData: Uint8Array,
): { readonly responseData: Uint8Array; readonly session: BacSession } {
  checkKeys(keys);
  abytes(chip.rndIc, 'rndIc', RND_LENGTH);
  abytes(chip.kIc, 'kIc', K_LENGTH);
  abytes(commandData, 'commandData');
  const s = open(keys, commandData, 'terminal');
  const rndIfd = s.subarray(0, RND_LENGTH);
  if (!constantTimeEqual(s.subarray(RND_LENGTH, 2 * RND_LENGTH), chip.rndIc)) {
    throw new ParseError('BAC_RND_IC_MISMATCH', 'terminal did not echo RND.IC', { step: STEP, offset: RND_LENGTH });
  }
  const kIfd = s.subarray(2 * RND_LENGTH);
  const responseData = seal(keys, concat(chip.rndIc, rndIfd, chip.kIc));
  return Object.freeze({ responseData, session: bacSession(kIfd, chip.kIc, chip.rndIc, rndIfd) });
}
