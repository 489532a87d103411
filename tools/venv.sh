#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv in .venv and install masakari_ha into it.
# Idempotent: re-running only installs what changed. Usage: tools/venv.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "masakari_ha needs Python >= 3.11 ($PYTHON is older or missing); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
# The tests include the instance monitor, whose libvirt-python builds against the distro's
# libvirt: headers + compiler (root, apt). The service alone needs neither.
if [ "${1:-}" = "--test" ] && ! pkg-config --exists libvirt 2>/dev/null; then
  COMPONENT=venv
  . tools/lib.sh
  apt_install libvirt-dev pkg-config gcc
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.installed
want=$(cat requirements.txt test-requirements.txt setup.cfg | sha1sum | cut -d' ' -f1)
if [ "${1:-}" = "--test" ]; then want="$want-test"; fi
if [ ! -f "$stamp" ] || ! grep -qx "$want" "$stamp"; then
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip wheel setuptools
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  if [ "${1:-}" = "--test" ]; then
    .venv/bin/pip install -q --disable-pip-version-check -r test-requirements.txt
  fi
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
  echo "$want" > "$stamp"
fi
