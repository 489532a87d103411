#!/usr/bin/env bash
# Real pacemaker test bed: a one-node corosync ring on loopback (cluster node "ctl1") and N
# pacemaker-remote nodes remote1..N, each pacemaker-remoted in its own network namespace pcmk-rI
# (10.241.0.1I/24 on the bridge pcmkbr0; libqb's abstract IPC sockets are per namespace, which is
# what lets N remoted daemons share one machine).  STONITH is a real fence agent run by
# pacemaker-fenced: stonith:fence_maas (the project's agent) against the lab's own MAAS emulator on
# 127.0.0.1:15241, or stonith:external/maas (cluster-glue plugin), or the logging-only
# fence_labdummy when the project's agent is not installed.  Recipe: shared/design/real-stack.md § B;
# what it changes on the machine and how `down` undoes it: tools/README.pacemaker.md.
#
# usage: tools/pacemaker-lab.sh install | up [N] | down | status | env | kill-remote I | start-remote I
#                               | partition I | heal I | quorum lose|regain
#                               | fence-agent fence_maas|external/maas|labdummy | maas-reset
set -u
COMPONENT=pacemaker-lab
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
# shellcheck source=tools/lib.sh
. "$HERE/lib.sh"

# Don't pass a caller's open lock files (the e2e sessions' $LAB_ROOT/*.e2e.lock) on to the
# daemons started here: they would hold those locks for as long as they run.
for _fd in /proc/$$/fd/*; do
  _n=${_fd##*/}
  [ "$_n" -gt 2 ] 2>/dev/null && case $(readlink "$_fd") in *.e2e.lock) eval "exec $_n>&-" ;; esac
done
unset _fd _n

LAB=$LAB_ROOT/pacemaker
RUN=$LAB/run
LOG=$LAB/log
PY=${MASAKARI_HA_PYTHON:-$REPO/.venv/bin/python}
SUBNET=10.241.0
BRIDGE=pcmkbr0
MAAS_PORT=${MASAKARI_HA_LAB_MAAS_PORT:-15241}
MAAS_URL=http://127.0.0.1:$MAAS_PORT/MAAS/
MAAS_KEY_FILE=$LAB/maas.key
REMOTED=$LAB/remote/usr/sbin/pacemaker-remoted
CIB_DIR=/var/lib/pacemaker/cib
MARK="# installed by masakari_ha tools/pacemaker-lab.sh"
PACKAGES=(pacemaker pacemaker-cli-utils corosync crmsh resource-agents cluster-glue)

nodes() { cat "$RUN/n" 2>/dev/null || echo 3; }
host_list() { local i s=; for i in $(seq 1 "$(nodes)"); do s="$s remote$i"; done; echo "${s# }"; }
crm_xml() { crm_mon -1 --output-as=xml 2>/dev/null; }

# --- installation --------------------------------------------------------------------------
install_packages() {
  apt_install "${PACKAGES[@]}"
  if [ ! -x "$REMOTED" ]; then
    # pacemaker-remote conflicts with pacemaker in Debian: only its daemon binary is needed, and
    # every library it links is already installed by pacemaker.
    log "unpacking pacemaker-remote's daemon into $LAB/remote"
    mkdir -p "$LAB/deb"
    (cd "$LAB/deb" && rm -f pacemaker-remote_*.deb &&
      { apt-get download pacemaker-remote >&2 ||
        { apt-get -o DPkg::Lock::Timeout=600 update >&2 && apt-get download pacemaker-remote >&2; }; } &&
      dpkg-deb -x pacemaker-remote_*.deb "$LAB/remote") || die "cannot fetch pacemaker-remote"
  fi
}

# The fence agents where pacemaker looks for them: fence_labdummy (ours, tagged with $MARK so
# `down` removes only that file) and the project's stonith:fence_maas + stonith:external/maas
# wrappers, installed with the project's own tools/install-fence-maas.sh; `down` uninstalls
# them again only if they were not installed before `up` (remembered in $RUN/fence-maas-ours).
install_agents() {
  install -m 0755 "$HERE/fence_labdummy.py" /usr/sbin/fence_labdummy
  sed -i "2i $MARK" /usr/sbin/fence_labdummy
  have_fence_maas || return 0
  local st
  st=$("$HERE/install-fence-maas.sh" status 2>/dev/null) || touch "$RUN/fence-maas-ours"
  # Already installed for this interpreter: skip the (slow, Python-starting) reinstall.
  [ "$(grep -c "installed ($PY)" <<<"$st")" -ge 2 ] && return 0
  "$HERE/install-fence-maas.sh" install "$PY" >/dev/null 2>&1 || die "tools/install-fence-maas.sh install failed"
}

