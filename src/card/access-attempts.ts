/**
 * The virtual chip's defence against guessing the CAN (or the MRZ key) online, issue 10 item 6.
 * ICAO 9303-11 (8th ed.) gives the CAN no retry counter (BSI TR-03110 counts only PIN attempts),
 * and a CCCD's CAN is six digits; real chips slow guessing down instead of blocking a card that
 * anyone can read. After each failed BAC or PACE the chip waits longer before it checks the
 * next password: FIRST_DELAY_MS after one failure, doubling up to MAX_DELAY_MS. A success resets
 * the count. The count lives in the card image, so a power cycle or a restart does not clear it.
 *
 * The wait comes before the check, not after the answer: a terminal that cuts the power while the
 * chip waits learns nothing, and the answer to a success and to a failure take the same time.
 */
import { INS } from '../lds/apdu.js';

/** ISO/IEC 7816-4 §5.6 "6300": what BAC and PACE answer to a wrong password (9303-11 §4.3.4.2, §4.4.4). */
export const SW_AUTHENTICATION_FAILED = 0x6300;
export const FIRST_DELAY_MS = 100;
export const MAX_DELAY_MS = 60_000;
// ISO/IEC 7816-4 §5.4.1 class byte: b5 command chaining, b4b3 secure messaging.
const CLA_CHAINING = 0x10;
const CLA_SM_MASK = 0x0c;

/** The wait before the next password check after `failures` failed attempts in a row. */
export function failureDelayMs(failures: number): number {
  if (!Number.isSafeInteger(failures) || failures < 0) throw new RangeError(`"failures" expected a count, got ${failures}`);
  if (failures === 0) return 0;
  return failures > 20 ? MAX_DELAY_MS : Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (failures - 1));
}

/**
 * True for the commands where the chip checks a password: BAC's EXTERNAL AUTHENTICATE (9303-11
 * §4.3.4.2) and the last GENERAL AUTHENTICATE of PACE, which carries the terminal's token
 * (§4.4.4.2: the only one without the chaining bit). Both come in plain.
 */
export function checksPassword(apdu: Uint8Array): boolean {
  if (apdu.length < 4 || (apdu[0]! & CLA_SM_MASK) !== 0) return false;
  if (apdu[1] === INS.EXTERNAL_AUTHENTICATE) return true;
  return apdu[1] === INS.GENERAL_AUTHENTICATE && (apdu[0]! & CLA_CHAINING) === 0;
}

/** The real wait: a timer, so the chip's process keeps serving while the card is busy. */
export function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
