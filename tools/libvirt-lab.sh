#!/usr/bin/env bash
# Real libvirt test bed: the system libvirtd + virtlogd started without systemd, QEMU driver with
# TCG (no KVM needed), and tiny diskless domains (SeaBIOS idling at "no bootable device", ~40 MB
# each) whose qemu can be killed with SIGKILL to produce libvirt's STOPPED/FAILED lifecycle event.
# Recipe: shared/design/real-stack.md § A2; what it changes and how `down` undoes it:
# tools/README.pacemaker.md.
#
# usage: tools/libvirt-lab.sh install | up | down | status | env | define-tiny NAME UUID | start NAME
#                             | kill-qemu NAME | destroy NAME | undefine NAME
set -u
COMPONENT=libvirt-lab
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/lib.sh
. "$HERE/lib.sh"

# Don't pass a caller's open lock files (the e2e sessions' $LAB_ROOT/*.e2e.lock) on to the
# daemons started here: they would hold those locks for as long as they run.
for _fd in /proc/$$/fd/*; do
  _n=${_fd##*/}
  [ "$_n" -gt 2 ] 2>/dev/null && case $(readlink "$_fd") in *.e2e.lock) eval "exec $_n>&-" ;; esac
done
unset _fd _n

LAB=$LAB_ROOT/libvirt
RUN=$LAB/run
URI=qemu:///system
QEMU_CONF=/etc/libvirt/qemu.conf
PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86)
# What libvirt-daemon-system would normally create (that package needs systemd-ish set-up).
DIRS=(/var/log/libvirt /var/log/libvirt/qemu /var/lib/libvirt /var/lib/libvirt/qemu
      /var/cache/libvirt /var/cache/libvirt/qemu /run/libvirt)

virsh_() { virsh -q -c "$URI" "$@"; }

# Remember what existed before the first `up`, so `down` removes exactly what we added.
note_created() { grep -qxF "$2" "$RUN/created-$1" 2>/dev/null || echo "$2" >> "$RUN/created-$1"; }

system_setup() {
  local g d
  for g in kvm libvirt-qemu; do
    getent group "$g" >/dev/null || { groupadd -r "$g" && note_created groups "$g"; }
  done
  if ! id libvirt-qemu >/dev/null 2>&1; then
    # The QEMU driver looks its default user up before reading qemu.conf: it must exist.
    useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu &&
      note_created users libvirt-qemu
  fi
  for d in "${DIRS[@]}"; do
    [ -d "$d" ] || { mkdir -p "$d" && note_created dirs "$d"; }
  done
  # Directories libvirtd itself creates on its first start.
  for d in /etc/libvirt/qemu /etc/libvirt/nwfilter /etc/libvirt/secrets /etc/libvirt/storage; do
    [ -d "$d" ] || note_created dirs "$d"
  done
  if [ ! -e "$RUN/qemu.conf.saved" ]; then
    if [ -e "$QEMU_CONF" ]; then cp -a "$QEMU_CONF" "$RUN/qemu.conf.orig"; fi
    touch "$RUN/qemu.conf.saved"
  fi
  cat > "$QEMU_CONF" <<'EOF'
# written by masakari_ha tools/libvirt-lab.sh (restored by `down`)
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
remember_owner = 0
EOF
}

system_restore() {
  local x
  if [ -e "$RUN/qemu.conf.saved" ]; then
    if [ -e "$RUN/qemu.conf.orig" ]; then mv -f "$RUN/qemu.conf.orig" "$QEMU_CONF"; else rm -f "$QEMU_CONF"; fi
    rm -f "$RUN/qemu.conf.saved"
  fi
  if [ -s "$RUN/created-users" ]; then
    while read -r x; do userdel "$x" 2>/dev/null; done < "$RUN/created-users"
  fi
  if [ -s "$RUN/created-groups" ]; then
    while read -r x; do getent group "$x" >/dev/null && groupdel "$x" 2>/dev/null; done < "$RUN/created-groups"
  fi
  if [ -s "$RUN/created-dirs" ]; then   # deepest first
    sort -r "$RUN/created-dirs" | while read -r x; do rm -rf "$x"; done
  fi
  rm -f "$RUN"/created-*
}

running() { pid_alive "$RUN/libvirtd.pid" && pid_alive "$RUN/virtlogd.pid"; }

