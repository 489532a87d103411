#!/bin/bash
# shellcheck shell=bash
#
# DevStack plugin of masakari-ha: instance HA (API, engine, compute-node monitors).
#
#   enable_plugin masakari-ha <git url of this repository> [branch]
#
# Services (enable/disable them in local.conf):
#   masakari-ha-api, masakari-ha-engine           controller (enabled by devstack/settings)
#   masakari-ha-hostmonitor, masakari-ha-instancemonitor, masakari-ha-processmonitor
#                                                 compute nodes (enable where wanted)
#
# Phases (stack.sh / unstack.sh / clean.sh source this file with these arguments; stack.sh
# also calls "stack pre-install" and "stack test-config", where this plugin has nothing to do):
#   stack install       install_masakari_ha
#   stack post-config   configure_masakari_ha, create_masakari_ha_accounts,
#                       init_masakari_ha (database + db sync), configure_masakari_ha_monitors
#   stack extra         start_masakari_ha, start_masakari_ha_monitors
#   unstack             stop_masakari_ha_monitors, stop_masakari_ha
#   clean               cleanup_masakari_ha
#
# DevStack's globals (DEST, DATA_DIR, SERVICE_HOST, SERVICE_PASSWORD, REGION_NAME, ...) and
# functions (iniset, run_process, ...) are defined by stack.sh before this file is sourced.
# shellcheck disable=SC2154

_XTRACE_MASAKARI_HA=$(set +o | grep xtrace)
set +o xtrace

MASAKARI_HA_API_SERVICES=(masakari-ha-api masakari-ha-engine)
MASAKARI_HA_MONITOR_SERVICES=(masakari-ha-hostmonitor masakari-ha-instancemonitor masakari-ha-processmonitor)

# is_masakari_ha_enabled SERVICES...: any of the named services is enabled here.
function is_masakari_ha_enabled {
    local service
    for service in "$@"; do
        if is_service_enabled "$service"; then
            return 0
        fi
    done
    return 1
}

function masakari_ha_api_url {
    echo "$MASAKARI_HA_SERVICE_PROTOCOL://$MASAKARI_HA_SERVICE_HOST:$MASAKARI_HA_SERVICE_PORT/v1"
}

# install_masakari_ha - the package (service, monitors and fence agent in one distribution).
function install_masakari_ha {
    setup_develop "$MASAKARI_HA_DIR"
    if is_service_enabled masakari-ha-instancemonitor; then
        # The instance monitor's libvirt binding, at the version global-requirements pins
        # (as DevStack's own libvirt set-up installs it on compute nodes).
        pip_install_gr libvirt-python
    fi
}

# create_masakari_ha_accounts - service user, instance-ha service and endpoint, monitor user.
function create_masakari_ha_accounts {
    create_service_user "$MASAKARI_HA_SERVICE_USER" "admin"
    local service
    service=$(get_or_create_service "masakari" "instance-ha" "Instance High Availability (masakari-ha)")
    # No project id in the path: masakari-ha routes /v1/<resource> like upstream.
    get_or_create_endpoint "$service" "$REGION_NAME" "$(masakari_ha_api_url)"
    # The monitors (on this node or on compute nodes) only create notifications: the
    # 'service' role is enough (os_masakari_api:notifications:create = admin or role:service).
    create_service_user "$MASAKARI_HA_MONITOR_USER" "service"
}

