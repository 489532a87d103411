#!/usr/bin/env bash
# A private Keystone (Debian `keystone` package, Identity v3, fernet tokens) for masakari_ha's
# integration tests: keystonemiddleware validates real tokens and the `openstack` CLI finds the
# `instance-ha` endpoint in a real catalog.
#
#   tools/keystone.sh up [API_URL]   install (apt keystone uwsgi-core uwsgi-plugin-python3) if needed,
#                                    create the SQLite database, keys, bootstrap admin and the persona
#                                    users once, start uwsgi; point service type instance-ha's
#                                    endpoints at API_URL (without API_URL: create them, if missing,
#                                    at $MASAKARI_HA_API_URL or http://127.0.0.1:15868/v1, and leave
#                                    existing ones alone); prints the auth URL on stdout
#   tools/keystone.sh endpoint URL   re-point the instance-ha endpoints at URL (fast: one small script)
#   tools/keystone.sh down           stop uwsgi (state is kept)
#   tools/keystone.sh status         exit 0 and say "running" when /v3 answers, else exit 1
#   tools/keystone.sh url            print the auth URL (http://127.0.0.1:15001/v3)
#   tools/keystone.sh env [persona]  print OS_* exports for admin (default) / member / reader / service / masakari
#   tools/keystone.sh purge          down, then delete all state ($MASAKARI_HA_LAB/keystone)
#
# SQLite database, config (OS_KEYSTONE_CONFIG_DIR), fernet/credential keys and logs live under
# $MASAKARI_HA_LAB/keystone; uwsgi listens on 127.0.0.1:${MASAKARI_HA_KEYSTONE_PORT:-15001} and adds
# "Connection: close" (uwsgi's --http-socket does not do keep-alive; keystoneauth clients reuse
# connections and would otherwise see ECONNRESET). Users: see tools/keystone_catalog.py.
set -euo pipefail
COMPONENT=keystone
. "$(dirname "$0")/lib.sh"
TOOLS=$(cd "$(dirname "$0")" && pwd)

PORT=${MASAKARI_HA_KEYSTONE_PORT:-15001}
DIR=$LAB_ROOT/keystone
ETC=$DIR/etc
PIDFILE=$DIR/uwsgi.pid
AUTH_URL="http://127.0.0.1:$PORT/v3"
PY=/usr/bin/python3   # the distro interpreter: keystone and its keystoneauth1 live there
DEFAULT_API_URL=${MASAKARI_HA_API_URL:-http://127.0.0.1:15868/v1}

running() { pid_alive "$PIDFILE" && curl -sf -o /dev/null "$AUTH_URL"; }

# keystone-manage prints "Exception ignored ... getcurrent" noise at exit (eventlet + 3.11)
kmanage() {
  keystone-manage --config-file "$ETC/keystone.conf" "$@" >> "$DIR/manage.log" 2>&1 \
    || { tail -20 "$DIR/manage.log" >&2; die "keystone-manage $1 failed (log: $DIR/manage.log)"; }
}

setup_once() {
  mkdir -p "$ETC" "$DIR/fernet-keys" "$DIR/credential-keys" "$DIR/log"
  cat > "$ETC/keystone.conf" <<EOF
[DEFAULT]
log_file = $DIR/log/keystone.log
[database]
connection = sqlite:///$DIR/keystone.sqlite
[token]
provider = fernet
expiration = 86400
[fernet_tokens]
key_repository = $DIR/fernet-keys
[credential]
key_repository = $DIR/credential-keys
[cache]
enabled = false
EOF
  if [ ! -f "$DIR/.db-ready" ]; then
    rm -f "$DIR/keystone.sqlite" "$DIR/.personas-v2"
    : > "$DIR/manage.log"
    kmanage db_sync
    # WAL: keystone opens a second connection inside some write requests (role/project create);
    # with SQLite's rollback journal the first one's read lock makes the commit fail "database is locked".
    "$PY" -c "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA journal_mode=WAL')" "$DIR/keystone.sqlite"
    kmanage fernet_setup --keystone-user root --keystone-group root
    kmanage credential_setup --keystone-user root --keystone-group root
    kmanage bootstrap --bootstrap-password adminpass --bootstrap-project-name admin \
      --bootstrap-role-name admin --bootstrap-region-id RegionOne \
      --bootstrap-admin-url "$AUTH_URL/" --bootstrap-internal-url "$AUTH_URL/" --bootstrap-public-url "$AUTH_URL/"
    touch "$DIR/.db-ready"
  fi
}

start_uwsgi() {
  require_free_port "$PORT" "keystone"
  OS_KEYSTONE_CONFIG_DIR=$ETC nohup uwsgi --plugin python3 --http-socket "127.0.0.1:$PORT" \
    --wsgi-file /usr/bin/keystone-wsgi-public --master --processes 2 --threads 2 --die-on-term \
    --lazy-apps --add-header "Connection: close" --buffer-size 65535 --pidfile "$PIDFILE" \
    --logto "$DIR/log/uwsgi.log" > /dev/null 2>&1 &
  waitfor running 60 || { tail -20 "$DIR/log/uwsgi.log" >&2; die "keystone did not answer on $AUTH_URL"; }
}

up() {
  # an explicit URL re-points the endpoints; without one, existing endpoints are kept (another
  # test session may have pointed them at its API) and only missing ones get the default
  local api_url=${1:-$DEFAULT_API_URL} mode=ensure-endpoint
  [ -n "${1:-}" ] && mode=endpoint
  apt_install keystone uwsgi-core uwsgi-plugin-python3 curl
  if running; then
    log "already running at $AUTH_URL"
  else
    setup_once
    start_uwsgi
    log "started at $AUTH_URL"
  fi
  if [ ! -f "$DIR/.personas-v2" ]; then
    "$PY" "$TOOLS/keystone_catalog.py" "$AUTH_URL" personas || die "creating persona users failed"
    touch "$DIR/.personas-v2"
  fi
  "$PY" "$TOOLS/keystone_catalog.py" "$AUTH_URL" "$mode" "$api_url" || die "registering instance-ha endpoint failed"
  [ "$mode" = endpoint ] && log "instance-ha endpoint -> $api_url"
  echo "$AUTH_URL"
}

env_for() {
  local who=${1:-admin} project
  case "$who" in
    admin) project=admin ;; member|reader) project=demo ;; service|masakari) project=service ;;
    *) die "unknown persona $who (admin|member|reader|service|masakari)" ;;
  esac
  cat <<EOF
export OS_AUTH_TYPE=password OS_AUTH_URL=$AUTH_URL OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne
export OS_USERNAME=$who OS_PASSWORD=${who}pass OS_PROJECT_NAME=$project
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_INTERFACE=public
EOF
}

down() {
  stop_pidfile "$PIDFILE" 20
  log "stopped"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  endpoint) [ -n "${2:-}" ] || usage "endpoint URL"
            running || die "keystone is not running (tools/keystone.sh up first)"
            "$PY" "$TOOLS/keystone_catalog.py" "$AUTH_URL" endpoint "$2" ;;
  down) down ;;
  status) if running; then echo "running at $AUTH_URL"; else echo "stopped"; exit 1; fi ;;
  url) echo "$AUTH_URL" ;;
  env) env_for "${2:-admin}" ;;
  purge) down; rm -rf "$DIR"; log "removed $DIR" ;;
  *) usage "up [API_URL]|endpoint URL|down|status|url|env [persona]|purge" ;;
esac
