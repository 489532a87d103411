#!/bin/bash
# Install masakari_ha's MAAS fencing for pacemaker:
#   /usr/sbin/fence_maas                        -> stonith:fence_maas   (fence-agents protocol)
#   /usr/lib/stonith/plugins/external/maas      -> stonith:external/maas (cluster-glue plugin)
# Both are tiny wrappers exec'ing the Python that has masakari_ha installed. pacemaker-fenced
# finds fence_* agents in /usr/sbin and cluster-glue plugins in its external/ directory;
# cluster-glue refuses plugins writable by group/others, so they are installed 0755 root:root.
#
# usage: tools/install-fence-maas.sh install|uninstall|status [PYTHON]
#   PYTHON defaults to the repository's .venv/bin/python, else python3 on PATH.
#   FENCE_MAAS_SBIN_DIR (default /usr/sbin) and STONITH_EXTERNAL_DIR
#   (default /usr/lib/stonith/plugins/external) override the destinations.
set -euo pipefail
COMPONENT=install-fence-maas
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
SBIN=${FENCE_MAAS_SBIN_DIR:-/usr/sbin}
EXTDIR=${STONITH_EXTERNAL_DIR:-/usr/lib/stonith/plugins/external}
AGENT=$SBIN/fence_maas
PLUGIN=$EXTDIR/maas

log() { printf '%s: %s\n' "$COMPONENT" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

pick_python() {
  if [ -n "${1:-}" ]; then echo "$1"; return; fi
  if [ -x "$REPO/.venv/bin/python" ]; then echo "$REPO/.venv/bin/python"; return; fi
  command -v python3 || die "no python3 found"
}

write_wrapper() {  # write_wrapper DEST PYTHON MODULE DESCRIPTION
  local dest=$1 py=$2 module=$3 what=$4 tmp
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp "$(dirname "$dest")/.fence-maas.XXXXXX")
  cat > "$tmp" <<WRAP
#!/bin/sh
# $what -- installed by masakari_ha tools/install-fence-maas.sh
exec "$py" -m $module "\$@"
WRAP
  chmod 0755 "$tmp"
  chown root:root "$tmp" 2>/dev/null || true
  mv -f "$tmp" "$dest"
  log "installed $dest (python: $py)"
}

install() {
  local py
  py=$(pick_python "${1:-}")
  "$py" -c 'import masakari_ha.fencing.agent, masakari_ha.fencing.external_maas' \
    || die "$py cannot import masakari_ha.fencing (install the package first)"
  write_wrapper "$AGENT" "$py" masakari_ha.fencing.agent "stonith:fence_maas fence agent"
  write_wrapper "$PLUGIN" "$py" masakari_ha.fencing.external_maas "stonith:external/maas cluster-glue plugin"
  "$AGENT" -o metadata >/dev/null || die "$AGENT -o metadata failed"
  "$PLUGIN" getconfignames >/dev/null || die "$PLUGIN getconfignames failed"
}

uninstall() {
  local f
  for f in "$AGENT" "$PLUGIN"; do
    if [ -f "$f" ] && grep -q 'masakari_ha tools/install-fence-maas.sh' "$f"; then
      rm -f "$f"; log "removed $f"
    fi
  done
}

status() {
  local f rc=0
  for f in "$AGENT" "$PLUGIN"; do
    if [ -x "$f" ] && grep -q 'masakari_ha tools/install-fence-maas.sh' "$f"; then
      echo "$f: installed ($(sed -n 's/^exec "\([^"]*\)".*/\1/p' "$f"))"
    else
      echo "$f: not installed"; rc=1
    fi
  done
  return $rc
}

case "${1:-}" in
  install) install "${2:-}" ;;
  uninstall) uninstall ;;
  status) status ;;
  *) echo "usage: $0 install [PYTHON] | uninstall | status" >&2; exit 2 ;;
esac
