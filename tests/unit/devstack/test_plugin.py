"""The DevStack plugin: shellcheck-clean, and every phase does what DevStack expects.

DevStack itself cannot run here (it wants a whole cloud), so ``harness.sh`` sources
``devstack/settings`` and ``devstack/plugin.sh`` exactly as stack.sh does (settings once,
plugin.sh once per phase in the same shell, errexit), with DevStack's functions replaced by
stand-ins that record their calls (and ``iniset`` really writing the ini file). The tests
run the phases in order in one directory and check the recorded calls and the
configuration files the plugin wrote; one runs every phase stack.sh, unstack.sh and
clean.sh call, in their order.
"""

from __future__ import annotations

import configparser
import os
import pathlib
import re
import shlex
import shutil
import subprocess

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]
HARNESS = pathlib.Path(__file__).with_name("harness.sh")
CONTROLLER = "key,n-api,n-cond,n-sch,mysql,rabbit"
MONITORS = "masakari-ha-hostmonitor,masakari-ha-instancemonitor,masakari-ha-processmonitor"


class Devstack:
    """One node: a harness directory and its enabled services."""

    def __init__(self, root: pathlib.Path, enabled: str, **env: str):
        self.root = root
        self.env = dict(os.environ, HARNESS_DIR=str(root), ENABLED_SERVICES=enabled, **env)

    def run(self, *phase: str, check: bool = True) -> subprocess.CompletedProcess:
        """One phase (``"stack", "install"``), or several separated by ``"--"`` in one shell."""
        result = subprocess.run(["bash", str(HARNESS), *phase], env=self.env, capture_output=True,
                                text=True, timeout=60, cwd=REPO)
        if check:
            assert result.returncode == 0, f"{phase}: rc {result.returncode}\n{result.stderr}"
        return result

    def calls(self) -> list[list[str]]:
        path = self.root / "calls"
        return [shlex.split(line) for line in path.read_text().splitlines()] if path.exists() else []

    def names(self) -> list[str]:
        return [call[0] for call in self.calls()]

    def clear(self) -> None:
        (self.root / "calls").write_text("")

    def ini(self, relative: str) -> configparser.RawConfigParser:
        # DEFAULT as an ordinary section, so items("nova") holds only [nova]'s options.
        parser = configparser.RawConfigParser(strict=False, default_section="__no_defaults__")
        parser.optionxform = str
        path = self.root / relative
        assert path.is_file(), f"{relative} was not written"
        parser.read(path)
        return parser

    @property
    def conf(self) -> str:
        return str(self.root / "etc/masakari-ha/masakari-ha.conf")

    @property
    def monitors_conf(self) -> str:
        return str(self.root / "etc/masakari-ha-monitors/monitors.conf")


@pytest.fixture
def controller(tmp_path) -> Devstack:
    return Devstack(tmp_path, CONTROLLER)


def _find_shellcheck() -> str:
    found = shutil.which("shellcheck")
    if found:
        return found
    install = subprocess.run(["bash", "-c", f"source {REPO}/tools/lib.sh && apt_install shellcheck"],
                             capture_output=True, text=True, timeout=900)
    found = shutil.which("shellcheck")
    if found:
        return found
    reason = ("shellcheck is not installed and could not be installed with apt "
              f"(rc {install.returncode}: {install.stderr.strip()[-300:]})")
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip("SKIPPED LOUDLY: " + reason + "; install it with: apt-get install shellcheck")


