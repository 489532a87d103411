#!/bin/bash
# Run phases of devstack/plugin.sh against recording stand-ins of DevStack's functions.
#
#   HARNESS_DIR=<empty dir> ENABLED_SERVICES=<comma list> harness.sh stack post-config
#   HARNESS_DIR=... harness.sh stack pre-install -- stack install -- stack post-config -- ...
#
# As stack.sh does: settings sourced once, then plugin.sh sourced once per phase (phases
# separated by "--") in the same shell, under errexit. unstack.sh and clean.sh are separate
# runs (each loads the settings again).
#
# Every DevStack function the plugin calls is replaced by a function that appends one line
# to $HARNESS_DIR/calls (the function name and its arguments, shell-quoted with %q) and
# does the least real work the next phase relies on: iniset writes the ini file,
# get_or_create_service prints an id, sudo runs its command without privileges, the
# masakari-ha-* programs in $HARNESS_DIR/bin are recording scripts. DevStack's globals
# get fixed test values; the plugin's own paths are moved under $HARNESS_DIR.
# WAIT_FOR_SERVICE_RC makes wait_for_service fail. Exit status: the plugin's.
# The DevStack globals below are read by the sourced settings/plugin.sh.
# shellcheck disable=SC2034
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
: "${HARNESS_DIR:?set HARNESS_DIR to an empty directory}"
CALLS=$HARNESS_DIR/calls
touch "$CALLS"

_record() {
    local line="" arg
    for arg in "$@"; do
        line+="$(printf '%q' "$arg") "
    done
    printf '%s\n' "${line% }" >> "$CALLS"
}

# --- DevStack globals (stackrc / lib/*) ------------------------------------------------------
DEST=$HARNESS_DIR/opt-stack
DATA_DIR=$HARNESS_DIR/data
STACK_USER=$(id -un)
SERVICE_HOST=10.0.0.5
SERVICE_PROTOCOL=http
SERVICE_PASSWORD=secretservice
SERVICE_PROJECT_NAME=service
SERVICE_DOMAIN_NAME=Default
SERVICE_TIMEOUT=60
REGION_NAME=RegionOne
KEYSTONE_SERVICE_URI=http://10.0.0.5/identity
ENABLE_DEBUG_LOG_LEVEL=True
API_WORKERS=2
NOVA_BIN_DIR=$HARNESS_DIR/nova-bin
ENABLED_SERVICES=${ENABLED_SERVICES:-key,n-api,n-cpu}
DISABLED_SERVICES=${DISABLED_SERVICES:-}

# The plugin's paths, under the harness directory (settings keeps preset values).
MASAKARI_HA_CONF_DIR=$HARNESS_DIR/etc/masakari-ha
MASAKARI_HA_MONITORS_CONF_DIR=$HARNESS_DIR/etc/masakari-ha-monitors

mkdir -p "$HARNESS_DIR/bin" "$NOVA_BIN_DIR" "$DEST"
for program in masakari-ha-manage masakari-ha-api masakari-ha-engine masakari-ha-hostmonitor \
               masakari-ha-instancemonitor masakari-ha-processmonitor; do
    printf '#!/bin/bash\nprintf "%%s" "%s" >> "%s"; printf " %%q" "$@" >> "%s"; echo >> "%s"\n' \
        "$program" "$CALLS" "$CALLS" "$CALLS" > "$HARNESS_DIR/bin/$program"
    chmod +x "$HARNESS_DIR/bin/$program"
done
printf '#!/opt/stack/data/venv/bin/python3\n# nova-compute console script\n' > "$NOVA_BIN_DIR/nova-compute"

# --- DevStack functions (functions-common, lib/keystone, lib/database, lib/rpc_backend) ----
is_service_enabled() {
    local service
    for service in "$@"; do
        [[ ",$ENABLED_SERVICES," == *",$service,"* ]] && return 0
    done
    return 1
}
enable_service() {
    _record enable_service "$@"
    local service
    for service in "$@"; do
        # As DevStack: a service disabled in local.conf stays disabled.
        [[ ",$DISABLED_SERVICES," == *",$service,"* ]] && continue
        is_service_enabled "$service" || ENABLED_SERVICES+=",$service"
    done
}
get_python_exec_prefix() { echo "$HARNESS_DIR/bin"; }
echo_summary() { _record echo_summary "$@"; }
die() { _record die "$@"; exit 1; }
setup_develop() { _record setup_develop "$@"; }
pip_install() { _record pip_install "$@"; }
pip_install_gr() { _record pip_install_gr "$@"; }
create_service_user() { _record create_service_user "$@"; }
get_or_create_service() { _record get_or_create_service "$@"; echo "svc-$2"; }
get_or_create_endpoint() { _record get_or_create_endpoint "$@"; echo "endpoint-id"; }
recreate_database() { _record recreate_database "$@"; }
database_connection_url() { echo "mysql+pymysql://root:dbpass@127.0.0.1/$1?charset=utf8"; }
run_process() { _record run_process "$@"; }
stop_process() { _record stop_process "$@"; }
wait_for_service() { _record wait_for_service "$@"; return "${WAIT_FOR_SERVICE_RC:-0}"; }
sudo() { _record sudo "$@"; "$@"; }

# iniset FILE SECTION OPTION VALUE: set (or add) one option, as DevStack's iniset does.
iniset() {
    _record iniset "$@"
    local file=$1
    [[ -f "$file" ]] || : > "$file"
    INI_SECTION="[$2]" INI_OPTION=$3 INI_VALUE=$4 awk '
        BEGIN { s = ENVIRON["INI_SECTION"]; o = ENVIRON["INI_OPTION"]; v = ENVIRON["INI_VALUE"] }
        /^\[/ { if (in_section && !done) { print o " = " v; done = 1 } in_section = ($0 == s) }
        in_section && !done && index($0, o " = ") == 1 { print o " = " v; done = 1; next }
        { print }
        END { if (!done) { if (!in_section) print s; print o " = " v } }
    ' "$file" > "$file.new" && mv "$file.new" "$file"
}
iniset_rpc_backend() {
    _record iniset_rpc_backend "$@"
    iniset "$2" "$3" transport_url "rabbit://stackrabbit:rabbitpass@10.0.0.5:5672/"
}
configure_keystone_authtoken_middleware() {
    _record configure_keystone_authtoken_middleware "$@"
    local section=${3:-keystone_authtoken}
    iniset "$1" "$section" auth_type password
    iniset "$1" "$section" www_authenticate_uri "$KEYSTONE_SERVICE_URI"
    iniset "$1" "$section" auth_url "$KEYSTONE_SERVICE_URI"
    iniset "$1" "$section" username "$2"
    iniset "$1" "$section" password "$SERVICE_PASSWORD"
    iniset "$1" "$section" project_name "$SERVICE_PROJECT_NAME"
}

# --- the plugin, as DevStack runs it ---------------------------------------------------------
set -o errexit
# shellcheck source=/dev/null
source "$REPO/devstack/settings"

run_phase() {
    # shellcheck source=/dev/null
    source "$REPO/devstack/plugin.sh" "$@"
}

phase=()
for arg in "$@" --; do
    if [[ "$arg" != "--" ]]; then
        phase+=("$arg")
        continue
    fi
    if [[ ${#phase[@]} -gt 0 ]]; then
        run_phase "${phase[@]}"
    fi
    phase=()
done
