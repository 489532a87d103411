#!/usr/bin/env bash
# Real Nova (Debian bookworm, 26.x "Zed") for masakari_ha's field scenarios: placement, nova-api,
# nova-conductor, nova-scheduler and N nova-compute processes with compute_driver=fake.FakeDriver,
# on the project's private MariaDB (tools/mariadb.sh), RabbitMQ (tools/rabbitmq.sh) and Keystone
# (tools/keystone.sh). Glance and Neutron are replaced by tools/glance_neutron_stub.py (one image,
# no networks) — the only non-real part.
#
#   tools/nova-lab.sh install            install the Debian packages only (apt; no-op when present)
#   tools/nova-lab.sh up [HOST...]       install (apt) if needed, start everything; computes are named
#                                        HOST... (default: $NOVA_LAB_HOSTS or "compute-1 compute-2 compute-3");
#                                        a compute an earlier run left forced down is un-forced
#   tools/nova-lab.sh down               stop every process `up` started (state is kept)
#   tools/nova-lab.sh status             exit 0 when nova-api answers and every compute is up
#   tools/nova-lab.sh start-compute HOST start (or restart) the nova-compute of HOST
#   tools/nova-lab.sh kill-compute HOST  kill -9 the nova-compute of HOST (a crashed compute node)
#   tools/nova-lab.sh env                print OS_* exports (admin) and the Nova endpoint
#   tools/nova-lab.sh purge              down, drop the Nova/placement databases and delete state
#
# Ports (127.0.0.1): nova-api 15774, placement 15778, glance stand-in 15292, neutron stand-in 15696.
# State under $MASAKARI_HA_LAB/nova. Behaviour of the real Nova that matters to masakari_ha
# (evacuate refused while the source is up, force-up refused until the source restarted, migration
# records done → completed) is exactly what this bed reproduces.
set -euo pipefail
COMPONENT=nova-lab
. "$(dirname "$0")/lib.sh"
TOOLS=$(cd "$(dirname "$0")" && pwd)

DIR=$LAB_ROOT/nova
ETC=$DIR/etc
RUN=$DIR/run
LOGS=$DIR/log
PY=/usr/bin/python3
NOVA_PORT=${MASAKARI_HA_NOVA_PORT:-15774}
PLACEMENT_PORT=${MASAKARI_HA_PLACEMENT_PORT:-15778}
GLANCE_PORT=${MASAKARI_HA_GLANCE_PORT:-15292}
NEUTRON_PORT=${MASAKARI_HA_NEUTRON_PORT:-15696}
NOVA_URL="http://127.0.0.1:$NOVA_PORT/v2.1"
PACKAGES=(placement-api nova-api nova-conductor nova-scheduler nova-common python3-nova python3-pymysql
          python3-novaclient uwsgi-core uwsgi-plugin-python3)
DATABASES=(nova_api nova nova_cell0 placement)

db_base() { "$TOOLS/mariadb.sh" url | sed -E 's#/[^/]*$##'; }          # mysql+pymysql://u:p@127.0.0.1:13307
sql() { "$PY" - "$(db_base)" "$1" <<'EOF'
import sys, pymysql
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1].replace("mysql+pymysql", "mysql"))
conn = pymysql.connect(host=u.hostname, port=u.port, user=u.username, password=u.password, autocommit=True)
for statement in sys.argv[2].split(";"):
    if statement.strip():
        conn.cursor().execute(statement)
EOF
}

