/**
 * How the virtual chip announces itself: the answer-to-reset (ISO/IEC 7816-3 (2006) §8.2) with
 * card capabilities in its historical bytes (ISO/IEC 7816-4 (2020) §8.1.1.2.7), and the content
 * of EF.ATR/INFO (FID 2F01, SFI 01, §12.7.1) with the extended length information DO '7F66'.
 *
 * Both say the same thing: the chip takes extended Lc/Le and command chaining, and accepts
 * command and response APDUs of up to 65535 bytes — the most one vpcd message can carry — so a
 * 15 KB DG2 comes back in one READ BINARY even under secure messaging.
 */
import { abytes, concat, uintBE } from '../lds/bytes.js';
import { encodeTlv } from '../lds/tlv.js';

/** Largest command APDU (header, Lc, data, Le) the chip accepts, in bytes. */
export const MAX_COMMAND_APDU = 0xffff;
/** Largest response APDU (data and SW1 SW2) the chip sends, in bytes. */
export const MAX_RESPONSE_APDU = 0xffff;

/** ISO/IEC 7816-4 §12.7.1: EF.ATR/INFO lives in the master file under 2F01, SFI 01. */
export const FID_ATR_INFO = 0x2f01;

// ISO/IEC 7816-4 §8.1.1.2.7 Table 116–118, card capabilities (compact-TLV tag 7, length 3).
// First software function table: DF selection by full DF name (b8), by file identifier (b5),
// short EF identifiers supported (b3).
const SELECTION_METHODS = 0x80 | 0x10 | 0x04;
// Data coding byte: data unit = one byte (b4–b1 = 0001).
const DATA_CODING = 0x01;
// Third table: command chaining (b8), extended Lc and Le (b7), extended length information in
// EF.ATR/INFO (b6); no logical channels beyond the basic one.
const COMMAND_CAPABILITIES = 0x80 | 0x40 | 0x20;

const TS_DIRECT = 0x3b;
// T0: Y1 = 8 (TD1 follows), K = number of historical bytes. TD1 = 80 (TD2 follows, T=0);
// TD2 = 01 (T=1): the PC/SC part 3 form of a contactless card's ATR.
const TD1 = 0x80;
const TD2 = 0x01;
// Category indicator 80: the historical bytes are COMPACT-TLV objects (ISO/IEC 7816-4 §8.1.1.1).
const CATEGORY_COMPACT_TLV = 0x80;
const COMPACT_CARD_CAPABILITIES = 0x73;

/** The historical bytes: category 80, then card capabilities. */
export function historicalBytes(): Uint8Array {
  return Uint8Array.of(CATEGORY_COMPACT_TLV, COMPACT_CARD_CAPABILITIES, SELECTION_METHODS, DATA_CODING, COMMAND_CAPABILITIES);
}

/** The chip's ATR: TS T0 TD1 TD2 historical bytes TCK (ISO/IEC 7816-3 §8.2). */
export function chipAtr(): Uint8Array {
  const history = historicalBytes();
  const body = concat(Uint8Array.of(0x80 | history.length, TD1, TD2), history);
  // §8.2.5: TCK makes the XOR of T0 … TCK zero; it is present because T=1 is indicated.
  let tck = 0;
  for (const b of body) tck ^= b;
  return concat(Uint8Array.of(TS_DIRECT), body, Uint8Array.of(tck));
}

/**
 * The content of EF.ATR/INFO: '7F66' extended length information (two INTEGERs: the largest
 * command APDU and the largest response APDU, as 2-byte unsigned values, §12.7.1), '47' card
 * capabilities as in the ATR, and '46' pre-issuing data carrying the chip serial number
 * (an ISO/IEC 7816-4 interindustry DO for the card manufacturer's data) for the production registry.
 */
export function atrInfoContent(serial: Uint8Array): Uint8Array {
  abytes(serial, 'serial');
  const lengths = encodeTlv(0x7f66, encodeTlv(0x02, uintBE(MAX_COMMAND_APDU, 2)), encodeTlv(0x02, uintBE(MAX_RESPONSE_APDU, 2)));
  const capabilities = encodeTlv(0x47, Uint8Array.of(SELECTION_METHODS, DATA_CODING, COMMAND_CAPABILITIES));
  return concat(lengths, capabilities, encodeTlv(0x46, serial));
}