HAVE_FENCE_MAAS=
have_fence_maas() {
  if [ -z "$HAVE_FENCE_MAAS" ]; then
    HAVE_FENCE_MAAS=no
    [ -x "$HERE/install-fence-maas.sh" ] && [ -x "$PY" ] &&
      "$PY" -c 'import masakari_ha.fencing.agent, masakari_ha.fencing.external_maas, masakari_ha.simulator.maas' 2>/dev/null &&
      HAVE_FENCE_MAAS=yes
  fi
  [ "$HAVE_FENCE_MAAS" = yes ]
}

# --- MAAS emulator (the lab's own instance, port 15241) -----------------------------------
maas_up() {
  pid_alive "$RUN/maas.pid" && port_open "$MAAS_PORT" && return 0
  stop_pidfile "$RUN/maas.pid"
  require_free_port "$MAAS_PORT" "the pacemaker lab's MAAS emulator"
  if [ ! -s "$MAAS_KEY_FILE" ]; then
    (umask 077; printf '%s:%s:%s\n' "$(head -c8 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
      "$(head -c8 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
      "$(head -c16 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$MAAS_KEY_FILE")
  fi
  local machines
  machines=$(host_list | tr ' ' ',')
  nohup "$PY" -m masakari_ha.simulator.maas \
    --host 127.0.0.1 --port "$MAAS_PORT" --machines "$machines" --api-key-file "$MAAS_KEY_FILE" \
    --off-delay 0.5 --on-delay 0.5 --query-latency 0.05 --actions-log "$LOG/maas-actions.log" \
    > "$LOG/maas.log" 2>&1 &
  echo $! > "$RUN/maas.pid"
  waitfor "port_open $MAAS_PORT" 20 || { tail -20 "$LOG/maas.log" >&2; die "MAAS emulator did not start"; }
}

maas_down() { stop_pidfile "$RUN/maas.pid" 10; }

# --- CIB ------------------------------------------------------------------------------------
nv() { printf '<nvpair id="%s-%s" name="%s" value="%s"/>' "$1" "$2" "$2" "$3"; }

stonith_xml() {
  local agent=$1 id=st-lab hl
  hl=$(host_list)
  case $agent in
    fence_maas)
      printf '<primitive id="%s" class="stonith" type="fence_maas"><instance_attributes id="%s-ia">' $id $id
      nv $id pcmk_host_list "$hl"; nv $id pcmk_host_check static-list
      nv $id url "$MAAS_URL"; nv $id api_key_file "$MAAS_KEY_FILE"
      printf '</instance_attributes>' ;;
    external/maas)
      printf '<primitive id="%s" class="stonith" type="external/maas"><instance_attributes id="%s-ia">' $id $id
      nv $id hostnames "$hl"; nv $id pcmk_host_list "$hl"; nv $id pcmk_host_check static-list
      nv $id url "$MAAS_URL"; nv $id apikey "$(cat "$MAAS_KEY_FILE")"
      printf '</instance_attributes>' ;;
    labdummy)
      printf '<primitive id="%s" class="stonith" type="fence_labdummy"><instance_attributes id="%s-ia">' $id $id
      nv $id pcmk_host_list "$hl"; nv $id pcmk_host_check static-list
      nv $id logfile "$LOG/fence_calls.log"
      printf '</instance_attributes>' ;;
    *) die "unknown fence agent '$agent' (fence_maas, external/maas or labdummy)" ;;
  esac
  printf '<operations><op id="%s-monitor" name="monitor" interval="60s"/></operations></primitive>' $id
}

remote_xml() {
  local i=$1 id=remote$1
  printf '<primitive id="%s" class="ocf" provider="pacemaker" type="remote"><instance_attributes id="%s-ia">' $id $id
  nv $id server "$SUBNET.$((10 + i))"; nv $id reconnect_interval 15s
  printf '</instance_attributes><operations><op id="%s-monitor" name="monitor" interval="5s" timeout="15s"/>' $id
  printf '</operations></primitive>'
}

