/**
 * The contract between the chip's APDU dispatcher (chip.ts) and its protocol handlers (BAC,
 * PACE, AA, CA): a handler answers with a response and, when a protocol completes, the change
 * of secure-messaging session it causes. Randomness is injectable so the worked examples of
 * ICAO 9303-11 replay byte for byte.
 */
import { responseApdu, type ResponseApdu } from '../lds/apdu.js';
import type { CipherName } from '../crypto/cipher.js';

/** What a chip draws random bytes for. */
export type RandomPurpose =
  | 'challenge' // GET CHALLENGE (RND.IC for BAC)
  | 'bac-k-ic' // BAC K.IC (9303-11 §4.3.4.2)
  | 'pace-nonce' // PACE s (§4.4.3.1)
  | 'pace-mapping-key' // SK_map,IC (§4.4.3.3.1)
  | 'pace-ephemeral-key' // SK_IC (§4.4.3.4)
  | 'aa-m1'; // ISO/IEC 9796-2 M1 of an RSA AA signature

/** Returns `length` bytes for `purpose`, or undefined to let the chip draw them from the OS. */
export type ChipRandom = (purpose: RandomPurpose, length: number) => Uint8Array | undefined;

export interface SessionKeys {
  readonly cipher: CipherName;
  readonly ksEnc: Uint8Array;
  readonly ksMac: Uint8Array;
  /** Initial send sequence counter; zero when absent (PACE, CA). */
  readonly ssc?: Uint8Array;
}

/**
 * 'open': BAC or PACE succeeded; the response goes out in plain, then SM starts (9303-11 §9.8).
 * PACE gives ID_PICC = Comp(PK~_PICC) for Terminal Authentication (9303-11 §4.4.3.5).
 * 'rekey': Chip Authentication succeeded; the response is protected with the old keys, then the
 * new keys take over with SSC = 0 (§6.2); `terminalKey` is Comp(PK~_PCD), which TA signs.
 * 'close': the response is protected, then the session ends (a failed Terminal Authentication).
 */
export type SessionChange =
  | { readonly kind: 'open'; readonly via: 'bac' | 'pace'; readonly keys: SessionKeys; readonly idPicc?: Uint8Array }
  | { readonly kind: 'rekey'; readonly keys: SessionKeys; readonly terminalKey?: Uint8Array }
  | { readonly kind: 'close' };

export interface Outcome {
  readonly response: ResponseApdu;
  readonly session?: SessionChange;
}

/** An outcome with a status word and optional data. */
export function outcome(sw: number, data: Uint8Array = new Uint8Array(0), session?: SessionChange): Outcome {
  return Object.freeze(session === undefined ? { response: responseApdu(data, sw) } : { response: responseApdu(data, sw), session });
}

/** Draws from `random`, falling back to the OS. */
export function draw(random: ChipRandom | undefined, purpose: RandomPurpose, length: number, fallback: (n: number) => Uint8Array): Uint8Array {
  const injected = random?.(purpose, length);
  return injected ?? fallback(length);
}
