# Shared helpers for the tools/*.sh server scripts (sourced, not executed).
#
# Every script keeps its state under $LAB_ROOT/<component> (LAB_ROOT defaults to
# ${MASAKARI_HA_LAB:-/var/tmp/masakari-ha-lab}), is idempotent and runs without systemd:
# daemons are started in the background with a pid file and stopped by that pid only.

LAB_ROOT=${MASAKARI_HA_LAB:-/var/tmp/masakari-ha-lab}

log() { printf '%s: %s\n' "${COMPONENT:-tools}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Stop package postinst scripts from starting daemons (no systemd here; we start our own).
ensure_policy_rc_d() {
  if [ ! -x /usr/sbin/policy-rc.d ] || ! grep -q 'exit 101' /usr/sbin/policy-rc.d; then
    printf '#!/bin/sh\n# installed by masakari_ha tools/: do not start daemons from package scripts\nexit 101\n' \
      > /usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
  fi
}

# apt_install PKG... : install the missing ones, waiting for the shared dpkg lock.
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "need root to apt-get install ${missing[*]}"
  ensure_policy_rc_d
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold \
    install -y --no-install-recommends "${missing[@]}" >&2 \
    || { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update >&2 &&
         DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold \
           install -y --no-install-recommends "${missing[@]}" >&2; } \
    || die "apt-get install ${missing[*]} failed"
}

# waitfor 'shell condition' [seconds]: poll every 0.2 s until true, for at most that many seconds
# of wall-clock time (a condition that itself takes a second, such as a Python client call,
# does not stretch the limit).
waitfor() {
  local cond=$1 deadline=$((SECONDS + ${2:-60}))
  while :; do
    eval "$cond" >/dev/null 2>&1 && return 0
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# run_all 'command line'...: run the command lines side by side (eval'd in background jobs) and wait
# for all; fails when any failed (each says why on stderr).
run_all() {
  local c pid pids=() rc=0
  for c in "$@"; do eval "$c" & pids+=("$!"); done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return "$rc"
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid_alive PIDFILE: the pid recorded in PIDFILE is a running process.
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pidfile PIDFILE [seconds]: TERM the recorded pid, wait, then KILL; remove the file.
stop_pidfile() {
  local f=$1 limit=${2:-20} pid
  [ -s "$f" ] || { rm -f "$f"; return 0; }
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    waitfor "! kill -0 $pid" "$limit" || { log "pid $pid did not exit on TERM, killing"; kill -KILL "$pid" 2>/dev/null; sleep 0.5; }
  fi
  rm -f "$f"
}

# require_free_port PORT WHAT: fail clearly if a foreign process already listens there.
require_free_port() {
  port_open "$1" && die "port $1 (for $2) is already in use by another process; stop it or free the port"
  return 0
}

# usage_verbs VERBS: print the usage line and exit 2.
usage() { echo "usage: $0 {$1}" >&2; exit 2; }
