#!/usr/bin/env bash
# Debian packages cancuoc needs: the PC/SC stack (pcscd, the vsmartcard vpcd reader driver and the
# headers the pcsclite binding builds against), SoftHSM2 (the PKCS#11 test token), OpenSSL and
# ZXing, OpenCV's Python binding and its Haar cascades (independent cross-checks in the tests),
# and a compiler for the native addons.
# Then it leaves pcscd running, so that `cancuoc demo` and the PC/SC tests use the real stack.
# Runs as root, or as a user with sudo (it calls sudo itself then).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-debian: run as root, or install sudo" >&2; exit 1; }
  SUDO="sudo env DEBIAN_FRONTEND=noninteractive"  # sudo resets the environment
fi
export DEBIAN_FRONTEND=noninteractive
# a fresh machine often runs unattended upgrades at first boot: wait for the dpkg lock, do not fail
APT_WAIT=(-o DPkg::Lock::Timeout=600)
$SUDO apt-get "${APT_WAIT[@]}" update -qq
# PostgreSQL: only the server binaries are needed; the registry tests start a private server
# (test/helpers/postgres.ts). No system cluster is created or started.
if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
  $SUDO mkdir -p /etc/postgresql-common
  echo 'create_main_cluster = false' | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
$SUDO apt-get "${APT_WAIT[@]}" install -y -qq --no-install-recommends \
  pcscd libpcsclite-dev vsmartcard-vpcd iproute2 softhsm2 opensc openssl openpace zxing-cpp-tools sqlite3 \
  fonts-ocr-b fonts-dejavu-core python3 python3-opencv opencv-data make g++ ca-certificates git postgresql chromium >/dev/null
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