# A complete CIB written before pacemaker starts: the DC is elected after dc-deadtime=2s (instead
# of the default 20 s) and the remote connections and the STONITH device start right away.
seed_cib() {
  local agent=$1 n=$2 i
  {
    printf '<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">'
    printf '<configuration><crm_config><cluster_property_set id="cib-bootstrap-options">'
    nv opt dc-deadtime 2s; nv opt stonith-enabled true; nv opt stonith-timeout 30s
    nv opt cluster-recheck-interval 30s; nv opt no-quorum-policy ignore
    printf '</cluster_property_set></crm_config><nodes/><resources>'
    stonith_xml "$agent"
    for i in $(seq 1 "$n"); do remote_xml "$i"; done
    printf '</resources><constraints/><rsc_defaults><meta_attributes id="rsc-options">'
    nv rsc resource-stickiness 100
    printf '</meta_attributes></rsc_defaults></configuration><status/></cib>\n'
  } > "$LAB/cib.xml"
  # Keep a CIB that is not ours (a real cluster's) aside; `down` puts it back.
  if [ ! -e "$LAB/cib-saved.marker" ]; then
    if compgen -G "$CIB_DIR/*" >/dev/null; then
      mkdir -p "$LAB/cib-saved" && cp -a "$CIB_DIR"/. "$LAB/cib-saved/"
    fi
    touch "$LAB/cib-saved.marker"
  fi
  rm -f "$CIB_DIR"/* /var/lib/pacemaker/pengine/*
  mkdir -p "$CIB_DIR" /var/log/pacemaker
  install -o hacluster -g haclient -m 0600 "$LAB/cib.xml" "$CIB_DIR/cib.xml"
  chown -R hacluster:haclient /var/lib/pacemaker /var/log/pacemaker
}

# --- network --------------------------------------------------------------------------------
net_up() {
  local n=$1 i ns
  ip link show $BRIDGE >/dev/null 2>&1 ||
    { ip link add $BRIDGE type bridge && ip addr add $SUBNET.1/24 dev $BRIDGE; } || die "cannot create $BRIDGE"
  ip link set $BRIDGE up
  for i in $(seq 1 "$n"); do
    ns=pcmk-r$i
    ip netns list | grep -qw "^$ns" || ip netns add $ns
    if ! ip -n $ns link show vn-r$i >/dev/null 2>&1; then
      ip link del vh-r$i 2>/dev/null
      ip link add vh-r$i type veth peer name vn-r$i && ip link set vn-r$i netns $ns || die "veth for $ns"
      ip -n $ns addr add $SUBNET.$((10 + i))/24 dev vn-r$i
    fi
    ip link set vh-r$i master $BRIDGE; ip link set vh-r$i up
    ip -n $ns link set vn-r$i up; ip -n $ns link set lo up
  done
}

net_down() {
  local ns
  for ns in $(ip netns list | awk '/^pcmk-r[0-9]+/{print $1}'); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
    ip netns del "$ns"
  done
  ip link del $BRIDGE 2>/dev/null
  return 0
}

# --- daemons --------------------------------------------------------------------------------
start_remote() {
  local i=$1
  pid_alive "$RUN/remote$i.pid" && return 0
  PCMK_logfile=$LOG/remote$i.log PCMK_remote_address=$SUBNET.$((10 + i)) \
    nohup ip netns exec pcmk-r$i "$REMOTED" >> "$LOG/remote$i.out" 2>&1 &
  echo $! > "$RUN/remote$i.pid"
}

corosync_conf() {
  cat > "$LAB/corosync.conf" <<EOF
totem {
    version: 2
    cluster_name: masakari-ha-lab
    transport: knet
    crypto_cipher: none
    crypto_hash: none
    token: 3000
}
logging {
    to_logfile: yes
    logfile: $LOG/corosync.log
    to_stderr: no
    to_syslog: no
    timestamp: on
}
quorum {
    provider: corosync_votequorum
    expected_votes: 1
}
nodelist {
    node {
        name: ctl1
        nodeid: 1
        ring0_addr: 127.0.0.1
    }
}
EOF
}

# All N remote nodes online and clean, no connection resource still starting.
cluster_ready() {
  local x n
  n=$(nodes)
  x=$(crm_xml) || return 1
  [ "$(grep -cE 'type="remote"' <<<"$x" | head -1)" -ge 1 ] || return 1
  [ "$(grep -E '<node name="remote[0-9]+"' <<<"$x" | grep -c 'online="true".*unclean="false"')" -ge "$n" ] || return 1
  ! grep -q 'role="Starting"' <<<"$x"
}

remote_online() { crm_xml | grep -E "<node name=\"remote$1\"" | grep -q 'online="true".*unclean="false"' && ! crm_xml | grep -E "id=\"remote$1\" " | grep -q 'role="Starting"'; }

# reconnect I [--no-wait]: ask pacemaker to reconnect remoteI now (a failed connection resource
# otherwise waits for reconnect_interval) and wait until the node is online and clean.
reconnect() {
  crm_resource --cleanup --resource "remote$1" >/dev/null 2>&1
  [ "${2:-}" = --no-wait ] || waitfor "remote_online $1" 120 || die "remote$1 did not come back online"
}

# repair: bring a running lab that a test left behind back to healthy without restarting it
# (quorum back, links up, dead remoted restarted, failures cleaned up).
repair() {
  local i
  log "running but not healthy: repairing"
  if ! corosync-quorumtool -s 2>/dev/null | grep -q 'Quorate: *Yes'; then
    sed -i "s/expected_votes: [0-9]*/expected_votes: 1/" "$LAB/corosync.conf"
    corosync-cfgtool -R >/dev/null 2>&1
  fi
  for i in $(seq 1 "$(nodes)"); do
    if [ -e "$RUN/netcut-$i" ]; then ip -n "pcmk-r$i" link set "vn-r$i" up; rm -f "$RUN/netcut-$i"; fi
    start_remote "$i"
  done
  crm_resource --cleanup >/dev/null 2>&1
  waitfor cluster_ready 120
}