# configure_masakari_ha - write masakari-ha.conf for the API and the engine.
function configure_masakari_ha {
    sudo install -d -o "$STACK_USER" "$MASAKARI_HA_CONF_DIR" "$MASAKARI_HA_STATE_PATH"
    rm -f "$MASAKARI_HA_CONF"
    local conf=$MASAKARI_HA_CONF

    iniset "$conf" DEFAULT debug "$ENABLE_DEBUG_LOG_LEVEL"
    iniset "$conf" DEFAULT state_path "$MASAKARI_HA_STATE_PATH"
    iniset "$conf" DEFAULT auth_strategy keystone
    iniset "$conf" DEFAULT masakari_api_listen "$MASAKARI_HA_SERVICE_LISTEN_ADDRESS"
    iniset "$conf" DEFAULT masakari_api_listen_port "$MASAKARI_HA_SERVICE_PORT"
    iniset "$conf" DEFAULT masakari_api_workers "$MASAKARI_HA_API_WORKERS"

    iniset "$conf" database connection "$(database_connection_url "$MASAKARI_HA_DB_NAME")"
    iniset_rpc_backend masakari-ha "$conf" DEFAULT
    configure_keystone_authtoken_middleware "$conf" "$MASAKARI_HA_SERVICE_USER"

    # The engine acts in Nova as the service user (evacuate, os-services, lock).
    iniset "$conf" nova auth_type password
    iniset "$conf" nova auth_url "$KEYSTONE_SERVICE_URI"
    iniset "$conf" nova username "$MASAKARI_HA_SERVICE_USER"
    iniset "$conf" nova password "$SERVICE_PASSWORD"
    iniset "$conf" nova project_name "$SERVICE_PROJECT_NAME"
    iniset "$conf" nova user_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$conf" nova project_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$conf" nova region_name "$REGION_NAME"

    if [[ "$MASAKARI_HA_ENGINE_METRICS_PORT" != "0" ]]; then
        iniset "$conf" metrics engine_listen "$MASAKARI_HA_SERVICE_LISTEN_ADDRESS"
        iniset "$conf" metrics engine_port "$MASAKARI_HA_ENGINE_METRICS_PORT"
    fi

    iniset "$conf" fencing driver "$MASAKARI_HA_FENCING_DRIVER"
    iniset "$conf" fencing required "$MASAKARI_HA_FENCING_REQUIRED"
    if [[ "$MASAKARI_HA_FENCING_DRIVER" == "maas" ]]; then
        if [[ -z "$MASAKARI_HA_MAAS_URL" || -z "$MASAKARI_HA_MAAS_API_KEY_FILE" ]]; then
            die $LINENO "MASAKARI_HA_FENCING_DRIVER=maas needs MASAKARI_HA_MAAS_URL and MASAKARI_HA_MAAS_API_KEY_FILE in local.conf"
        fi
        iniset "$conf" maas url "$MASAKARI_HA_MAAS_URL"
        iniset "$conf" maas api_key_file "$MASAKARI_HA_MAAS_API_KEY_FILE"
    fi
}

# init_masakari_ha - (re)create the database and migrate it (one DB; TaskFlow's tables too).
function init_masakari_ha {
    recreate_database "$MASAKARI_HA_DB_NAME"
    "$MASAKARI_HA_BIN_DIR/masakari-ha-manage" --config-file "$MASAKARI_HA_CONF" db sync
}

