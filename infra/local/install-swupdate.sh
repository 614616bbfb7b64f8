#!/usr/bin/env bash
# Installs Debian's swupdate package (it contains suricatta, a real hawkBit DDI client) for the suricatta e2e
# tests in apps/device-gateway/test/suricatta. Idempotent: does nothing when swupdate is already on PATH.
# Needs root (or passwordless sudo) and apt-get; exits non-zero with a clear message otherwise, because in CI
# the e2e test must fail rather than be skipped when its judge cannot be installed.
set -euo pipefail

if command -v swupdate >/dev/null 2>&1; then
  echo "swupdate already installed: $(command -v swupdate)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-swupdate: apt-get not found; install Debian's 'swupdate' package (bookworm: 2022.12) by hand" >&2
  exit 2
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "install-swupdate: not root and no passwordless sudo; run 'apt-get install swupdate' as root" >&2
  exit 3
fi

export DEBIAN_FRONTEND=noninteractive
# Two spec files may call this at once, and infra/local/up may be installing too: wait for dpkg's lock
# instead of failing on it.
APT_WAIT=(-o DPkg::Lock::Timeout=300)
# The package index may be missing on fresh containers; update it only when the candidate is unknown.
if ! apt-cache policy swupdate 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  "${SUDO[@]}" apt-get "${APT_WAIT[@]}" update -qq
fi
# --no-install-recommends: only the binary and its libraries; the package's systemd units are not started in
# containers (no init), and the tests run swupdate themselves.
"${SUDO[@]}" apt-get "${APT_WAIT[@]}" install -y -qq --no-install-recommends swupdate

if ! command -v swupdate >/dev/null 2>&1; then
  echo "install-swupdate: apt-get finished but swupdate is still not on PATH" >&2
  exit 4
fi
echo "swupdate installed: $(command -v swupdate)"
