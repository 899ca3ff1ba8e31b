#!/usr/bin/env bash
# Turns off delayed ACKs on the loopback routes (Linux route metric "quickack", needs root).
#
# Why: the vsmartcard vpcd driver inside pcscd writes every frame to the virtual card as two TCP
# segments (the 2-byte length, then the APDU). With Nagle on its socket and delayed ACK on ours,
# the second segment waits for the ACK of the first: about 40 ms per APDU, so a card that takes
# 60 APDUs to personalize and check costs 2.5 s in waiting alone. With quickack the same APDU takes
# well under a millisecond. Nothing else changes; undo with `--off`.
set -euo pipefail
value=1
[ "${1:-}" = "--off" ] && value=0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
for prefix in 127.0.0.0/8 127.0.0.1; do
  $SUDO ip route change local "$prefix" dev lo proto kernel scope host src 127.0.0.1 table local quickack "$value"
done
ip route show table local | grep -E '^local 127\.' || true