hosts_from_args() { if [ $# -gt 0 ]; then echo "$*"; else echo "${NOVA_LAB_HOSTS:-compute-1 compute-2 compute-3}"; fi; }

write_configs() {
  local auth_url transport db
  auth_url=$("$TOOLS/keystone.sh" url)
  transport=$("$TOOLS/rabbitmq.sh" url)
  db=$(db_base)
  mkdir -p "$ETC/nova" "$ETC/placement" "$RUN" "$LOGS" "$DIR/state/lock"
  ks_section() {
    printf 'auth_url = %s\nauth_type = password\nproject_domain_name = Default\nuser_domain_name = Default\n' "$auth_url"
    printf 'project_name = service\nusername = %s\npassword = %spass\n' "$1" "$1"
  }
  cat > "$ETC/placement/placement.conf" <<EOF
[DEFAULT]
log_file = $LOGS/placement.log
[placement_database]
connection = $db/placement
[api]
auth_strategy = keystone
[keystone_authtoken]
www_authenticate_uri = $auth_url
$(ks_section placement)
EOF
  cp /etc/nova/api-paste.ini "$ETC/nova/api-paste.ini"
  cat > "$ETC/nova/nova.conf" <<EOF
[DEFAULT]
transport_url = $transport
state_path = $DIR/state
my_ip = 127.0.0.1
compute_driver = fake.FakeDriver
enabled_apis = osapi_compute
report_interval = 5
service_down_time = 20
heal_instance_info_cache_interval = -1
[api]
auth_strategy = keystone
[wsgi]
api_paste_config = $ETC/nova/api-paste.ini
[api_database]
connection = $db/nova_api
[database]
connection = $db/nova
[keystone_authtoken]
www_authenticate_uri = $auth_url
$(ks_section nova)
[placement]
region_name = RegionOne
$(ks_section placement)
[glance]
endpoint_override = http://127.0.0.1:$GLANCE_PORT
[neutron]
endpoint_override = http://127.0.0.1:$NEUTRON_PORT
region_name = RegionOne
$(ks_section nova)
[oslo_concurrency]
lock_path = $DIR/state/lock
[scheduler]
discover_hosts_in_cells_interval = 5
workers = 1
[conductor]
workers = 1
[vnc]
enabled = false
[oslo_messaging_notifications]
driver = noop
EOF
  # Computes get a config without database sections ("No DB access allowed in nova-compute").
  awk '/^\[/ { skip = ($0 == "[api_database]" || $0 == "[database]") } !skip' \
    "$ETC/nova/nova.conf" > "$ETC/nova/nova-compute-base.conf"
  printf '#!/usr/bin/python3\nimport sys\nfrom nova.cmd.compute import main\nsys.exit(main())\n' > "$DIR/nova-compute"
  chmod +x "$DIR/nova-compute"
}

# register_catalog: Nova's service users and endpoints in Keystone, once per Keystone database
# (they outlive the processes; checking them again costs ~25 slow Keystone requests per `up`).
register_catalog() {
  local key
  key="keystone db $(stat -c %Y "$LAB_ROOT/keystone/.db-ready" 2>/dev/null): $NOVA_URL $PLACEMENT_PORT $GLANCE_PORT"
  [ "$(cat "$DIR/.catalog" 2>/dev/null)" = "$key" ] && return 0
  "$PY" "$TOOLS/nova_lab_catalog.py" "$("$TOOLS/keystone.sh" url)" "$NOVA_URL" \
    "http://127.0.0.1:$PLACEMENT_PORT" "http://127.0.0.1:$GLANCE_PORT"
  echo "$key" > "$DIR/.catalog"
}

quiet_manage() {  # nova-manage/placement-manage print eventlet noise at exit on Python 3.11
  "$@" >> "$LOGS/manage.log" 2>&1 || { tail -20 "$LOGS/manage.log" >&2; die "$* failed (log: $LOGS/manage.log)"; }
}

setup_databases() {
  [ -f "$DIR/.db-ready" ] && return 0
  sql "$(printf 'CREATE DATABASE IF NOT EXISTS %s;' "${DATABASES[@]}")"
  quiet_manage placement-manage --config-file "$ETC/placement/placement.conf" db sync
  local nc=(--config-file "$ETC/nova/nova.conf")
  quiet_manage nova-manage "${nc[@]}" api_db sync
  quiet_manage nova-manage "${nc[@]}" cell_v2 map_cell0 --database_connection "$(db_base)/nova_cell0"
  nova-manage "${nc[@]}" cell_v2 list_cells 2>/dev/null | grep -q ' cell1 ' \
    || quiet_manage nova-manage "${nc[@]}" cell_v2 create_cell --name cell1
  quiet_manage nova-manage "${nc[@]}" db sync
  touch "$DIR/.db-ready"
}

start_uwsgi() {  # name port wsgi-file config-env-var config-dir processes
  local name=$1 port=$2 wsgi=$3 envvar=$4 confdir=$5 procs=$6
  pid_alive "$RUN/$name.pid" && return 0
  require_free_port "$port" "$name"
  env "$envvar=$confdir" setsid nohup uwsgi --plugin python3 --http-socket "127.0.0.1:$port" --wsgi-file "$wsgi" \
    --master --processes "$procs" --threads 1 --enable-threads --die-on-term --lazy-apps --buffer-size 65535 \
    --add-header "Connection: close" --pidfile "$RUN/$name.pid" --logto "$LOGS/$name-uwsgi.log" >/dev/null 2>&1 &
}

start_daemon() {  # name command...
  local name=$1; shift
  pid_alive "$RUN/$name.pid" && return 0
  setsid nohup "$@" > "$LOGS/$name.out" 2>&1 &
  echo $! > "$RUN/$name.pid"
}

start_compute() {
  local host=$1
  if pid_alive "$RUN/nova-compute-$host.pid"; then return 0; fi
  mkdir -p "$DIR/state/instances-$host"
  printf '[DEFAULT]\nhost = %s\ninstances_path = %s\n' "$host" "$DIR/state/instances-$host" > "$ETC/nova/compute-$host.conf"
  start_daemon "nova-compute-$host" "$DIR/nova-compute" --config-file "$ETC/nova/nova-compute-base.conf" \
    --config-file "$ETC/nova/compute-$host.conf" --log-file "$LOGS/nova-compute-$host.log"
}

openrc() {
  local auth_url; auth_url=$("$TOOLS/keystone.sh" url)
  export OS_AUTH_URL=$auth_url OS_USERNAME=admin OS_PASSWORD=adminpass OS_PROJECT_NAME=admin \
    OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne
}

# computes_up HOSTS [--unforce]: every named compute is "up" in os-services and os-hypervisors;
# says on stderr what it sees. With --unforce, first clears forced_down on named computes that a
# previous run left forced down (a killed scenario, a field bench): state Nova keeps in its
# database across `down`, and a forced-down service is never "up". Nova refuses while evacuation
# records of the host are still `done`; a freshly started compute settles them, so a refusal is
# only logged and the next round tries again.
computes_up() {
  "$PY" - "$@" <<'EOF'
import os, sys
from keystoneauth1 import session
from keystoneauth1.identity import v3
from novaclient import client, exceptions
auth = v3.Password(auth_url=os.environ["OS_AUTH_URL"], username="admin", password="adminpass",
                   project_name="admin", user_domain_id="default", project_domain_id="default")
want = set(sys.argv[1].split())
try:
    nova = client.Client("2.53", session=session.Session(auth=auth, timeout=20))
    computes = nova.services.list(binary="nova-compute")
    for svc in computes:
        if "--unforce" in sys.argv[2:] and svc.host in want and svc.forced_down:
            try:
                nova.services.force_down(svc.id, False)
                print(f"{svc.host}: was left forced down; un-forced", file=sys.stderr)
            except exceptions.BadRequest as exc:
                print(f"{svc.host}: force-up refused for now: {exc}", file=sys.stderr)
    services = {s.host: f"{s.status}/{s.state}" + ("/forced_down" if s.forced_down else "") for s in computes}
    hypervisors = {h.hypervisor_hostname: h.state for h in nova.hypervisors.list()}
except Exception as exc:  # the diagnosis wants the reason in one line, not a traceback
    sys.exit(f"nova API: {type(exc).__name__}: {str(exc)[:300]}")
up = {h for h, s in services.items() if s.endswith("/up")} & {h for h, s in hypervisors.items() if s == "up"}
print(f"nova-compute services {services or 'none'}; hypervisors {hypervisors or 'none'}", file=sys.stderr)
sys.exit(0 if want <= up else 1)
EOF
}

# dead_daemons HOSTS: those of the daemons `up` started for HOSTS that are no longer running.
dead_daemons() {
  local name h dead=()
  for name in placement stub nova-api nova-conductor nova-scheduler; do pid_alive "$RUN/$name.pid" || dead+=("$name"); done
  for h in $1; do pid_alive "$RUN/nova-compute-$h.pid" || dead+=("nova-compute-$h"); done
  echo "${dead[*]}"
}

# computes_settled HOSTS: true when the computes are up (then $DIR/settled exists: asking Nova a
# second time could disagree, as a compute killed a moment ago is "up" until its last heartbeat is
# service_down_time old) or when one of the daemons died (no point waiting). Un-forces leftovers
# (reported on fd 3). Nova accepts that only once the host's evacuation records are settled, which
# a nova-compute does when it starts: one running all along (a partitioned host) is restarted when
# Nova still refuses 30 s after it started.
computes_settled() {
  local h
  rm -f "$DIR/settled"
  if computes_up "$1" --unforce 2> "$DIR/settle.err"; then touch "$DIR/settled"; fi
  { grep -h 'un-forced' "$DIR/settle.err" || true; } | sed 's/^/nova-lab: /' >&3
  for h in $(sed -n 's/^\([^:]*\): force-up refused.*/\1/p' "$DIR/settle.err"); do
    [ -e "$RUN/nova-compute-$h.pid" ] || continue
    if [ $(($(date +%s) - $(stat -c %Y "$RUN/nova-compute-$h.pid"))) -gt 30 ]; then
      log "$h: force-up refused while its evacuations are unsettled; restarting its nova-compute" 2>&3
      kill -KILL "$(cat "$RUN/nova-compute-$h.pid")" 2>/dev/null
      rm -f "$RUN/nova-compute-$h.pid"
      start_compute "$h" 3>&-
    fi
  done
  [ -e "$DIR/settled" ] || [ -n "$(dead_daemons "$1")" ]
}

# diagnose HOSTS: why the computes are not up, short enough for the tail of a CI log: what Nova's
# API reports, the daemons no longer running, and the last error lines of each log.
diagnose() {
  local f dead
  log "diagnosis: wanted computes up: $1"
  { computes_up "$1" 2>&1 || true; } | tail -n 3 | cut -c1-400 | sed 's/^/  /' >&2
  dead=$(dead_daemons "$1")
  [ -z "$dead" ] || log "  not running: $dead"
  for f in "$LOGS"/*.log "$LOGS"/*.out; do
    [ -s "$f" ] || continue
    # .log files are appended to across runs: only lines stamped since this `up` started.
    awk -v since="${UP_STARTED:-}" '!/^[0-9]{4}-/ || substr($0, 1, 19) >= since' "$f" |
      { grep -a -E ' (ERROR|CRITICAL) |^Traceback|Error: ' || true; } | tail -n 2 | cut -c1-300 |
      sed "s|^|  $(basename "$f"): |" >&2
  done
}

up() {
  local hosts; hosts=$(hosts_from_args "$@")
  UP_STARTED=$(date '+%Y-%m-%d %H:%M:%S')
  apt_install "${PACKAGES[@]}"
  # independent servers: checked (or started) side by side
  run_all "'$TOOLS/mariadb.sh' up >/dev/null" "'$TOOLS/rabbitmq.sh' up >/dev/null" "'$TOOLS/keystone.sh' up >/dev/null" ||
    die "a server Nova needs did not start"
  write_configs
  register_catalog
  setup_databases
  start_uwsgi placement "$PLACEMENT_PORT" /usr/bin/placement-api OS_PLACEMENT_CONFIG_DIR "$ETC/placement" 1
  start_daemon stub "$PY" "$TOOLS/glance_neutron_stub.py" "$GLANCE_PORT" "$NEUTRON_PORT"
  waitfor "curl -sf http://127.0.0.1:$PLACEMENT_PORT/" 60 || die "placement did not start ($LOGS/placement-uwsgi.log)"
  start_uwsgi nova-api "$NOVA_PORT" /usr/bin/nova-api-wsgi OS_NOVA_CONFIG_DIR "$ETC/nova" 2
  start_daemon nova-conductor nova-conductor --config-file "$ETC/nova/nova.conf" --log-file "$LOGS/nova-conductor.log"
  start_daemon nova-scheduler nova-scheduler --config-file "$ETC/nova/nova.conf" --log-file "$LOGS/nova-scheduler.log"
  for h in $hosts; do start_compute "$h"; done
  echo "$hosts" > "$DIR/hosts"
  openrc
  waitfor "[ -s '$RUN/nova-api.pid' ] && [ -s '$RUN/placement.pid' ]" 30
  exec 3>&2                 # computes_settled's notes reach our stderr through waitfor's redirections
  waitfor "computes_settled '$hosts'" 300
  exec 3>&-
  [ -e "$DIR/settled" ] || { diagnose "$hosts"; die "computes [$hosts] did not come up (logs: $LOGS)"; }
  ensure_flavor
  log "nova ready at $NOVA_URL with computes: $hosts"
  echo "$NOVA_URL"
}

ensure_flavor() {
  "$PY" - <<'EOF'
import os
from keystoneauth1 import session
from keystoneauth1.identity import v3
from novaclient import client
auth = v3.Password(auth_url=os.environ["OS_AUTH_URL"], username="admin", password="adminpass",
                   project_name="admin", user_domain_id="default", project_domain_id="default")
nova = client.Client("2.53", session=session.Session(auth=auth))
if not [f for f in nova.flavors.list() if f.name == "m1.tiny"]:
    nova.flavors.create("m1.tiny", ram=64, vcpus=1, disk=0)
EOF
}

down() {
  local f
  for f in "$RUN"/nova-compute-*.pid; do [ -e "$f" ] && stop_pidfile "$f" 15; done
  for f in nova-scheduler nova-conductor nova-api placement stub; do stop_pidfile "$RUN/$f.pid" 15; done
  return 0
}

purge() {
  down
  if "$TOOLS/mariadb.sh" status >/dev/null 2>&1; then
    sql "$(printf 'DROP DATABASE IF EXISTS %s;' "${DATABASES[@]}")"
  fi
  rm -rf "$DIR"
}

status() {
  [ -f "$DIR/hosts" ] || { echo stopped; return 1; }
  openrc
  if curl -sf -o /dev/null "http://127.0.0.1:$NOVA_PORT/" && computes_up "$(cat "$DIR/hosts")"; then
    echo "running: $NOVA_URL computes: $(cat "$DIR/hosts")"
  else
    echo stopped; return 1
  fi
}

case "${1:-}" in
  install) apt_install "${PACKAGES[@]}" ;;
  up) shift; up "$@" ;;
  down) down ;;
  status) status ;;
  start-compute) [ $# -eq 2 ] || usage "start-compute HOST"; write_configs; start_compute "$2" ;;
  kill-compute) [ $# -eq 2 ] || usage "kill-compute HOST"
                [ -s "$RUN/nova-compute-$2.pid" ] && kill -KILL "$(cat "$RUN/nova-compute-$2.pid")" 2>/dev/null
                rm -f "$RUN/nova-compute-$2.pid" ;;
  env) openrc; env | grep '^OS_' | sed 's/^/export /'; echo "export NOVA_URL=$NOVA_URL" ;;
  purge) purge ;;
  *) usage "install|up [HOST...]|down|status|start-compute HOST|kill-compute HOST|env|purge" ;;
esac