up() {
  local t0=$SECONDS
  [ "$(id -u)" = 0 ] || die "must run as root (system libvirtd)"
  mkdir -p "$RUN"
  if running && virsh_ version >/dev/null 2>&1; then log "already up"; return 0; fi
  running && down
  mkdir -p "$RUN"
  apt_install "${PACKAGES[@]}"
  # Only root's daemons are system daemons (other users' session libvirtd/virtlogd don't clash).
  pgrep -x -u root libvirtd >/dev/null &&
    die "a system libvirtd not started by this lab is running (pid $(pgrep -x -u root libvirtd)); the system daemon is a singleton"
  system_setup
  pgrep -x -u root virtlogd >/dev/null && die "a system virtlogd not started by this lab is running; stop it first"
  /usr/sbin/virtlogd -d -p "$RUN/virtlogd.pid" || die "virtlogd did not start"
  /usr/sbin/libvirtd -d -p "$RUN/libvirtd.pid" || die "libvirtd did not start"
  waitfor 'virsh -c qemu:///system version' 60 || die "libvirtd does not answer on $URI"
  waitfor "pid_alive $RUN/virtlogd.pid" 5 || die "virtlogd pid file missing"
  log "up: libvirtd + virtlogd on $URI in $((SECONDS - t0)) s"
}

down() {
  local name
  [ "$(id -u)" = 0 ] || die "must run as root"
  if [ -s "$RUN/domains" ] && pid_alive "$RUN/libvirtd.pid"; then
    while read -r name; do
      virsh_ destroy "$name" >/dev/null 2>&1
      virsh_ undefine "$name" >/dev/null 2>&1
    done < "$RUN/domains"
  fi
  rm -f "$RUN/domains"
  stop_pidfile "$RUN/libvirtd.pid" 20
  stop_pidfile "$RUN/virtlogd.pid" 10
  system_restore
  log "down"
}

define_tiny() {
  local name=$1 uuid=$2
  [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad domain name '$name'"
  [[ $uuid =~ ^[0-9a-fA-F-]{36}$ ]] || die "bad UUID '$uuid'"
  running || die "lab is not up"
  cat > "$RUN/$name.xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <uuid>$uuid</uuid>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='pty'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
  virsh_ define "$RUN/$name.xml" >/dev/null || die "virsh define $name failed"
  grep -qxF "$name" "$RUN/domains" 2>/dev/null || echo "$name" >> "$RUN/domains"
}

kill_qemu() {
  local pidfile=/run/libvirt/qemu/$1.pid
  [ -s "$pidfile" ] || die "no running qemu for domain $1"
  kill -KILL "$(cat "$pidfile")"
}

status() {
  if running; then
    echo "libvirt lab: up ($URI, libvirtd pid $(cat "$RUN/libvirtd.pid"))"
    virsh_ list --all
    return 0
  fi
  echo "libvirt lab: down"; return 3
}

env_() {
  cat <<EOF
export MASAKARI_HA_LIBVIRT_URI=$URI
export MASAKARI_HA_LIBVIRT_LAB=$LAB
EOF
}

case "${1:-}" in
  install) apt_install "${PACKAGES[@]}" ;;
  up) up ;;
  down) down ;;
  status) status ;;
  env) env_ ;;
  define-tiny) [ $# -eq 3 ] || usage "define-tiny NAME UUID"; define_tiny "$2" "$3" ;;
  start) [ $# -eq 2 ] || usage "start NAME"; virsh_ start "$2" >/dev/null ;;
  kill-qemu) [ $# -eq 2 ] || usage "kill-qemu NAME"; kill_qemu "$2" ;;
  destroy) [ $# -eq 2 ] || usage "destroy NAME"; virsh_ destroy "$2" >/dev/null ;;
  undefine) [ $# -eq 2 ] || usage "undefine NAME"
    virsh_ destroy "$2" >/dev/null 2>&1; virsh_ undefine "$2" >/dev/null &&
      { grep -vxF "$2" "$RUN/domains" > "$RUN/domains.new"; mv -f "$RUN/domains.new" "$RUN/domains"; } ;;
  *) usage "install|up|down|status|env|define-tiny NAME UUID|start NAME|kill-qemu NAME|destroy NAME|undefine NAME" ;;
esac
