/**
 * Constant-time comparison for MACs, tokens and cryptograms. DEVELOPERS.md requires every MAC
 * check to run in time independent of where the first differing byte is; JMRTD's plain
 * Arrays.equals on SM MACs is the gap this closes.
 */
import { timingSafeEqual } from 'node:crypto';
import { abytes } from '../lds/bytes.js';

/**
 * True when `a` and `b` hold the same bytes. A length mismatch returns false at once: the
 * lengths of MACs and tokens are public (fixed by the cipher suite), only their contents are secret.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  abytes(a, 'a');
  abytes(b, 'b');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
