/**
 * The chip's file system, ISO/IEC 7816-4 (2020) §7 and §11.2–11.3 as the LDS1 eMRTD application
 * uses it (ICAO 9303-10 (8th ed.) §3.10–3.11):
 *  - two levels: the master file (EF.CardAccess 011C, EF.ATR/INFO 2F01) and the eMRTD
 *    application A0 00 00 02 47 10 01 (EF.COM, EF.SOD, DG1–DG16). The two MF files stay
 *    selectable by file identifier inside the application (the JMRTD protocol writes
 *    EF.CardAccess after SELECT AID); short EF identifier 01 means EF.ATR/INFO before SELECT AID
 *    and DG1 after it;
 *  - SELECT by DF name (P1 04), by file identifier (P1 02, and 00 for EFs); the master file is
 *    not selectable: SELECT 3F00 answers 6D00 as real CCCD chips do;
 *  - READ BINARY B0 with a 15-bit offset or a short EF identifier in P1, and B1 with the offset
 *    in DO '54' and the data in DO '53' (offsets above 32767); UPDATE BINARY D6 / D7 likewise.
 * Access control is not decided here: every access asks the gate the chip passes in.
 */
import { equalBytes, readUintBE, uintBE } from '../lds/bytes.js';
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../lds/apdu.js';
import { fileByFid, LDS_FILES } from '../lds/files.js';
import { encodeTlv, readTlvList } from '../lds/tlv.js';
import { atrInfoContent, FID_ATR_INFO } from './atr.js';

/** The LDS1 eMRTD application identifier (ICAO 9303-10 §3.10.2). */
export const LDS1_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01);

const FID_MF = 0x3f00;
const FID_CARD_ACCESS = 0x011c;
const SFI_ATR_INFO = 0x01;
const TAG_OFFSET = 0x54;
const TAG_DISCRETIONARY = 0x53;
// ISO/IEC 7816-4 §5.6 Table 6: "6A89 file already exists" (not in the shared SW table).
const SW_FILE_EXISTS = 0x6a89;

/** What an access to a file asks of access control; undefined = allowed, else the SW to answer. */
export type AccessGate = (fid: number, operation: 'select' | 'read') => number | undefined;

function answer(sw: number, data: Uint8Array = new Uint8Array(0)): ResponseApdu {
  return responseApdu(data, sw);
}

/** True when N_e is the "as much as there is" value of an Le field of zeros (§5.1). */
function wildcardNe(cmd: CommandApdu): boolean {
  return cmd.ne === 65536 || (cmd.ne === 256 && !cmd.extended);
}

export class FileSystem {
  #applicationSelected = false;
  #current: number | undefined;

  /** `files` is the chip's file map, shared, not copied: perso and reads see the same bytes. */
  constructor(
    private readonly files: Map<number, Uint8Array>,
    private readonly serial: Uint8Array,
  ) {}

  /** Power-on or reset: nothing selected (ISO/IEC 7816-4 §7.2.1: the MF context). */
  reset(): void {
    this.#applicationSelected = false;
    this.#current = undefined;
  }

  get applicationSelected(): boolean {
    return this.#applicationSelected;
  }

  /** The content of a file the chip can read, or undefined. */
  content(fid: number): Uint8Array | undefined {
    return fid === FID_ATR_INFO ? atrInfoContent(this.serial) : this.files.get(fid);
  }

