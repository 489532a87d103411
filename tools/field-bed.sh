#!/usr/bin/env bash
# The field test bed: every real component of the field report composed into one cloud.
#
#   real Nova 26 (tools/nova-lab.sh) with FakeDriver computes remote1..3 + the reserved spare remote4
#   pacemaker (tools/pacemaker-lab.sh up 4): pacemaker-remote nodes remote1..4 in netns pcmk-r1..4,
#       STONITH stonith:fence_maas against the lab's MAAS emulator (127.0.0.1:15241)
#   libvirtd + virtlogd (tools/libvirt-lab.sh): tiny qemu domains named field-<uuid8> whose UUID is a
#       Nova server's UUID (created by the tests)
#   masakari-ha-api (127.0.0.1:15870, auth_strategy=keystone) and masakari-ha-engine (separate
#       process) on MariaDB database masakari_field and RabbitMQ (exchange masakari_field, topic
#       field_engine, so no other session's engine ever takes the bed's casts)
#   masakari-ha-hostmonitor on each remote node (pacemaker commands run with
#       `ip netns exec pcmk-rN`, i.e. through that node's pacemaker_remoted), and
#       masakari-ha-instancemonitor for remote1 on qemu:///system
#   the API's instance-ha endpoint in a Keystone region of its own (masakari-field)
#
# usage: tools/field-bed.sh up | down | status | env | reset
#                           | start-engine NAME | stop-engine NAME [--kill] | restart-monitors
#   up       install/start everything (idempotent), then `reset`
#   reset    back to a known state: no servers, computes up/enabled (remote4 disabled = reserved),
#            pacemaker healthy with no fence history, MAAS machines on, empty masakari DB with the
#            segment field-segment (auto; remote4 reserved), fresh API/engine/monitors
#   down     stop what `up` started (the component beds too when `up` started them) and undo every
#            change listed in tools/README.field.md
# All state under $MASAKARI_HA_LAB/field.
set -u
COMPONENT=field-bed
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
# shellcheck source=tools/lib.sh
. "$HERE/lib.sh"

FIELD=$LAB_ROOT/field
RUN=$FIELD/run
LOGS=$FIELD/log
ETC=$FIELD/etc
VENV=${MASAKARI_HA_VENV:-$REPO/.venv}
PY=$VENV/bin/python
BIN=$VENV/bin
HOSTS=(remote1 remote2 remote3 remote4)
RESERVED=remote4
NODES=${#HOSTS[@]}
API_PORT=${MASAKARI_HA_FIELD_API_PORT:-15870}
API_URL=http://127.0.0.1:$API_PORT/v1
REGION=masakari-field
DB_NAME=masakari_field
AUTH_URL=http://127.0.0.1:15001/v3
PCMK_LAB=$LAB_ROOT/pacemaker
MAAS_URL=http://127.0.0.1:${MASAKARI_HA_LAB_MAAS_PORT:-15241}/MAAS/
INSTANCE_MONITOR_HOST=remote1

export MASAKARI_HA_PYTHON=$PY

field_py() { "$PY" "$HERE/field_bed.py" "$@"; }

db_base() { "$HERE/mariadb.sh" url | sed -E 's#/[^/?]*(\?.*)?$##'; }
db_url() { echo "$(db_base)/$DB_NAME?charset=utf8mb4"; }
sql() {
  "$PY" - "$(db_base)" "$1" <<'EOF'
import sys, pymysql
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1].replace("mysql+pymysql", "mysql"))
conn = pymysql.connect(host=u.hostname, port=u.port, user=u.username, password=u.password, autocommit=True)
for statement in sys.argv[2].split(";"):
    if statement.strip():
        conn.cursor().execute(statement)
EOF
}

# --- configuration --------------------------------------------------------------------------
ks_auth() {  # ks_auth USER : keystoneauth password options
  printf 'auth_type = password\nauth_url = %s\nusername = %s\npassword = %spass\n' "$AUTH_URL" "$1" "$1"
  printf 'project_name = %s\nuser_domain_name = Default\nproject_domain_name = Default\n' "${2:-service}"
}

