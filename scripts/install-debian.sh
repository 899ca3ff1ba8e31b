#!/usr/bin/env bash
# Debian packages cancuoc needs: the PC/SC stack (pcscd, the vsmartcard vpcd reader driver and the
# headers the pcsclite binding builds against), SoftHSM2 (the PKCS#11 test token), OpenSSL and
# ZXing (independent cross-checks in the tests), and a compiler for the native addons.
# Then it leaves pcscd running, so that `cancuoc demo` and the PC/SC tests use the real stack.
# Runs as root, or as a user with sudo (it calls sudo itself then).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-debian: run as root, or install sudo" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  pcscd libpcsclite-dev vsmartcard-vpcd iproute2 softhsm2 opensc openssl zxing-cpp-tools \
  fonts-ocr-b fonts-dejavu-core python3 make g++ ca-certificates git chromium >/dev/null
echo "install-debian: packages ready"

# pcscd: through systemd where it is the init system; otherwise the daemon is started here.
# A pcscd that was running before vpcd was installed does not know its readers: restart it then.
SOCKET=/run/pcscd/pcscd.comm
vpcd_known() { [ -S "$SOCKET" ] && grep -q . /etc/reader.conf.d/vpcd 2>/dev/null; }
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  $SUDO systemctl enable --now pcscd.socket >/dev/null 2>&1 || true
  $SUDO systemctl restart pcscd.service >/dev/null 2>&1 || $SUDO systemctl start pcscd.socket
  echo "install-debian: pcscd running under systemd (pcscd.socket)"
elif pgrep -x pcscd >/dev/null && vpcd_known && [ -n "$(find "$SOCKET" -newer /etc/reader.conf.d/vpcd 2>/dev/null)" ]; then
  echo "install-debian: pcscd already running (pid $(pgrep -x pcscd | head -1))"
else
  # no systemd here (a container, or a minimal image): start the daemon itself
  $SUDO pkill -x pcscd 2>/dev/null && sleep 0.5 || true
  $SUDO mkdir -p /run/pcscd
  $SUDO /usr/sbin/pcscd
  for _ in $(seq 50); do [ -S "$SOCKET" ] && break; sleep 0.1; done
  [ -S "$SOCKET" ] || { echo "install-debian: pcscd did not start" >&2; exit 1; }
  echo "install-debian: no systemd on this machine: started pcscd as a daemon (pid $(pgrep -x pcscd | head -1))"
fi
