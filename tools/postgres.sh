#!/usr/bin/env bash
# A private PostgreSQL server for masakari_ha's integration tests and benchmarks.
#
#   tools/postgres.sh up      install (apt postgresql) if needed, create the cluster once, start it,
#                             ensure role+database exist; prints the SQLAlchemy URL on stdout
#   tools/postgres.sh down    stop the server (data is kept)
#   tools/postgres.sh status  exit 0 and say "running" when it answers, else exit 1
#   tools/postgres.sh url     print the SQLAlchemy URL
#   tools/postgres.sh purge   down, then delete all state ($MASAKARI_HA_LAB/postgres)
#
# Listens on 127.0.0.1:${MASAKARI_HA_PG_PORT:-15433} only (no Unix socket), password auth
# (scram-sha-256). Role masakari/masakaripass owns database masakari_ha and may CREATE DATABASE
# (tests create scratch databases). initdb refuses to run as root, so as root the cluster is run
# by the distro's `postgres` user.
set -euo pipefail
COMPONENT=postgres
. "$(dirname "$0")/lib.sh"

PORT=${MASAKARI_HA_PG_PORT:-15433}
DIR=$LAB_ROOT/postgres
DATA=$DIR/data
USER_NAME=masakari
USER_PASS=masakaripass
DB_NAME=masakari_ha
SUPER_PASS=postgrespass
URL="postgresql+psycopg2://$USER_NAME:$USER_PASS@127.0.0.1:$PORT/$DB_NAME"

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] || return 1
  echo "$d"
}

# as_pg CMD...: run CMD as the cluster owner (postgres when we are root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_super() {
  PGPASSWORD=$SUPER_PASS "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"
}

running() { [ -n "${BIN:-}" ] && "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; }

init_cluster() {
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$DIR"
    # the postgres user must be able to reach $DIR (e.g. not under a root-only 0700 tmp dir)
    runuser -u postgres -- test -w "$DIR" || die "user postgres cannot write $DIR; set MASAKARI_HA_LAB to a world-traversable directory"
  fi
  local pwfile=$DIR/.pw
  printf '%s\n' "$SUPER_PASS" > "$pwfile"
  [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
  as_pg "$BIN/initdb" -D "$DATA" -U postgres --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 > "$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
  rm -f "$pwfile"
  cat >> "$DATA/postgresql.conf" <<EOF
# --- masakari_ha test server (tools/postgres.sh)
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = ''
max_connections = 400
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
log_min_messages = warning
EOF
}

up() {
  apt_install postgresql
  BIN=$(pg_bin) || die "postgresql binaries not found under /usr/lib/postgresql"
  if running; then
    log "already running on 127.0.0.1:$PORT"
  else
    [ -f "$DATA/PG_VERSION" ] || init_cluster
    require_free_port "$PORT" "postgres"
    rm -f "$DATA/postmaster.pid.stale"
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 start > "$DIR/pg_ctl.log" 2>&1 \
      || { tail -20 "$DIR/server.log" >&2; die "pg_ctl start failed (log: $DIR/server.log)"; }
    waitfor running 30 || die "server did not answer on 127.0.0.1:$PORT"
    log "started on 127.0.0.1:$PORT"
  fi
  psql_super <<EOF
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$USER_NAME') THEN
    CREATE ROLE $USER_NAME LOGIN CREATEDB PASSWORD '$USER_PASS';
  END IF;
END \$\$;
EOF
  if [ -z "$(psql_super -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
    psql_super -c "CREATE DATABASE $DB_NAME OWNER $USER_NAME"
  fi
  echo "$URL"
}

down() {
  BIN=$(pg_bin) || { log "postgresql not installed; nothing to stop"; return 0; }
  if [ -f "$DATA/postmaster.pid" ]; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop > /dev/null 2>&1 || log "pg_ctl stop reported an error"
  fi
  log "stopped"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) BIN=$(pg_bin) || { echo "not installed"; exit 1; }
          if running; then echo "running on 127.0.0.1:$PORT"; else echo "stopped"; exit 1; fi ;;
  url) echo "$URL" ;;
  purge) down; rm -rf "$DIR"; log "removed $DIR" ;;
  *) usage "up|down|status|url|purge" ;;
esac