common_conf() {  # [DEFAULT] + DB + messaging shared by the API and the engines
  cat <<EOF
[DEFAULT]
transport_url = $("$HERE/rabbitmq.sh" url)
masakari_topic = field_engine
engine_control_exchange = masakari_field
verify_interval = 0.5
retry_notification_new_status_interval = 5
process_unfinished_notifications_interval = 30
host_failure_recovery_threads = 4
debug = False
[database]
connection = $(db_url)
[host_failure]
auto_recover_host = $(cat "$RUN/auto-recover-host" 2>/dev/null || echo False)
[nova]
$(ks_auth admin admin)
region_name = RegionOne
EOF
}

write_configs() {
  local i host
  mkdir -p "$ETC" "$RUN" "$LOGS"
  { common_conf
    cat <<EOF
[DEFAULT]
state_path = $FIELD/state/api
auth_strategy = keystone
masakari_api_listen = 127.0.0.1
masakari_api_listen_port = $API_PORT
masakari_api_workers = 2
log_file = $LOGS/api.log
[keystone_authtoken]
www_authenticate_uri = $AUTH_URL
$(ks_auth masakari)
region_name = RegionOne
EOF
  } > "$ETC/api.conf"
  for name in engine-1 engine-2; do
    { common_conf
      cat <<EOF
[DEFAULT]
state_path = $FIELD/state/$name
log_file = $LOGS/$name.log
[engine]
host = $name
lease_duration = 6
sweep_interval = 1
[fencing]
driver = maas
required = True
[maas]
url = $MAAS_URL
api_key_file = $PCMK_LAB/maas.key
power_off_timeout = 30
poll_interval = 0.5
request_timeout = 10
EOF
    } > "$ETC/$name.conf"
  done
  for i in $(seq 1 "$NODES"); do
    host=${HOSTS[$((i - 1))]}
    cat > "$ETC/hostmonitor-$host.conf" <<EOF
[DEFAULT]
hostname = $host
state_path = $FIELD/state/hostmonitor-$host
log_file = $LOGS/hostmonitor-$host.log
[api]
$(ks_auth service)
region = $REGION
[host]
monitoring_interval = 1
monitoring_samples = 2
fencing_wait_timeout = 20
command_timeout = 5
command_prefix = ip,netns,exec,pcmk-r$i
[spool]
retry_initial_delay = 0.2
EOF
  done
  cat > "$ETC/instancemonitor.conf" <<EOF
[DEFAULT]
hostname = $INSTANCE_MONITOR_HOST
state_path = $FIELD/state/instancemonitor
log_file = $LOGS/instancemonitor.log
[api]
$(ks_auth service)
region = $REGION
[libvirt]
connection_uri = qemu:///system
[spool]
retry_initial_delay = 0.2
EOF
}

# --- processes ------------------------------------------------------------------------------
start_proc() {  # name command...
  local name=$1; shift
  pid_alive "$RUN/$name.pid" && return 0
  setsid nohup "$@" >> "$LOGS/$name.out" 2>&1 &
  echo $! > "$RUN/$name.pid"
}

api_up() { curl -s -o /dev/null -w '%{http_code}' "$API_URL/" 2>/dev/null | grep -qE '^(200|300|401)$'; }

# launch_* start a process and return; wait_* wait until it serves (so that a reset can start
# the API and an engine side by side); start_* do both.
launch_api() {
  pid_alive "$RUN/api.pid" && return 0
  require_free_port "$API_PORT" "the field bed's masakari-ha-api"
  start_proc api "$BIN/masakari-ha-api" --config-file "$ETC/api.conf"
}

wait_api() {
  waitfor api_up 120 || { tail -n 30 "$LOGS/api.out" "$LOGS/api.log" >&2; die "masakari-ha-api did not answer on $API_URL"; }
}

start_api() { launch_api; wait_api; }

launch_engine() {
  pid_alive "$RUN/$1.pid" && return 0
  start_proc "$1" "$BIN/masakari-ha-engine" --config-file "$ETC/$1.conf"
}