running() { pid_alive "$RUN/corosync.pid" && pid_alive "$RUN/pacemakerd.pid"; }

up() {
  local n=${1:-3} agent t0=$SECONDS
  [[ $n =~ ^[1-9]$ ]] || die "N must be 1..9"
  [ "$(id -u)" = 0 ] || die "must run as root (network namespaces, pacemaker)"
  mkdir -p "$RUN" "$LOG"
  if running && [ "$(nodes)" = "$n" ] && cluster_ready; then
    log "already up with $n remote nodes ($(cat "$RUN/fence-agent"))"; return 0
  fi
  if running && [ "$(nodes)" = "$n" ] && repair; then
    log "repaired: ctl1 + $n remote nodes online again in $((SECONDS - t0)) s"; return 0
  fi
  running && { log "not repairable or N changed: restarting"; down; mkdir -p "$RUN" "$LOG"; }
  install_packages
  echo "$n" > "$RUN/n"
  install_agents
  agent=${PCMK_LAB_FENCE:-auto}
  [ "$agent" = auto ] && { if have_fence_maas; then agent=fence_maas; else agent=labdummy; fi; }
  echo "$agent" > "$RUN/fence-agent"
  [ "$agent" = labdummy ] || maas_up
  # A stale corosync/pacemaker of ours (pid files gone) would block the start: refuse clearly.
  pgrep -x corosync >/dev/null && die "a corosync not started by this lab is running (pid $(pgrep -x corosync)); stop it first"
  pgrep -x pacemakerd >/dev/null && die "a pacemakerd not started by this lab is running; stop it first"
  corosync_conf
  corosync -c "$LAB/corosync.conf" || die "corosync failed (see $LOG/corosync.log)"
  waitfor 'corosync-quorumtool -s' 20 || die "corosync not answering"
  pgrep -x -n corosync > "$RUN/corosync.pid"
  seed_cib "$agent" "$n"
  net_up "$n"
  local i
  for i in $(seq 1 "$n"); do start_remote "$i"; done
  PCMK_logfile=$LOG/pacemaker.log nohup pacemakerd >> "$LOG/pacemakerd.out" 2>&1 &
  echo $! > "$RUN/pacemakerd.pid"
  waitfor cluster_ready 180 || { crm_mon -1 >&2; die "cluster did not settle within 180 s (logs in $LOG)"; }
  log "up: ctl1 + $n remote nodes, stonith:$([ "$agent" = labdummy ] && echo fence_labdummy || echo "$agent") in $((SECONDS - t0)) s"
}