# nova_compute_cmdline - nova-compute's argv prefix as the process monitor sees it:
# the interpreter of the nova-compute script, then the script.
function nova_compute_cmdline {
    if [[ -n "$MASAKARI_HA_NOVA_COMPUTE_CMDLINE" ]]; then
        echo "$MASAKARI_HA_NOVA_COMPUTE_CMDLINE"
        return
    fi
    local script=$NOVA_BIN_DIR/nova-compute
    local interpreter=""
    if [[ -r "$script" ]]; then
        interpreter=$(head -n 1 "$script" | sed -n 's/^#![[:space:]]*//p')
        # "#!/usr/bin/env python3": env replaces itself, the process shows "python3 <script>".
        interpreter=${interpreter#/usr/bin/env }
    fi
    echo "${interpreter:+$interpreter }$script"
}

# monitor_metrics_conf SERVICE - the monitor's own config file: its [metrics] port.
function monitor_metrics_conf {
    echo "$MASAKARI_HA_MONITORS_CONF_DIR/$1-metrics.conf"
}

# configure_masakari_ha_monitors - monitors.conf and process_list.yaml on this node, and
# each monitor's [metrics] file.
function configure_masakari_ha_monitors {
    sudo install -d -o "$STACK_USER" "$MASAKARI_HA_MONITORS_CONF_DIR" "$MASAKARI_HA_MONITORS_STATE_PATH"
    rm -f "$MASAKARI_HA_MONITORS_CONF"
    local conf=$MASAKARI_HA_MONITORS_CONF

    iniset "$conf" DEFAULT debug "$ENABLE_DEBUG_LOG_LEVEL"
    iniset "$conf" DEFAULT state_path "$MASAKARI_HA_MONITORS_STATE_PATH"
    iniset "$conf" api auth_type password
    iniset "$conf" api auth_url "$KEYSTONE_SERVICE_URI"
    iniset "$conf" api username "$MASAKARI_HA_MONITOR_USER"
    iniset "$conf" api password "$SERVICE_PASSWORD"
    iniset "$conf" api project_name "$SERVICE_PROJECT_NAME"
    iniset "$conf" api user_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$conf" api project_domain_name "$SERVICE_DOMAIN_NAME"
    iniset "$conf" api region "$REGION_NAME"
    iniset "$conf" libvirt connection_uri "$MASAKARI_HA_LIBVIRT_URI"
    iniset "$conf" process process_list_path "$MASAKARI_HA_PROCESS_LIST"

    # nova-compute runs as the devstack@n-cpu unit; the monitor restarts it through systemd.
    local cmdline
    cmdline=$(nova_compute_cmdline)
    cat > "$MASAKARI_HA_PROCESS_LIST" <<EOF
# Written by the masakari-ha DevStack plugin.
- process_name: $cmdline
  start_command: [sudo, systemctl, start, devstack@n-cpu]
  pre_start_command:
  post_start_command:
  restart_command: [sudo, systemctl, restart, devstack@n-cpu]
  pre_restart_command:
  post_restart_command:
  run_as_root: false
EOF

    # Each monitor serves /metrics on its own port (fixed per monitor, enabled or not, so
    # scrape targets do not move): MASAKARI_HA_MONITORS_METRICS_PORT, +1, +2.
    local service port=$MASAKARI_HA_MONITORS_METRICS_PORT metrics_conf
    for service in "${MASAKARI_HA_MONITOR_SERVICES[@]}"; do
        metrics_conf=$(monitor_metrics_conf "$service")
        rm -f "$metrics_conf"
        if [[ "$MASAKARI_HA_MONITORS_METRICS_PORT" != "0" ]] && is_service_enabled "$service"; then
            iniset "$metrics_conf" metrics listen_address "$MASAKARI_HA_SERVICE_LISTEN_ADDRESS"
            iniset "$metrics_conf" metrics listen_port "$port"
        fi
        port=$((port + 1))
    done
}

# start_masakari_ha - API (waits until it answers) and engine.
function start_masakari_ha {
    if is_service_enabled masakari-ha-api; then
        run_process masakari-ha-api "$MASAKARI_HA_BIN_DIR/masakari-ha-api --config-file $MASAKARI_HA_CONF"
        echo "Waiting for masakari-ha-api to answer on $MASAKARI_HA_SERVICE_HOST:$MASAKARI_HA_SERVICE_PORT ..."
        if ! wait_for_service "$SERVICE_TIMEOUT" "$MASAKARI_HA_SERVICE_PROTOCOL://$MASAKARI_HA_SERVICE_HOST:$MASAKARI_HA_SERVICE_PORT/"; then
            die $LINENO "masakari-ha-api did not start"
        fi
    fi
    if is_service_enabled masakari-ha-engine; then
        run_process masakari-ha-engine "$MASAKARI_HA_BIN_DIR/masakari-ha-engine --config-file $MASAKARI_HA_CONF"
    fi
}

function start_masakari_ha_monitors {
    local service command metrics_conf
    for service in "${MASAKARI_HA_MONITOR_SERVICES[@]}"; do
        if is_service_enabled "$service"; then
            command="$MASAKARI_HA_BIN_DIR/$service --config-file $MASAKARI_HA_MONITORS_CONF"
            metrics_conf=$(monitor_metrics_conf "$service")
            if [[ -f "$metrics_conf" ]]; then
                command+=" --config-file $metrics_conf"
            fi
            run_process "$service" "$command"
        fi
    done
}

function stop_masakari_ha_monitors {
    local service
    for service in "${MASAKARI_HA_MONITOR_SERVICES[@]}"; do
        stop_process "$service"
    done
}

function stop_masakari_ha {
    local service
    for service in "${MASAKARI_HA_API_SERVICES[@]}"; do
        stop_process "$service"
    done
}

# cleanup_masakari_ha - configuration and state written by this plugin.
function cleanup_masakari_ha {
    sudo rm -rf "$MASAKARI_HA_CONF_DIR" "$MASAKARI_HA_MONITORS_CONF_DIR" \
        "$MASAKARI_HA_STATE_PATH" "$MASAKARI_HA_MONITORS_STATE_PATH"
}

# Dispatcher
# ----------

if is_masakari_ha_enabled "${MASAKARI_HA_API_SERVICES[@]}" "${MASAKARI_HA_MONITOR_SERVICES[@]}"; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing masakari-ha"
        install_masakari_ha
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        if is_masakari_ha_enabled "${MASAKARI_HA_API_SERVICES[@]}"; then
            echo_summary "Configuring masakari-ha"
            configure_masakari_ha
            if is_service_enabled key; then
                create_masakari_ha_accounts
            fi
            init_masakari_ha
        fi
        if is_masakari_ha_enabled "${MASAKARI_HA_MONITOR_SERVICES[@]}"; then
            echo_summary "Configuring masakari-ha monitors"
            configure_masakari_ha_monitors
        fi
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Starting masakari-ha"
        start_masakari_ha
        start_masakari_ha_monitors
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_masakari_ha_monitors
        stop_masakari_ha
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_masakari_ha
    fi
fi

$_XTRACE_MASAKARI_HA