  /**
   * Which FIDs can be selected: the MF's EF.CardAccess and EF.ATR/INFO from anywhere (terminals
   * look for them before and after SELECT AID), the application's EFs once it is selected.
   */
  #visible(fid: number): boolean {
    if (fid === FID_ATR_INFO) return true;
    if (!this.files.has(fid)) return false;
    return this.#applicationSelected || fid === FID_CARD_ACCESS;
  }

  #bySfi(sfi: number): number | undefined {
    if (!this.#applicationSelected && sfi === SFI_ATR_INFO) return FID_ATR_INFO;
    return LDS_FILES.find((f) => f.sfi === sfi)?.fid;
  }

  // ---- SELECT (ISO/IEC 7816-4 §11.2.2) ------------------------------------------------------

  select(cmd: CommandApdu, gate: AccessGate): ResponseApdu {
    const p2 = cmd.p2 & 0xf3; // b2b1 = 00 "first or only occurrence" is the only one supported
    const fci = cmd.p2 & 0x0c; // 0C: no response data; 00: FCI; 04: FCP
    if (p2 !== 0 || (cmd.p2 & 0x03) !== 0 || fci === 0x08) return answer(SW.INCORRECT_P1P2);
    if (cmd.p1 === 0x04) return this.#selectApplication(cmd, fci);
    if (cmd.p1 !== 0x00 && cmd.p1 !== 0x02) return answer(SW.INCORRECT_P1P2);
    if (cmd.data.length === 0 && cmd.p1 === 0x00) return answer(SW.INSTRUCTION_NOT_SUPPORTED); // the MF
    if (cmd.data.length !== 2) return answer(SW.WRONG_LENGTH);
    const fid = readUintBE(cmd.data, 0, 2);
    if (fid === FID_MF) return answer(SW.INSTRUCTION_NOT_SUPPORTED);
    if (!this.#visible(fid)) return answer(SW.FILE_OR_APPLICATION_NOT_FOUND);
    const refused = gate(fid, 'select');
    if (refused !== undefined) return answer(refused);
    this.#current = fid;
    return fci === 0x0c ? answer(SW.NO_ERROR) : answer(SW.NO_ERROR, this.#fcp(fid));
  }

  #selectApplication(cmd: CommandApdu, fci: number): ResponseApdu {
    if (cmd.data.length === 0 || cmd.data.length > 16) return answer(SW.WRONG_LENGTH);
    if (!equalBytes(cmd.data, LDS1_AID)) return answer(SW.FILE_OR_APPLICATION_NOT_FOUND);
    this.#applicationSelected = true;
    this.#current = undefined;
    return fci === 0x0c ? answer(SW.NO_ERROR) : answer(SW.NO_ERROR, encodeTlv(0x6f, encodeTlv(0x84, LDS1_AID)));
  }

  /** FCP template (§7.4.3): 80 size, 82 transparent EF, 83 file identifier. */
  #fcp(fid: number): Uint8Array {
    const size = this.content(fid)!.length;
    return encodeTlv(0x62, encodeTlv(0x80, uintBE(size, 2)), encodeTlv(0x82, Uint8Array.of(0x01)), encodeTlv(0x83, uintBE(fid, 2)));
  }

  // ---- READ BINARY (§11.3.3) ----------------------------------------------------------------

  /**
   * B0: P1 b8 = 1 → short EF identifier in P1 b5–b1 and offset in P2; else a 15-bit offset in
   * the current EF. `maxData` caps the bytes one response may carry (the chip's response limit
   * less the secure-messaging overhead).
   */
  readBinary(cmd: CommandApdu, gate: AccessGate, maxData: number): ResponseApdu {
    const target = this.#target(cmd.p1, cmd.p2, gate);
    if (typeof target === 'number') return answer(target);
    return this.#read(target.fid, target.offset, cmd, maxData, 0, gate);
  }

  /** B1: P1-P2 = 0000 (current EF), 00‖SFI or a file identifier; offset in DO '54'. */
  readBinaryOdd(cmd: CommandApdu, gate: AccessGate, maxData: number): ResponseApdu {
    const offset = parseOffsetDo(cmd.data);
    if (offset === undefined) return answer(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
    const target = this.#oddTarget(cmd.p1, cmd.p2, gate);
    if (typeof target === 'number') return answer(target);
    return this.#read(target.fid, offset, cmd, maxData, 1, gate);
  }

  /**
   * Resolves B0/D6 addressing: SFI (selecting the file, §7.2.2) or the current EF. Returns the
   * file and offset, or the SW to answer.
   */
  #target(p1: number, p2: number, gate: AccessGate): { readonly fid: number; readonly offset: number } | number {
    if ((p1 & 0x80) === 0) {
      if (this.#current === undefined) return SW.COMMAND_NOT_ALLOWED_NO_CURRENT_EF;
      return { fid: this.#current, offset: (p1 << 8) | p2 };
    }
    if ((p1 & 0x60) !== 0) return SW.INCORRECT_P1P2;
    const fid = this.#bySfi(p1 & 0x1f);
    if (fid === undefined || !this.#visible(fid)) return SW.FILE_OR_APPLICATION_NOT_FOUND;
    const refused = gate(fid, 'select');
    if (refused !== undefined) return refused;
    this.#current = fid;
    return { fid, offset: p2 };
  }

  /** B1/D7 addressing: the file, or the SW to answer. */
  #oddTarget(p1: number, p2: number, gate: AccessGate): { readonly fid: number } | number {
    let fid: number | undefined;
    if (p1 === 0 && p2 === 0) fid = this.#current;
    else if (p1 === 0 && (p2 & 0xe0) === 0) fid = this.#bySfi(p2 & 0x1f);
    else fid = (p1 << 8) | p2;
    if (fid === undefined) return SW.COMMAND_NOT_ALLOWED_NO_CURRENT_EF;
    if (fid === FID_MF || !this.#visible(fid)) return SW.FILE_OR_APPLICATION_NOT_FOUND;
    const refused = gate(fid, 'select');
    if (refused !== undefined) return refused;
    this.#current = fid;
    return { fid };
  }

  /**
   * §11.3.3: returns min(N_e, bytes left, maxData) bytes. Fewer than an explicit N_e because the
   * file ended → 6282 "end of file reached before N_e bytes"; an Le of zeros means "as much as
   * there is" and ends with 9000. `wrapped` = 1 puts the bytes in DO '53' (odd INS).
   */
  #read(fid: number, offset: number, cmd: CommandApdu, maxData: number, wrapped: 0 | 1, gate: AccessGate): ResponseApdu {
    const refused = gate(fid, 'read');
    if (refused !== undefined) return answer(refused);
    if (cmd.ne === undefined) return answer(SW.WRONG_LENGTH);
    const content = this.content(fid)!;
    if (offset >= content.length) return answer(SW.WRONG_PARAMETERS_P1P2);
    const budget = Math.min(cmd.ne, maxData);
    const left = content.length - offset;
    // DO '53' header: tag and a length of up to 3 bytes.
    const room = wrapped === 1 ? budget - (budget - 2 < 128 ? 2 : budget - 3 < 256 ? 3 : 4) : budget;
    if (room <= 0) return answer(SW.WRONG_LENGTH);
    const n = Math.min(left, room);
    const bytes = content.subarray(offset, offset + n);
    const data = wrapped === 1 ? encodeTlv(TAG_DISCRETIONARY, bytes) : bytes;
    const short = n === left && data.length < cmd.ne && !wildcardNe(cmd);
    return answer(short ? SW.END_OF_FILE_REACHED : SW.NO_ERROR, data);
  }

  // ---- personalization: UPDATE BINARY (§11.3.5), CREATE FILE (ISO/IEC 7816-9 §6.1) ------------

  /** D6: same addressing as B0; the data must fit inside the file CREATE FILE made. */
  updateBinary(cmd: CommandApdu, gate: AccessGate): ResponseApdu {
    if (cmd.data.length === 0) return answer(SW.WRONG_LENGTH);
    const target = this.#target(cmd.p1, cmd.p2, gate);
    if (typeof target === 'number') return answer(target);
    return this.#write(target.fid, target.offset, cmd.data);
  }

  /** D7: DO '54' offset, then DO '53' data. */
  updateBinaryOdd(cmd: CommandApdu, gate: AccessGate): ResponseApdu {
    let objects;
    try {
      objects = readTlvList(cmd.data, 'der');
    } catch {
      return answer(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
    }
    const [o, d] = objects;
    const offset = o === undefined ? undefined : parseOffsetDo(o.raw);
    if (objects.length !== 2 || offset === undefined || d!.tag !== TAG_DISCRETIONARY || d!.value.length === 0) {
      return answer(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
    }
    const target = this.#oddTarget(cmd.p1, cmd.p2, gate);
    if (typeof target === 'number') return answer(target);
    return this.#write(target.fid, offset, d!.value);
  }

  #write(fid: number, offset: number, data: Uint8Array): ResponseApdu {
    const file = this.files.get(fid);
    if (file === undefined) return answer(SW.COMMAND_INCOMPATIBLE_WITH_FILE_STRUCTURE); // EF.ATR/INFO is the chip's own
    if (offset > file.length) return answer(SW.WRONG_PARAMETERS_P1P2);
    if (offset + data.length > file.length) return answer(SW.NOT_ENOUGH_MEMORY_SPACE);
    file.set(data, offset);
    return answer(SW.NO_ERROR);
  }

  /**
   * Creates (or, on an unlocked card, replaces) a zero-filled EF of `size` bytes and selects it.
   * Only the files of the LDS table can exist; 2F01 is the chip's own.
   */
  createFile(fid: number, size: number): ResponseApdu {
    if (fid === FID_ATR_INFO) return answer(SW_FILE_EXISTS);
    if (fileByFid(fid) === undefined || size === 0) return answer(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
    this.files.set(fid, new Uint8Array(size));
    this.#current = fid;
    return answer(SW.NO_ERROR);
  }
}

/** DO '54' holding an offset of 1 to 3 bytes; undefined when the data is anything else. */
function parseOffsetDo(data: Uint8Array): number | undefined {
  if (data.length < 3 || data[0] !== TAG_OFFSET) return undefined;
  const n = data[1]!;
  if (n < 1 || n > 3 || data.length !== 2 + n) return undefined;
  return readUintBE(data, 2, n);
}
