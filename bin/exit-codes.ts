/** Exit codes of every cancuoc command (documented in the README). */
export const EXIT = Object.freeze({
  ok: 0,
  invalid: 1,
  untrusted: 2,
  noCard: 3,
  badInput: 4,
  internal: 5,
});