wait_engine() {  # NAME: this process's own "listening" line (the log is appended to)
  local name=$1 pid
  pid=$(cat "$RUN/$name.pid")
  waitfor "grep -q ' $pid INFO .*listening on topic' '$LOGS/$name.log'" 120 ||
    { tail -n 30 "$LOGS/$name.out" "$LOGS/$name.log" >&2; die "$name did not start listening"; }
}

start_engine() { launch_engine "$1"; wait_engine "$1"; }

stop_engine() {  # name [--kill]
  if [ "${2:-}" = --kill ]; then
    [ -s "$RUN/$1.pid" ] && kill -KILL -- "-$(cat "$RUN/$1.pid")" 2>/dev/null
    rm -f "$RUN/$1.pid"
  else
    stop_group "$RUN/$1.pid" 20
  fi
}

stop_group() {  # PIDFILE [seconds]: TERM the process group started by start_proc (setsid: pgid = pid)
  stop_groups "${2:-20}" "$1"
}

# stop_groups SECONDS PIDFILE...: TERM all those process groups at once, wait for every leader to
# exit (KILL what is left after SECONDS), remove the pid files. Each of our processes takes about
# 2 s to shut down cleanly; one after the other that was most of a reset.
stop_groups() {
  local limit=$1 f pid pids=()
  shift
  for f in "$@"; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    kill -0 "$pid" 2>/dev/null && kill -TERM -- "-$pid" 2>/dev/null && pids+=("$pid")
  done
  if [ ${#pids[@]} -gt 0 ] && ! waitfor "! kill -0 ${pids[*]}" "$limit"; then
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null; done
  fi
  rm -f "$@"
}

monitor_healthy() {  # state-dir name
  "$PY" - "$1" <<'EOF'
import json, sys
try:
    h = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(1)
sys.exit(0 if h.get("status") == "ok" else 1)
EOF
}

start_monitors() {
  local host
  for host in "${HOSTS[@]}"; do
    start_proc "hostmonitor-$host" "$BIN/masakari-ha-hostmonitor" --config-file "$ETC/hostmonitor-$host.conf"
  done
  start_proc instancemonitor "$BIN/masakari-ha-instancemonitor" --config-file "$ETC/instancemonitor.conf"
  for host in "${HOSTS[@]}"; do
    waitfor "monitor_healthy $FIELD/state/hostmonitor-$host/hostmonitor/health.json" 90 ||
      { tail -n 30 "$LOGS/hostmonitor-$host.out" "$LOGS/hostmonitor-$host.log" >&2; die "host monitor on $host not healthy"; }
  done
  waitfor "monitor_healthy $FIELD/state/instancemonitor/instancemonitor/health.json" 90 ||
    { tail -n 30 "$LOGS/instancemonitor.out" "$LOGS/instancemonitor.log" >&2; die "instance monitor not healthy"; }
}

stop_monitors() {
  local host files=()
  for host in "${HOSTS[@]}"; do files+=("$RUN/hostmonitor-$host.pid"); done
  stop_groups 15 "${files[@]}" "$RUN/instancemonitor.pid"
}

stop_masakari() {  # the monitors first: they must not report what stopping the rest looks like
  stop_monitors
  stop_groups 20 "$RUN/engine-1.pid" "$RUN/engine-2.pid" "$RUN/api.pid"
}

# --- component beds -------------------------------------------------------------------------
servers_up() {  # MariaDB, RabbitMQ and Keystone are independent: checked (or started) side by side
  run_all "'$HERE/mariadb.sh' up >/dev/null" "'$HERE/rabbitmq.sh' up >/dev/null" "'$HERE/keystone.sh' up >/dev/null" ||
    die "tools/mariadb.sh, rabbitmq.sh or keystone.sh up failed (see above)"
}

note_started() { grep -qxF "$1" "$RUN/started-beds" 2>/dev/null || echo "$1" >> "$RUN/started-beds"; }

beds_up() {
  local t
  t=$SECONDS
  servers_up
  "$HERE/nova-lab.sh" status >/dev/null 2>&1 || note_started nova
  "$HERE/nova-lab.sh" up "${HOSTS[@]}" >/dev/null || die "tools/nova-lab.sh up failed"
  log "nova ready ($((SECONDS - t)) s)"; t=$SECONDS
  "$HERE/pacemaker-lab.sh" status >/dev/null 2>&1 || note_started pacemaker
  "$HERE/pacemaker-lab.sh" up "$NODES" || die "tools/pacemaker-lab.sh up $NODES failed"
  [ "$(cat "$PCMK_LAB/run/fence-agent" 2>/dev/null)" = fence_maas ] ||
    "$HERE/pacemaker-lab.sh" fence-agent fence_maas || die "cannot configure stonith:fence_maas"
  log "pacemaker ready ($((SECONDS - t)) s)"; t=$SECONDS
  "$HERE/libvirt-lab.sh" status >/dev/null 2>&1 || note_started libvirt
  "$HERE/libvirt-lab.sh" up || die "tools/libvirt-lab.sh up failed"
  log "libvirt ready ($((SECONDS - t)) s)"
}

# --- reset ----------------------------------------------------------------------------------
pcmk_reset() {
  local i
  for i in $(seq 1 "$NODES"); do
    [ -e "$PCMK_LAB/run/netcut-$i" ] && "$HERE/pacemaker-lab.sh" heal "$i" --no-wait
    pid_alive "$PCMK_LAB/run/remote$i.pid" || "$HERE/pacemaker-lab.sh" start-remote "$i" --no-wait
  done
  corosync-quorumtool -s 2>/dev/null | grep -q 'Quorate: *Yes' || "$HERE/pacemaker-lab.sh" quorum regain
  stonith_admin --cleanup --history '*' >/dev/null 2>&1
  crm_resource --cleanup >/dev/null 2>&1
  "$PY" - "$MAAS_URL" <<'EOF' || die "MAAS emulator reset failed"
import sys, requests
ctl = sys.argv[1].split("/MAAS")[0] + "/_sim"
for m in requests.get(ctl + "/machines", timeout=5).json():
    requests.patch(f"{ctl}/machines/{m['hostname']}", json={
        "power_state": "on", "off_delay": 0.5, "on_delay": 0.5, "query_fault": None,
        "power_off_fault": None, "power_on_fault": None}, timeout=5).raise_for_status()
requests.delete(ctl + "/actions", timeout=5).raise_for_status()
EOF
  waitfor pcmk_healthy 180 || { crm_mon -1 --fence-history=3 >&2; die "pacemaker did not become healthy within 180 s"; }
}

# Healthy: every remote node online and clean, nothing starting, no fencing in flight and an
# empty fence history. A fence action of the previous scenario can still complete after the
# reset's history clean-up (e.g. pacemaker's retry of a fence the BMC-unknown scenario refused,
# which succeeds once the MAAS emulator is reset): clear the history again when that happens.
# The controller must answer too: a link cut can freeze it for up to a minute while the CIB
# still shows the old state (tests/e2e/conftest.py, CONTROLLER_REPLACED_WITHIN).
pcmk_healthy() {
  local x
  timeout 10 crmadmin --dc_lookup --timeout 3000 >/dev/null 2>&1 || return 1
  x=$(crm_mon -1 --output-as=xml 2>/dev/null) || return 1
  [ "$(grep -E '<node name="remote[0-9]+"' <<<"$x" | grep -c 'online="true".*unclean="false"')" -ge "$NODES" ] &&
    ! grep -q 'role="Starting"' <<<"$x" || return 1
  grep -q '<fence_event[^>]*status="pending"' <<<"$x" && return 1
  if grep -q '<fence_event' <<<"$x"; then
    stonith_admin --cleanup --history '*' >/dev/null 2>&1
    return 1
  fi
  return 0
}

libvirt_reset() {
  local name
  for name in $(virsh -q -c qemu:///system list --all --name 2>/dev/null | grep '^field-'); do
    "$HERE/libvirt-lab.sh" undefine "$name" >/dev/null 2>&1
  done
}

db_reset() {
  sql "DROP DATABASE IF EXISTS $DB_NAME; CREATE DATABASE $DB_NAME CHARACTER SET utf8mb4"
  "$BIN/masakari-ha-manage" --config-file "$ETC/api.conf" db sync >> "$LOGS/manage.log" 2>&1 ||
    { tail -20 "$LOGS/manage.log" >&2; die "masakari-ha-manage db sync failed"; }
}

# The shared servers may have been stopped by another test session's cleanup in between
# (tools/run-tests stops what it started): bring them back (each `up` is a no-op when running).
shared_up() {
  servers_up
  # A scenario leaves a compute killed and forced down: `nova-lab.sh up` restarts and un-forces it.
  "$HERE/nova-lab.sh" status >/dev/null 2>&1 ||
    "$HERE/nova-lab.sh" up "${HOSTS[@]}" >/dev/null || die "tools/nova-lab.sh up failed"
}

# lap NAME: record how long the phase since the previous lap took (for reset's summary line).
lap() { LAPS+=("$1 $((SECONDS - LAP_T))s"); LAP_T=$SECONDS; }

reset() {
  local t0=$SECONDS reserved_args=() stopping
  LAPS=() LAP_T=$SECONDS
  mkdir -p "$RUN" "$LOGS"
  stop_masakari &           # our processes stop (a few seconds each) while the shared servers are checked
  stopping=$!               # now: shared_up's own background jobs (run_all) change $!
  shared_up
  wait "$stopping"
  lap stop+shared
  rm -f "$RUN/auto-recover-host"
  libvirt_reset
  lap libvirt
  pcmk_reset
  lap pacemaker
  reserved_args=(--reserved "$RESERVED")
  field_py nova-reset "${HOSTS[@]}" "${reserved_args[@]}" || die "nova reset failed"
  lap nova
  write_configs
  db_reset
  rm -rf "$FIELD/state"
  lap db
  launch_api
  launch_engine engine-1
  wait_api
  wait_engine engine-1
  field_py endpoint "$API_URL" || die "registering the instance-ha endpoint failed"
  field_py register "$API_URL" "${HOSTS[@]}" "${reserved_args[@]}" > "$RUN/segment.json" || die "registering the segment failed"
  lap api+engine
  start_monitors
  lap monitors
  log "reset done in $((SECONDS - t0)) s (${LAPS[*]})"
}

# --- locks ----------------------------------------------------------------------------------
# The component beds are machine-wide singletons shared with the other e2e sessions, which hold
# $LAB_ROOT/<bed>.e2e.lock for their whole session (tests/e2e/conftest.py). A stand-alone
# up/reset/down waits for those locks; the field tests hold them themselves and set
# MASAKARI_HA_FIELD_LOCKED=1.
# flock(1) -o holds each lock in the flock process and closes it for the command, so none of the
# daemons this script starts inherits (and keeps holding) a lock.
take_locks() {
  [ "${MASAKARI_HA_FIELD_LOCKED:-}" = 1 ] && return 0
  mkdir -p "$LAB_ROOT"
  export MASAKARI_HA_FIELD_LOCKED=1
  exec flock -o -w 900 "$LAB_ROOT/nova.e2e.lock" flock -o -w 900 "$LAB_ROOT/pacemaker.e2e.lock" \
    flock -o -w 900 "$LAB_ROOT/libvirt.e2e.lock" "$0" "$@"
}

# --- verbs ----------------------------------------------------------------------------------
up() {
  local t0=$SECONDS
  [ "$(id -u)" = 0 ] || die "must run as root (network namespaces, pacemaker, libvirtd)"
  [ -x "$PY" ] || die "project virtualenv missing ($PY): run tools/venv.sh"
  mkdir -p "$RUN" "$LOGS" "$ETC"
  stop_masakari          # a bed left running must not act on what `up` does to the beds
  beds_up
  write_configs
  reset
  echo "$((SECONDS - t0))" > "$RUN/up-seconds"
  touch "$RUN/up"
  log "up in $((SECONDS - t0)) s: API $API_URL (region $REGION), computes ${HOSTS[*]} (reserved $RESERVED)"
}

down() {
  [ "$(id -u)" = 0 ] || die "must run as root"
  stop_masakari
  [ -d "$RUN" ] || { log "down (nothing was up)"; return 0; }
  libvirt_reset
  "$HERE/keystone.sh" status >/dev/null 2>&1 && field_py remove-endpoint
  if "$HERE/mariadb.sh" status >/dev/null 2>&1; then sql "DROP DATABASE IF EXISTS $DB_NAME"; fi
  if curl -sf -o /dev/null http://127.0.0.1:15774/; then field_py nova-park "${HOSTS[@]}"; field_py nova-restore; fi
  if [ -s "$RUN/started-beds" ]; then
    grep -qx libvirt "$RUN/started-beds" && "$HERE/libvirt-lab.sh" down
    grep -qx pacemaker "$RUN/started-beds" && "$HERE/pacemaker-lab.sh" down
    grep -qx nova "$RUN/started-beds" && "$HERE/nova-lab.sh" down
  fi
  rm -f "$RUN/started-beds" "$RUN/up" "$RUN/segment.json"
  log "down"
}

status() {
  local rc=0 name
  [ -e "$RUN/up" ] || { echo "field bed: down"; return 3; }
  echo "field bed: up (started in $(cat "$RUN/up-seconds" 2>/dev/null) s)"
  for name in api engine-1 engine-2 instancemonitor "${HOSTS[@]/#/hostmonitor-}"; do
    if pid_alive "$RUN/$name.pid"; then echo "  $name: running (pid $(cat "$RUN/$name.pid"))"
    else echo "  $name: stopped"; case $name in api|engine-1|hostmonitor-*|instancemonitor) rc=1 ;; esac; fi
  done
  "$HERE/nova-lab.sh" status || rc=1
  "$HERE/pacemaker-lab.sh" status >/dev/null && echo "pacemaker: up" || { echo "pacemaker: down"; rc=1; }
  "$HERE/libvirt-lab.sh" status >/dev/null && echo "libvirt: up" || { echo "libvirt: down"; rc=1; }
  return $rc
}

env_() {
  cat <<EOF
export MASAKARI_HA_FIELD=$FIELD
export MASAKARI_HA_FIELD_API_URL=$API_URL
export MASAKARI_HA_FIELD_REGION=$REGION
export MASAKARI_HA_FIELD_DB_URL='$(db_url)'
export MASAKARI_HA_FIELD_HOSTS="${HOSTS[*]}"
export MASAKARI_HA_FIELD_RESERVED=$RESERVED
export MASAKARI_HA_FIELD_INSTANCE_MONITOR_HOST=$INSTANCE_MONITOR_HOST
export MASAKARI_HA_FIELD_MAAS_URL=$MAAS_URL
export OS_AUTH_TYPE=password OS_AUTH_URL=$AUTH_URL OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=$REGION
export OS_USERNAME=admin OS_PASSWORD=adminpass OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_INTERFACE=public
EOF
}

case "${1:-}" in
  up|down|reset) take_locks "$@" ;;
esac
case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) env_ ;;
  reset) [ -e "$RUN/up" ] || die "bed is not up (tools/field-bed.sh up)"; reset ;;
  start-engine) [ -n "${2:-}" ] || usage "start-engine NAME"; write_configs; start_engine "$2" ;;
  stop-engine) [ -n "${2:-}" ] || usage "stop-engine NAME [--kill]"; stop_engine "$2" "${3:-}" ;;
  restart-monitors) stop_monitors; start_monitors ;;
  auto-recover-host)
    case "${2:-}" in on) v=True ;; off) v=False ;; *) usage "auto-recover-host on|off" ;; esac
    echo "$v" > "$RUN/auto-recover-host"; write_configs
    engines=$(for e in engine-1 engine-2; do pid_alive "$RUN/$e.pid" && echo $e; done)
    for e in $engines; do stop_group "$RUN/$e.pid" 20; done
    stop_group "$RUN/api.pid" 20; start_api
    for e in $engines; do start_engine "$e"; done
    log "[host_failure] auto_recover_host = $v (API and engines restarted)" ;;
  *) usage "up|down|status|env|reset|start-engine NAME|stop-engine NAME [--kill]|restart-monitors|auto-recover-host on|off" ;;
esac
