#!/usr/bin/env bash
# Debian packages cancuoc needs: the PC/SC stack (pcscd, the vsmartcard vpcd reader driver and the
# headers the pcsclite binding builds against), SoftHSM2 (the PKCS#11 test token), OpenSSL and
# ZXing (independent cross-checks in the tests), and a compiler for the native addons.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  pcscd libpcsclite-dev vsmartcard-vpcd iproute2 softhsm2 opensc openssl zxing-cpp-tools \
  fonts-ocr-b fonts-dejavu-core python3 make g++ ca-certificates >/dev/null
echo "install-debian: packages ready"
