/**
 * Typed errors shared by every layer. Each carries a stable `code` and, where it applies,
 * where the problem is: the tag, the byte offset, the field, the file, the status word.
 */

export interface ErrorPlace {
  readonly tag?: number;
  readonly offset?: number;
  readonly field?: string;
  readonly file?: string;
  readonly step?: string;
  readonly sw?: number;
}

export class CancuocError extends Error {
  readonly code: string;
  readonly place: ErrorPlace;

  constructor(code: string, message: string, place: ErrorPlace = {}, options?: { cause?: unknown }) {
    super(message + describePlace(place), options);
    this.name = new.target.name;
    this.code = code;
    this.place = Object.freeze({ ...place });
  }
}

/** Bad bytes from a card, a file or a QR code. */
export class ParseError extends CancuocError {}

/** Input that is well-formed but breaks a rule (a field value, a date, an ID number). */
export class ValidationError extends CancuocError {}

function describePlace(place: ErrorPlace): string {
  const parts: string[] = [];
  if (place.file !== undefined) parts.push(`file ${place.file}`);
  if (place.field !== undefined) parts.push(`field ${place.field}`);
  if (place.tag !== undefined) parts.push(`tag ${place.tag.toString(16).toUpperCase().padStart(2, '0')}`);
  if (place.offset !== undefined) parts.push(`offset ${place.offset}`);
  if (place.step !== undefined) parts.push(`step ${place.step}`);
  if (place.sw !== undefined) parts.push(`SW ${place.sw.toString(16).toUpperCase().padStart(4, '0')}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

export type Result<T, E extends CancuocError = CancuocError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

/**
 * Runs a decoder and turns any failure into a Result. A decoder should only ever throw
 * CancuocError; anything else is a bug, so it is wrapped with code INTERNAL and kept as the cause.
 */
export function attempt<T>(fn: () => T): Result<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    return { ok: false, error: asCancuocError(e) };
  }
}

export function asCancuocError(e: unknown): CancuocError {
  if (e instanceof CancuocError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new CancuocError('INTERNAL', `internal error: ${msg}`, {}, { cause: e });
}