def test_shellcheck_is_clean():
    shellcheck = _find_shellcheck()
    files = [REPO / "devstack/plugin.sh", REPO / "devstack/settings", HARNESS]
    result = subprocess.run([shellcheck, "--shell=bash", "--severity=style", *map(str, files)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_install_installs_the_package(controller):
    controller.run("stack", "install")
    calls = controller.calls()
    assert ["setup_develop", str(controller.root / "opt-stack/masakari-ha")] in calls
    # libvirt binding only for the instance monitor
    assert not {"pip_install", "pip_install_gr"} & set(controller.names())


def test_install_adds_libvirt_for_the_instance_monitor(tmp_path):
    node = Devstack(tmp_path, "n-cpu,masakari-ha-instancemonitor", DISABLED_SERVICES="masakari-ha-api,masakari-ha-engine")
    node.run("stack", "install")
    assert ["pip_install_gr", "libvirt-python"] in node.calls()


def _assert_registered(conf: configparser.RawConfigParser, list_opts=None) -> None:
    """Every option the plugin wrote is one masakari_ha (or, with ``list_opts``, the
    monitors) registers, or an oslo library's."""
    if list_opts is None:
        from masakari_ha.conf.opts import list_opts
    known = {(group if isinstance(group, str) else group.name, opt.dest)
             for group, group_opts in list_opts() for opt in group_opts}
    for section in conf.sections():
        if section == "keystone_authtoken":
            continue
        for option, _ in conf.items(section, raw=True):
            if section == "DEFAULT" and option in ("debug", "transport_url"):
                continue  # oslo.log / oslo.messaging
            assert (section, option) in known, f"[{section}] {option} is not a masakari_ha option"


def test_post_config_writes_the_service_config(controller):
    controller.run("stack", "post-config")
    conf = controller.ini("etc/masakari-ha/masakari-ha.conf")
    assert conf.get("DEFAULT", "auth_strategy") == "keystone"
    assert conf.get("DEFAULT", "masakari_api_listen_port") == "15868"
    assert conf.get("DEFAULT", "state_path") == str(controller.root / "data/masakari-ha")
    assert conf.get("DEFAULT", "transport_url").startswith("rabbit://")
    assert conf.get("database", "connection") == "mysql+pymysql://root:dbpass@127.0.0.1/masakari_ha?charset=utf8"
    assert conf.get("keystone_authtoken", "username") == "masakari_ha"
    assert dict(conf.items("nova")) == {
        "auth_type": "password", "auth_url": "http://10.0.0.5/identity", "username": "masakari_ha",
        "password": "secretservice", "project_name": "service", "user_domain_name": "Default",
        "project_domain_name": "Default", "region_name": "RegionOne"}
    assert conf.get("fencing", "driver") == "noop"
    assert conf.get("fencing", "required") == "True"
    assert not conf.has_section("maas")
    assert not conf.has_section("metrics")  # engine metrics port off by default
    _assert_registered(conf)


def test_post_config_registers_keystone_and_migrates(controller):
    controller.run("stack", "post-config")
    calls = controller.calls()
    assert ["create_service_user", "masakari_ha", "admin"] in calls
    assert ["create_service_user", "masakari_ha_monitor", "service"] in calls
    service = next(c for c in calls if c[0] == "get_or_create_service")
    assert service[1:3] == ["masakari", "instance-ha"]
    assert ["get_or_create_endpoint", "svc-instance-ha", "RegionOne", "http://10.0.0.5:15868/v1"] in calls
    assert ["recreate_database", "masakari_ha"] in calls
    sync = ["masakari-ha-manage", "--config-file", controller.conf, "db", "sync"]
    assert sync in calls
    names = controller.names()
    # the database is recreated and migrated after the config file names it
    last_iniset = max(i for i, c in enumerate(calls) if c[0] == "iniset" and c[1] == controller.conf)
    assert last_iniset < names.index("recreate_database") < calls.index(sync)
    # no monitor configuration on a controller without monitors
    assert not (controller.root / "etc/masakari-ha-monitors").exists()


def test_post_config_without_keystone_skips_accounts(tmp_path):
    node = Devstack(tmp_path, "mysql,rabbit")
    node.run("stack", "post-config")
    names = node.names()
    assert "create_service_user" not in names and "get_or_create_endpoint" not in names
    assert "recreate_database" in names


def test_engine_metrics_port(tmp_path):
    node = Devstack(tmp_path, CONTROLLER, MASAKARI_HA_ENGINE_METRICS_PORT="15869")
    node.run("stack", "post-config")
    conf = node.ini("etc/masakari-ha/masakari-ha.conf")
    assert conf.get("metrics", "engine_port") == "15869"
    assert conf.get("metrics", "engine_listen") == "0.0.0.0"
    _assert_registered(conf)


def test_maas_fencing_needs_url_and_key(tmp_path):
    node = Devstack(tmp_path, CONTROLLER, MASAKARI_HA_FENCING_DRIVER="maas")
    result = node.run("stack", "post-config", check=False)
    assert result.returncode != 0
    assert "die" in node.names()
    assert "recreate_database" not in node.names()

    node = Devstack(tmp_path / "ok", CONTROLLER, MASAKARI_HA_FENCING_DRIVER="maas",
                    MASAKARI_HA_MAAS_URL="https://maas.example.com:5240/MAAS",
                    MASAKARI_HA_MAAS_API_KEY_FILE="/etc/masakari-ha/maas.key")
    node.root.mkdir()
    node.run("stack", "post-config")
    conf = node.ini("etc/masakari-ha/masakari-ha.conf")
    assert conf.get("fencing", "driver") == "maas"
    assert conf.get("maas", "url") == "https://maas.example.com:5240/MAAS"
    assert conf.get("maas", "api_key_file") == "/etc/masakari-ha/maas.key"


def test_extra_starts_api_then_engine(controller):
    controller.run("stack", "post-config")
    controller.clear()
    controller.run("stack", "extra")
    calls = controller.calls()
    bin_dir = controller.root / "bin"
    api = ["run_process", "masakari-ha-api", f"{bin_dir}/masakari-ha-api --config-file {controller.conf}"]
    engine = ["run_process", "masakari-ha-engine", f"{bin_dir}/masakari-ha-engine --config-file {controller.conf}"]
    wait = ["wait_for_service", "60", "http://10.0.0.5:15868/"]
    assert calls.index(api) < calls.index(wait) < calls.index(engine)
    assert [c for c in calls if c[0] == "run_process"] == [api, engine]


def test_extra_dies_when_the_api_does_not_answer(tmp_path):
    node = Devstack(tmp_path, CONTROLLER, WAIT_FOR_SERVICE_RC="1")
    result = node.run("stack", "extra", check=False)
    assert result.returncode != 0
    assert "die" in node.names()
    assert not any(c[:2] == ["run_process", "masakari-ha-engine"] for c in node.calls())


def test_compute_node_runs_only_the_monitors(tmp_path):
    node = Devstack(tmp_path, "n-cpu," + MONITORS, DISABLED_SERVICES="masakari-ha-api,masakari-ha-engine")
    node.run("stack", "install")
    node.run("stack", "post-config")
    names = node.names()
    assert "recreate_database" not in names and "create_service_user" not in names
    assert not (tmp_path / "etc/masakari-ha/masakari-ha.conf").exists()

    conf = node.ini("etc/masakari-ha-monitors/monitors.conf")
    assert conf.get("api", "username") == "masakari_ha_monitor"
    assert conf.get("api", "auth_url") == "http://10.0.0.5/identity"
    assert conf.get("api", "region") == "RegionOne"
    assert conf.get("libvirt", "connection_uri") == "qemu:///system"
    from monitors.conf.opts import list_opts as monitor_opts
    _assert_registered(conf, monitor_opts)
    process_list = conf.get("process", "process_list_path")
    entries = yaml.safe_load(pathlib.Path(process_list).read_text())
    # the argv prefix nova-compute really has: the script's interpreter, then the script
    assert entries[0]["process_name"] == (
        f"/opt/stack/data/venv/bin/python3 {tmp_path}/nova-bin/nova-compute")
    assert entries[0]["restart_command"] == ["sudo", "systemctl", "restart", "devstack@n-cpu"]

    node.clear()
    node.run("stack", "extra")
    started = [c[1] for c in node.calls() if c[0] == "run_process"]
    assert started == MONITORS.split(",")
    for call in node.calls():
        if call[0] == "run_process":
            assert call[2].endswith(f"--config-file {node.monitors_conf}")
    assert "wait_for_service" not in node.names()


def test_process_list_honours_an_explicit_command_line(tmp_path):
    node = Devstack(tmp_path, "n-cpu,masakari-ha-processmonitor",
                    DISABLED_SERVICES="masakari-ha-api,masakari-ha-engine",
                    MASAKARI_HA_NOVA_COMPUTE_CMDLINE="/usr/bin/python3 /usr/local/bin/nova-compute")
    node.run("stack", "post-config")
    path = node.ini("etc/masakari-ha-monitors/monitors.conf").get("process", "process_list_path")
    assert yaml.safe_load(pathlib.Path(path).read_text())[0]["process_name"] == (
        "/usr/bin/python3 /usr/local/bin/nova-compute")


def test_unstack_stops_everything_and_clean_removes_state(controller):
    controller.run("stack", "post-config")
    controller.clear()
    controller.run("unstack")
    stopped = [c[1] for c in controller.calls() if c[0] == "stop_process"]
    assert sorted(stopped) == sorted(["masakari-ha-api", "masakari-ha-engine", *MONITORS.split(",")])
    assert (controller.root / "etc/masakari-ha/masakari-ha.conf").exists()  # unstack keeps config

    controller.run("clean")
    assert not (controller.root / "etc/masakari-ha").exists()
    assert not (controller.root / "data/masakari-ha").exists()


def test_nothing_happens_when_all_services_are_disabled(tmp_path):
    node = Devstack(tmp_path, "key,n-cpu",
                    DISABLED_SERVICES="masakari-ha-api,masakari-ha-engine")
    for phase in (("stack", "install"), ("stack", "post-config"), ("stack", "extra"), ("unstack",),
                  ("clean",)):
        node.run(*phase)
    assert set(node.names()) <= {"enable_service"}


def test_readme_is_valid_rst_and_documents_enable_plugin():
    import docutils.core

    text = (REPO / "devstack/README.rst").read_text()
    docutils.core.publish_doctree(text, settings_overrides={"halt_level": 2, "report_level": 2})
    assert "enable_plugin masakari-ha " in text
    settings = (REPO / "devstack/settings").read_text()
    for name in sorted(set(re.findall(r"^(MASAKARI_HA_[A-Z_]+)=", settings, re.M))):
        if name in ("MASAKARI_HA_BIN_DIR", "MASAKARI_HA_CONF", "MASAKARI_HA_MONITORS_CONF",
                    "MASAKARI_HA_PROCESS_LIST", "MASAKARI_HA_MONITORS_STATE_PATH"):
            continue  # derived paths
        assert f"``{name}``" in text, f"devstack/README.rst does not document {name}"


STACK_SH = ["stack", "pre-install", "--", "stack", "install", "--", "stack", "post-config", "--",
            "stack", "extra", "--", "stack", "test-config"]


def test_every_phase_as_stack_sh_unstack_sh_and_clean_sh(tmp_path):
    """All-in-one node: stack.sh's five phases in one shell, then unstack.sh, clean.sh, and
    stack.sh again (a re-stack after clean must work)."""
    node = Devstack(tmp_path, f"{CONTROLLER},n-cpu,{MONITORS}")
    node.run(*STACK_SH)
    calls = node.calls()
    conf, monitors_conf = node.conf, node.monitors_conf
    bin_dir = node.root / "bin"

    def at(match) -> int:
        found = [i for i, call in enumerate(calls) if match(call)]
        assert found, "expected call missing"
        return found[0]

    order = [
        at(lambda c: c[0] == "setup_develop"),
        at(lambda c: c == ["pip_install_gr", "libvirt-python"]),
        at(lambda c: c[:2] == ["iniset", conf]),
        at(lambda c: c[0] == "create_service_user"),
        at(lambda c: c[0] == "recreate_database"),
        at(lambda c: c == ["masakari-ha-manage", "--config-file", conf, "db", "sync"]),
        at(lambda c: c[:2] == ["iniset", monitors_conf]),
        at(lambda c: c[:2] == ["run_process", "masakari-ha-api"]),
        at(lambda c: c[0] == "wait_for_service"),
        at(lambda c: c[:2] == ["run_process", "masakari-ha-engine"]),
        *[at(lambda c, m=m: c[:2] == ["run_process", m]) for m in MONITORS.split(",")],
    ]
    assert order == sorted(order), order
    assert order[-1] == len(calls) - 1      # test-config adds nothing after the last start
    assert [c[1] for c in calls if c[0] == "echo_summary"] == [
        "Installing masakari-ha", "Configuring masakari-ha", "Configuring masakari-ha monitors",
        "Starting masakari-ha"]
    assert [c for c in calls if c[0] == "run_process"][-1] == [
        "run_process", "masakari-ha-processmonitor",
        f"{bin_dir}/masakari-ha-processmonitor --config-file {monitors_conf}"]
    assert "die" not in node.names()

    node.clear()
    node.run("unstack")
    assert sorted(c[1] for c in node.calls() if c[0] == "stop_process") == sorted(
        ["masakari-ha-api", "masakari-ha-engine", *MONITORS.split(",")])
    node.run("clean")
    for gone in ("etc/masakari-ha", "etc/masakari-ha-monitors", "data/masakari-ha",
                 "data/masakari-ha-monitors"):
        assert not (node.root / gone).exists(), gone

    node.clear()
    node.run(*STACK_SH)
    written = node.ini("etc/masakari-ha/masakari-ha.conf")
    assert written.get("DEFAULT", "auth_strategy") == "keystone"
    assert node.ini("etc/masakari-ha-monitors/monitors.conf").has_section("api")
    assert len([c for c in node.calls() if c[0] == "run_process"]) == 5


def test_pre_install_and_test_config_do_nothing(tmp_path):
    node = Devstack(tmp_path, f"{CONTROLLER},n-cpu,{MONITORS}")
    node.run("stack", "pre-install", "--", "stack", "test-config")
    assert set(node.names()) <= {"enable_service"}
    assert not (tmp_path / "etc").exists() and not (tmp_path / "data").exists()


def test_phases_of_one_shell_stop_at_the_first_failure(tmp_path):
    """As in stack.sh: a phase that dies ends the run; later phases never start."""
    node = Devstack(tmp_path, CONTROLLER, MASAKARI_HA_FENCING_DRIVER="maas")
    result = node.run("stack", "install", "--", "stack", "post-config", "--", "stack", "extra",
                      check=False)
    assert result.returncode != 0
    assert "die" in node.names() and "run_process" not in node.names()


def test_monitors_metrics_ports(tmp_path):
    node = Devstack(tmp_path, "n-cpu,masakari-ha-hostmonitor,masakari-ha-processmonitor",
                    DISABLED_SERVICES="masakari-ha-api,masakari-ha-engine",
                    MASAKARI_HA_MONITORS_METRICS_PORT="15870")
    node.run("stack", "post-config", "--", "stack", "extra")
    etc = node.root / "etc/masakari-ha-monitors"
    host_metrics, process_metrics = (str(etc / f"masakari-ha-{m}-metrics.conf")
                                     for m in ("hostmonitor", "processmonitor"))
    assert not (etc / "masakari-ha-instancemonitor-metrics.conf").exists()
    from monitors.conf.opts import list_opts as monitor_opts
    for path, port in ((host_metrics, "15870"), (process_metrics, "15872")):   # +2: processmonitor
        conf = node.ini(path)
        assert dict(conf.items("metrics")) == {"listen_address": "0.0.0.0", "listen_port": port}
        _assert_registered(conf, monitor_opts)
    starts = {c[1]: c[2] for c in node.calls() if c[0] == "run_process"}
    assert starts["masakari-ha-hostmonitor"].endswith(
        f"--config-file {node.monitors_conf} --config-file {host_metrics}")
    assert starts["masakari-ha-processmonitor"].endswith(f"--config-file {process_metrics}")

    # The monitors' own option parser reads the two files as the started command gives them.
    from monitors import conf as monitors_conf
    parsed = monitors_conf.new_conf()
    parsed(shlex.split(starts["masakari-ha-hostmonitor"])[1:], project="masakari-ha-monitors",
           default_config_files=[])
    assert (parsed.metrics.listen_address, parsed.metrics.listen_port) == ("0.0.0.0", 15870)
    assert parsed.process.process_list_path == str(etc / "process_list.yaml")  # monitors.conf

    # Turned off again: the files go, the monitors start with monitors.conf only.
    node.env["MASAKARI_HA_MONITORS_METRICS_PORT"] = "0"
    node.clear()
    node.run("stack", "post-config", "--", "stack", "extra")
    assert not list(etc.glob("*-metrics.conf"))
    for call in node.calls():
        if call[0] == "run_process":
            assert call[2].endswith(f"--config-file {node.monitors_conf}")


def test_readme_enable_plugin_lines_are_usable():
    """Every documented enable_plugin line: the plugin's name (the directory settings
    expects under $DEST), a git URL DevStack can clone (no placeholder), a branch."""
    text = (REPO / "devstack/README.rst").read_text()
    lines = [line.split() for line in text.splitlines()
             if line.strip().startswith("enable_plugin ")]
    assert len(lines) >= 2, "devstack/README.rst documents no enable_plugin line"
    settings = (REPO / "devstack/settings").read_text()
    for words in lines:
        assert len(words) == 4, words
        _, name, url, branch = words
        assert f"MASAKARI_HA_DIR=${{MASAKARI_HA_DIR:-$DEST/{name}}}" in settings, name
        assert re.fullmatch(r"(file|https|ssh|git)://[\w@.:-]*/[\w./-]+", url), url
        assert not re.search(r"example\.(org|com|net)|<|>|your", url), url
        assert branch == "main"