down() {
  local i f
  [ "$(id -u)" = 0 ] || die "must run as root"
  stop_pidfile "$RUN/pacemakerd.pid" 60
  # TERM every remoted (and the emulator) at once, then reap them one by one (each takes ~2 s).
  for f in "$RUN"/remote*.pid "$RUN/maas.pid"; do pid_alive "$f" && kill -TERM "$(cat "$f")" 2>/dev/null; done
  for f in "$RUN"/remote*.pid; do [ -e "$f" ] && stop_pidfile "$f" 10; done
  # A shutdown request is answered in ~1 s; SIGTERM makes corosync wait out token timeouts (~8 s).
  pid_alive "$RUN/corosync.pid" && corosync-cfgtool -H --force >/dev/null 2>&1 &&
    waitfor "! kill -0 $(cat "$RUN/corosync.pid")" 10
  stop_pidfile "$RUN/corosync.pid" 20
  maas_down
  net_down
  # The CIB and scheduler inputs we created; a CIB that was there before `up` comes back.
  if [ -e "$LAB/cib-saved.marker" ]; then
    rm -f "$CIB_DIR"/* /var/lib/pacemaker/pengine/*
    [ -d "$LAB/cib-saved" ] && cp -a "$LAB/cib-saved"/. "$CIB_DIR"/ && rm -rf "$LAB/cib-saved"
    rm -f "$LAB/cib-saved.marker"
  fi
  rm -f /var/lib/corosync/ringid_* 2>/dev/null
  [ -f /usr/sbin/fence_labdummy ] && grep -q "$MARK" /usr/sbin/fence_labdummy && rm -f /usr/sbin/fence_labdummy
  if [ -e "$RUN/fence-maas-ours" ]; then
    "$HERE/install-fence-maas.sh" uninstall >/dev/null 2>&1; rm -f "$RUN/fence-maas-ours"
  fi
  rm -f "$RUN/fence-agent" "$RUN/n" "$RUN"/netcut-*
  log "down"
}

status() {
  if running; then
    echo "pacemaker lab: up ($(nodes) remote nodes, stonith agent $(cat "$RUN/fence-agent" 2>/dev/null))"
    crm_mon -1 2>&1
    pid_alive "$RUN/maas.pid" && echo "MAAS emulator: $MAAS_URL (pid $(cat "$RUN/maas.pid"))"
    return 0
  fi
  echo "pacemaker lab: down"; return 3
}

env_() {
  cat <<EOF
export MASAKARI_HA_PCMK_LAB=$LAB
export MASAKARI_HA_PCMK_NODES="$(host_list)"
export MASAKARI_HA_PCMK_FENCE_AGENT=$(cat "$RUN/fence-agent" 2>/dev/null)
export MASAKARI_HA_PCMK_FENCE_LOG=$LOG/fence_calls.log
export MASAKARI_HA_PCMK_MAAS_URL=$MAAS_URL
export MASAKARI_HA_PCMK_MAAS_KEY_FILE=$MAAS_KEY_FILE
export MASAKARI_HA_PCMK_MAAS_ACTIONS_LOG=$LOG/maas-actions.log
EOF
}

valid_i() { [[ ${1:-} =~ ^[1-9]$ ]] && [ "$1" -le "$(nodes)" ] || die "node index must be 1..$(nodes)"; }

case "${1:-}" in
  install) install_packages ;;
  up) up "${2:-3}" ;;
  down) down ;;
  status) status ;;
  env) env_ ;;
  kill-remote) valid_i "${2:-}"; pid_alive "$RUN/remote$2.pid" && kill -KILL "$(cat "$RUN/remote$2.pid")"; rm -f "$RUN/remote$2.pid" ;;
  start-remote) valid_i "${2:-}"; start_remote "$2"; reconnect "$2" "${3:-}" ;;
  partition) valid_i "${2:-}"; ip -n "pcmk-r$2" link set "vn-r$2" down && touch "$RUN/netcut-$2" ;;
  heal) valid_i "${2:-}"; ip -n "pcmk-r$2" link set "vn-r$2" up && rm -f "$RUN/netcut-$2"; reconnect "$2" "${3:-}" ;;
  quorum)
    # A real quorum loss: corosync is told (config reload) that the cluster has 2 expected votes,
    # so this one-vote partition is the minority half of a split cluster; `regain` reverts to 1.
    running || die "lab is not up"
    case "${2:-}" in
      lose) votes=2; want=No ;;
      regain) votes=1; want=Yes ;;
      *) usage "quorum lose|regain" ;;
    esac
    sed -i "s/expected_votes: [0-9]*/expected_votes: $votes/" "$LAB/corosync.conf"
    corosync-cfgtool -R >/dev/null || die "corosync config reload failed"
    waitfor "corosync-quorumtool -s | grep -q 'Quorate: *$want'" 10 || die "quorate did not become $want" ;;
  fence-agent)
    a=${2:-}; running || die "lab is not up"
    case $a in fence_maas|external/maas|labdummy) ;; *) usage "fence-agent fence_maas|external/maas|labdummy" ;; esac
    [ "$a" = labdummy ] || maas_up
    cibadmin --replace --scope resources --xml-text "$(printf '<resources>'; stonith_xml "$a"
        for i in $(seq 1 "$(nodes)"); do remote_xml "$i"; done; printf '</resources>')" \
      || die "cannot configure stonith:$a"
    echo "$a" > "$RUN/fence-agent" ;;
  maas-reset) maas_down; maas_up ;;
  *) usage "install|up [N]|down|status|env|kill-remote I|start-remote I|partition I|heal I|quorum lose|regain|fence-agent AGENT|maas-reset" ;;
esac
