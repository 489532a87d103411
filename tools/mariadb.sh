#!/usr/bin/env bash
# A private MariaDB server for masakari_ha's integration tests and benchmarks.
#
#   tools/mariadb.sh up      install (apt mariadb-server) if needed, create the datadir once, start
#                            mariadbd, ensure user+database exist; prints the SQLAlchemy URL on stdout
#   tools/mariadb.sh down    stop the server (data is kept)
#   tools/mariadb.sh status  exit 0 and say "running" when it answers, else exit 1
#   tools/mariadb.sh url     print the SQLAlchemy URL
#   tools/mariadb.sh purge   down, then delete all state ($MASAKARI_HA_LAB/mariadb)
#
# Own datadir, socket, pid file and config under $MASAKARI_HA_LAB/mariadb; TCP on
# 127.0.0.1:${MASAKARI_HA_MARIADB_PORT:-13307}. The distro's /etc/mysql config is never read
# (--no-defaults style private defaults-file) and the distro's own server is never started.
# User masakari/masakaripass has all privileges (tests create scratch databases).
set -euo pipefail
COMPONENT=mariadb
. "$(dirname "$0")/lib.sh"

PORT=${MASAKARI_HA_MARIADB_PORT:-13307}
DIR=$LAB_ROOT/mariadb
DATA=$DIR/data
CNF=$DIR/my.cnf
SOCK=$DIR/mysqld.sock
PIDFILE=$DIR/mysqld.pid
USER_NAME=masakari
USER_PASS=masakaripass
DB_NAME=masakari_ha
URL="mysql+pymysql://$USER_NAME:$USER_PASS@127.0.0.1:$PORT/$DB_NAME?charset=utf8mb4"

write_cnf() {
  mkdir -p "$DIR"
  cat > "$CNF" <<EOF
[mysqld]
datadir=$DATA
socket=$SOCK
port=$PORT
bind-address=127.0.0.1
user=root
pid-file=$PIDFILE
log-error=$DIR/mysqld.err
skip-name-resolve
max_connections=500
innodb_buffer_pool_size=128M
innodb_log_file_size=48M
innodb_flush_log_at_trx_commit=2
sync_binlog=0
performance_schema=OFF
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
transaction-isolation=READ-COMMITTED
[client]
socket=$SOCK
EOF
}

sql_root() { mariadb --defaults-file="$CNF" --socket="$SOCK" -u root "$@"; }
running() { [ -S "$SOCK" ] && sql_root -e 'SELECT 1' >/dev/null 2>&1; }

up() {
  apt_install mariadb-server mariadb-client
  write_cnf
  if running; then
    log "already running on 127.0.0.1:$PORT"
  else
    require_free_port "$PORT" "mariadb"
    if [ ! -d "$DATA/mysql" ]; then
      rm -rf "$DATA"
      mariadb-install-db --defaults-file="$CNF" --user=root --auth-root-authentication-method=socket \
        --skip-test-db > "$DIR/install-db.log" 2>&1 || { tail -20 "$DIR/install-db.log" >&2; die "mariadb-install-db failed"; }
    fi
    rm -f "$SOCK"
    nohup /usr/sbin/mariadbd --defaults-file="$CNF" > "$DIR/mysqld.out" 2>&1 &
    waitfor running 60 || { tail -20 "$DIR/mysqld.err" >&2; die "mariadbd did not start (log: $DIR/mysqld.err)"; }
    log "started on 127.0.0.1:$PORT"
  fi
  sql_root <<EOF
CREATE USER IF NOT EXISTS '$USER_NAME'@'127.0.0.1' IDENTIFIED BY '$USER_PASS';
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'127.0.0.1';
CREATE DATABASE IF NOT EXISTS $DB_NAME CHARACTER SET utf8mb4;
FLUSH PRIVILEGES;
EOF
  echo "$URL"
}

down() {
  if running; then
    sql_root -e 'SHUTDOWN' >/dev/null 2>&1 || true
    waitfor "! pid_alive $PIDFILE" 30 || stop_pidfile "$PIDFILE" 10
  elif pid_alive "$PIDFILE"; then
    stop_pidfile "$PIDFILE" 30
  fi
  log "stopped"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) if [ -f "$CNF" ] && running; then echo "running on 127.0.0.1:$PORT"; else echo "stopped"; exit 1; fi ;;
  url) echo "$URL" ;;
  purge) down; rm -rf "$DIR"; log "removed $DIR" ;;
  *) usage "up|down|status|url|purge" ;;
esac
