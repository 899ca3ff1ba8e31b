/**
 * Text from a card, a file or a QR code is unauthenticated until proven otherwise, and even signed
 * text may hold terminal controls: an ESC sequence (ECMA-48 §5.4) can hide lines, move the cursor
 * or rewrite a verdict, and bidirectional overrides (Unicode UAX #9) can reorder what is shown.
 * `escapeControls` makes every such character visible before it reaches a terminal or a page;
 * the human reports, error lines and any future console use it.
 */

/**
 * C0 controls, DEL and C1 controls (ECMA-48 §5), the bidirectional embeddings, overrides and
 * isolates (U+202A–U+202E, U+2066–U+2069), line and paragraph separators, and lone surrogates.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` with every control or reordering character written as \xHH or \uHHHH (and `\` as `\\`). */
export function escapeControls(text: string): string {
  if (typeof text !== 'string') throw new TypeError('"text" expected a string');
  return text.replace(/\\/g, '\\\\').replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Several lines joined with `\n`, each escaped: the only line breaks are the caller's. */
export function escapeLines(lines: readonly string[]): string {
  return lines.map(escapeControls).join('\n');
}
