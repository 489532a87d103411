#!/usr/bin/env bash
# A private RabbitMQ broker for masakari_ha's integration tests (API cast, engine consumer).
#
#   tools/rabbitmq.sh up      install (apt rabbitmq-server) if needed, start a private node + epmd,
#                             ensure vhost+user exist; prints the oslo.messaging transport_url
#   tools/rabbitmq.sh down    stop the node and its epmd (data is kept)
#   tools/rabbitmq.sh status  exit 0 and say "running" when the node answers, else exit 1
#   tools/rabbitmq.sh url     print the transport_url
#   tools/rabbitmq.sh purge   down, then delete all state ($MASAKARI_HA_LAB/rabbitmq)
#
# Everything private (so it coexists with other brokers/epmds on the machine): node name
# masakarirmq@localhost, HOME (Erlang cookie), mnesia, logs, config and env files under
# $MASAKARI_HA_LAB/rabbitmq; AMQP on 127.0.0.1:15673, Erlang distribution 15674, epmd
# 127.0.0.1:14370 (all below 32768, see real-stack.md). The distro's /etc/rabbitmq is not read.
# Vhost "masakari", user masakari/masakaripass with full permissions on it.
set -euo pipefail
COMPONENT=rabbitmq
. "$(dirname "$0")/lib.sh"

AMQP_PORT=${MASAKARI_HA_RABBIT_PORT:-15673}
DIST_PORT=${MASAKARI_HA_RABBIT_DIST_PORT:-15674}
EPMD_PORT=${MASAKARI_HA_RABBIT_EPMD_PORT:-14370}
DIR=$LAB_ROOT/rabbitmq
NODE=masakarirmq@localhost
USER_NAME=masakari
USER_PASS=masakaripass
VHOST=masakari
URL="rabbit://$USER_NAME:$USER_PASS@127.0.0.1:$AMQP_PORT/$VHOST"
RMQ=/usr/lib/rabbitmq/bin

rmq_env() {
  export HOME=$DIR/home RABBITMQ_NODENAME=$NODE RABBITMQ_DIST_PORT=$DIST_PORT \
    ERL_EPMD_PORT=$EPMD_PORT ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_MNESIA_BASE=$DIR/mnesia \
    RABBITMQ_LOG_BASE=$DIR/log RABBITMQ_ENABLED_PLUGINS_FILE=$DIR/enabled_plugins \
    RABBITMQ_PID_FILE=$DIR/rabbit.pid RABBITMQ_CONFIG_FILE=$DIR/rabbitmq \
    RABBITMQ_ADVANCED_CONFIG_FILE=$DIR/advanced.config RABBITMQ_CONF_ENV_FILE=$DIR/rabbitmq-env.conf \
    ERL_CRASH_DUMP=$DIR/log/erl_crash.dump
}

ctl() { ( rmq_env; "$RMQ/rabbitmqctl" -q "$@" ); }
running() { [ -s "$DIR/rabbit.pid" ] && ctl status >/dev/null 2>&1 && port_open "$AMQP_PORT"; }

up() {
  apt_install rabbitmq-server
  mkdir -p "$DIR/home" "$DIR/mnesia" "$DIR/log"
  if running; then
    log "already running (AMQP 127.0.0.1:$AMQP_PORT)"
  else
    require_free_port "$AMQP_PORT" "rabbitmq AMQP"
    require_free_port "$DIST_PORT" "rabbitmq distribution"
    : > "$DIR/enabled_plugins"
    : > "$DIR/rabbitmq-env.conf"
    printf '[].\n' > "$DIR/advanced.config"
    cat > "$DIR/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
disk_free_limit.absolute = 50MB
loopback_users = none
log.file.level = warning
EOF
    # Both run in the state directory: the node spawns shell commands (os:cmd) for as long as
    # it lives, which fails with enoent once its working directory is gone (e.g. the checkout
    # that started it was deleted and cloned again).
    if ! pid_alive "$DIR/epmd.pid"; then
      (cd "$DIR" || exit 1; nohup epmd -port "$EPMD_PORT" -address 127.0.0.1 > "$DIR/log/epmd.out" 2>&1 & echo $! > "$DIR/epmd.pid")
    fi
    ( rmq_env; cd "$DIR" || exit 1; nohup "$RMQ/rabbitmq-server" > "$DIR/log/server.out" 2>&1 & echo $! > "$DIR/server.pid" )
    waitfor "[ -s '$DIR/rabbit.pid' ]" 60 || { tail -20 "$DIR/log/server.out" >&2; die "rabbitmq-server did not write its pid file"; }
    ctl wait --timeout 90 "$DIR/rabbit.pid" >/dev/null 2>&1 \
      || { tail -20 "$DIR/log/server.out" >&2; die "rabbitmq node did not start (logs: $DIR/log)"; }
    waitfor "port_open $AMQP_PORT" 30 || die "AMQP listener 127.0.0.1:$AMQP_PORT not open"
    log "started (AMQP 127.0.0.1:$AMQP_PORT, dist $DIST_PORT, epmd $EPMD_PORT)"
  fi
  ctl list_vhosts 2>/dev/null | grep -qx "$VHOST" || ctl add_vhost "$VHOST" >/dev/null
  ctl list_users 2>/dev/null | awk '{print $1}' | grep -qx "$USER_NAME" || ctl add_user "$USER_NAME" "$USER_PASS" >/dev/null
  ctl set_permissions -p "$VHOST" "$USER_NAME" '.*' '.*' '.*' >/dev/null
  echo "$URL"
}

down() {
  if [ -s "$DIR/rabbit.pid" ] && ctl status >/dev/null 2>&1; then
    ctl stop "$DIR/rabbit.pid" >/dev/null 2>&1 || true
  fi
  stop_pidfile "$DIR/rabbit.pid" 20
  stop_pidfile "$DIR/server.pid" 10
  stop_pidfile "$DIR/epmd.pid" 5
  log "stopped"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) if running; then echo "running (AMQP 127.0.0.1:$AMQP_PORT)"; else echo "stopped"; exit 1; fi ;;
  url) echo "$URL" ;;
  purge) down; rm -rf "$DIR"; log "removed $DIR" ;;
  *) usage "up|down|status|url|purge" ;;
esac
