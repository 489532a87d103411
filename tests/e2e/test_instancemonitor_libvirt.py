"""masakari-ha-instancemonitor against a real libvirtd with real (tiny, TCG) qemu guests.

The failure is real: the guest's qemu process is killed with SIGKILL, which libvirt reports as
lifecycle STOPPED/FAILED; the monitor must turn it into a VM notification with the domain's UUID
that a real API process accepts — live, and after a restart of the monitor (resync against
what libvirt reports).
"""

import json
import uuid

import pytest

from tests.e2e.conftest import MonitorProcess, wait_for

pytestmark = pytest.mark.e2e

HOST = "lvhost1"


def monitor_config(api) -> str:
    return (
        "[DEFAULT]\n"
        "state_path = @STATE@\n"
        f"hostname = {HOST}\n"
        "[api]\n"
        f"endpoint_override = {api.url}\n"
        "[libvirt]\n"
        "connection_uri = qemu:///system\n"
        "[spool]\n"
        "retry_initial_delay = 0.2\n")


@pytest.fixture
def domain(libvirt_lab):
    """A defined tiny domain with a fresh UUID; destroyed and undefined afterwards."""
    created = []

    def make() -> tuple[str, str]:
        dom_uuid = str(uuid.uuid4())
        name = f"mhalab-{dom_uuid[:8]}"
        libvirt_lab.run("define-tiny", name, dom_uuid)
        created.append(name)
        return name, dom_uuid

    yield make
    for name in created:
        libvirt_lab.run("undefine", name, check=False)


def start_monitor(api, monitor_factory):
    mon = monitor_factory("instancemonitor", monitor_config(api))

    def connected():
        if not mon.alive():
            pytest.fail(f"instance monitor exited:\n{mon.output()[-3000:]}", pytrace=False)
        return (mon.health() or {}).get("status") == "ok"

    wait_for(connected, 30, "the instance monitor to connect to qemu:///system")
    return mon


def vm_events(api, dom_uuid: str) -> list[str]:
    return [n["payload"]["vir_domain_event"] for n in api.notifications(type="VM")
            if n["payload"].get("instance_uuid") == dom_uuid]


def test_killed_qemu_is_reported_as_stopped_failed(libvirt_lab, api_factory, monitor_factory, domain):
    api = api_factory("127.0.0.1", hosts=[HOST])
    mon = start_monitor(api, monitor_factory)
    name, dom_uuid = domain()
    libvirt_lab.run("start", name)
    wait_for(lambda: libvirt_lab.domstate(name).startswith("running"), 10, f"{name} running")

    libvirt_lab.run("kill-qemu", name)
    wait_for(lambda: "STOPPED_FAILED" in vm_events(api, dom_uuid), 30,
             lambda: f"STOPPED_FAILED for {name} (monitor:\n{mon.output()[-3000:]})")
    assert "crashed" in libvirt_lab.domstate(name)
    failed = [n for n in api.notifications(type="VM")
              if n["payload"].get("vir_domain_event") == "STOPPED_FAILED"]
    assert len(failed) == 1, failed
    assert failed[0]["hostname"] == HOST
    assert failed[0]["payload"] == {"event": "LIFECYCLE", "instance_uuid": dom_uuid,
                                    "vir_domain_event": "STOPPED_FAILED"}


def test_guest_killed_while_monitor_was_down_is_reported_after_restart(
        libvirt_lab, api_factory, monitor_factory, domain):
    api = api_factory("127.0.0.1", hosts=[HOST])
    mon = start_monitor(api, monitor_factory)
    name, dom_uuid = domain()
    libvirt_lab.run("start", name)
    wait_for(lambda: libvirt_lab.domstate(name).startswith("running"), 10, f"{name} running")
    wait_for(lambda: (mon.health() or {}).get("detail", {}).get("running_domains") == 1, 10,
             lambda: f"the monitor to count {name} as running (health {mon.health()})")
    mon.stop()
    known = mon.state / "instancemonitor" / "running.json"
    assert dom_uuid in json.loads(known.read_text()), "the stopped monitor did not save its running list"

    libvirt_lab.run("kill-qemu", name)
    wait_for(lambda: "crashed" in libvirt_lab.domstate(name), 10, f"{name} to be shut off (crashed)")
    assert "STOPPED_FAILED" not in vm_events(api, dom_uuid)

    # A new monitor process on the same state directory resyncs with libvirt.
    restarted = MonitorProcess("instancemonitor", mon.workdir, monitor_config(api), [])
    try:
        wait_for(lambda: "STOPPED_FAILED" in vm_events(api, dom_uuid), 30,
                 lambda: f"STOPPED_FAILED from the resync (monitor:\n{restarted.output()[-3000:]})")
    finally:
        restarted.stop()
    assert vm_events(api, dom_uuid).count("STOPPED_FAILED") == 1
