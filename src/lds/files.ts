/**
 * The elementary files of the LDS1 eMRTD application: one table instead of scattered switches.
 * ICAO 9303-10 (8th ed.) §3.11 Table 38, §4.1; EF.CardAccess lives beside the application (§3.11.3).
 */

export interface LdsFile {
  /** Short name used in APIs and file names: COM, SOD, DG1…DG16, CardAccess, CVCA. */
  readonly name: string;
  /** Data group number, or undefined for EF.COM, EF.SOD, EF.CardAccess, EF.CVCA. */
  readonly dg: number | undefined;
  /** Outermost tag of the file, or undefined where the file has no wrapper (EF.CardAccess). */
  readonly tag: number | undefined;
  readonly fid: number;
  readonly sfi: number;
}

function dgFile(dg: number, tag: number): LdsFile {
  return Object.freeze({ name: `DG${dg}`, dg, tag, fid: 0x0100 + dg, sfi: dg });
}

export const LDS_FILES: readonly LdsFile[] = Object.freeze([
  Object.freeze({ name: 'COM', dg: undefined, tag: 0x60, fid: 0x011e, sfi: 0x1e }),
  Object.freeze({ name: 'SOD', dg: undefined, tag: 0x77, fid: 0x011d, sfi: 0x1d }),
  Object.freeze({ name: 'CardAccess', dg: undefined, tag: undefined, fid: 0x011c, sfi: 0x1c }),
  dgFile(1, 0x61),
  dgFile(2, 0x75),
  dgFile(3, 0x63),
  dgFile(4, 0x76),
  dgFile(5, 0x65),
  dgFile(6, 0x66),
  dgFile(7, 0x67),
  dgFile(8, 0x68),
  dgFile(9, 0x69),
  dgFile(10, 0x6a),
  dgFile(11, 0x6b),
  dgFile(12, 0x6c),
  dgFile(13, 0x6d),
  dgFile(14, 0x6e),
  dgFile(15, 0x6f),
  dgFile(16, 0x70),
]);

export function fileByName(name: string): LdsFile | undefined {
  return LDS_FILES.find((f) => f.name === name);
}

export function fileByDg(dg: number): LdsFile | undefined {
  return LDS_FILES.find((f) => f.dg === dg);
}

export function fileByFid(fid: number): LdsFile | undefined {
  return LDS_FILES.find((f) => f.fid === fid);
}

export function fileByTag(tag: number): LdsFile | undefined {
  return LDS_FILES.find((f) => f.tag === tag);
}
