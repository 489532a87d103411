"""The instance monitor across a real libvirtd restart: it notices the closed connection,
retries with backoff while the daemon is down, reconnects, resyncs and keeps reporting.

libvirtd runs unprivileged (as ``nobody``, per-test runtime directory, no system paths) and
hosts the test driver, reached by ``test+unix:///default?socket=...``, so the monitor and the
test talk to it from different connections, as on a compute node.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import pytest

libvirt = pytest.importorskip(
    "libvirt", reason="LOUD SKIP: libvirt-python is not installed (tools/venv.sh installs it)")

from monitors import conf as monitors_conf  # noqa: E402
from monitors.instance.monitor import InstanceMonitor  # noqa: E402
from monitors.notifier.client import ApiClient  # noqa: E402
from monitors.notifier.sender import Notifier  # noqa: E402
from monitors.notifier.spool import Spool  # noqa: E402

HOST = "compute-lvd1"
LIBVIRTD = "/usr/sbin/libvirtd"


def wait_until(cond, timeout=20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class SessionLibvirtd:
    """An unprivileged libvirtd with its own runtime directory."""

    def __init__(self, base: str):
        self.base = base
        self.run_dir = os.path.join(base, "run")
        self.socket = os.path.join(self.run_dir, "libvirt", "libvirt-sock")
        self.uri = f"test+unix:///default?socket={self.socket}"
        self.proc = None
        os.makedirs(self.run_dir, exist_ok=True)
        shutil.chown(base, "nobody", "nogroup")
        shutil.chown(self.run_dir, "nobody", "nogroup")
        os.chmod(self.run_dir, 0o700)
        os.chmod(base, 0o755)

    def start(self) -> None:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": self.base,
               "XDG_RUNTIME_DIR": self.run_dir, "XDG_CONFIG_HOME": os.path.join(self.base, "cfg"),
               "XDG_CACHE_HOME": os.path.join(self.base, "cache")}
        log = open(os.path.join(self.base, "libvirtd.log"), "a")
        self.proc = subprocess.Popen(["setpriv", "--reuid", "nobody", "--regid", "nogroup",
                                      "--clear-groups", LIBVIRTD], env=env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        ok = wait_until(lambda: os.path.exists(self.socket) and self._answers(), 30)
        if not ok:
            self.stop()
            raise RuntimeError("libvirtd did not come up")

    def _answers(self) -> bool:
        try:
            libvirt.open(self.uri).close()
            return True
        except libvirt.libvirtError:
            return False

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None
        if os.path.exists(self.socket):
            os.unlink(self.socket)


@pytest.fixture
def libvirtd(tmp_path):
    if os.geteuid() != 0 or not os.path.exists(LIBVIRTD) or not shutil.which("setpriv"):
        pytest.skip("LOUD SKIP: needs root, /usr/sbin/libvirtd (apt libvirt-daemon) and setpriv "
                    "to run an unprivileged libvirtd")
    # pytest's tmp dirs are private to root; the unprivileged daemon needs its own tree.
    base = tempfile.mkdtemp(prefix="masakari-ha-libvirtd-")
    os.chmod(base, 0o755)
    d = SessionLibvirtd(base)
    try:
        d.start()
        yield d
    finally:
        d.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_libvirtd_restart_reconnect_resync_and_continue(tmp_path, api, libvirtd):
    api.register_hosts(HOST)
    conf = monitors_conf.new_conf()
    conf([], default_config_files=[])
    conf.set_override("endpoint_override", api.endpoint, group="api")
    notifier = Notifier(Spool(str(tmp_path / "spool")), ApiClient(conf).post,
                        initial_delay=0.05, max_delay=0.5)
    notifier.start()
    mon = InstanceMonitor(libvirtd.uri, HOST, notifier, known_file=str(tmp_path / "known.json"),
                          reconnect_initial=0.1, reconnect_max=0.5)
    stop = threading.Event()
    t = threading.Thread(target=mon.run, args=(stop,), daemon=True)
    t.start()
    try:
        assert mon.connected.wait(10)
        drv = libvirt.open(libvirtd.uri)

        def new_domain(conn):
            u = str(uuid.uuid4())
            return conn.defineXML(f"<domain type='test'><name>d-{u[:8]}</name><uuid>{u}</uuid>"
                                  "<memory>65536</memory><os><type>hvm</type></os></domain>")

        a = new_domain(drv)
        a.create()
        a.destroy()
        b = new_domain(drv)
        b.create()
        assert wait_until(lambda: b.UUIDString() in mon.running)
        b_uuid = b.UUIDString()

        libvirtd.stop()                                   # daemon goes away
        assert wait_until(lambda: not mon.connected.is_set(), 15), "close not noticed"
        time.sleep(1.5)                                   # several failed attempts (backoff)
        assert not mon.connected.is_set() and mon.reconnects >= 1

        libvirtd.start()                                  # back, with fresh test-driver state
        assert mon.connected.wait(15), "no reconnect after libvirtd came back"
        assert b_uuid not in mon.running                  # resynced: b no longer exists
        drv = libvirt.open(libvirtd.uri)
        c = new_domain(drv)
        c.create()
        c.destroy()
        got = api.wait_for(2, timeout=20)
        assert [(n["payload"]["instance_uuid"], n["payload"]["vir_domain_event"]) for n in got] \
            == [(a.UUIDString(), "STOPPED_DESTROYED"), (c.UUIDString(), "STOPPED_DESTROYED")]
        drv.close()
    finally:
        stop.set()
        t.join(10)
        notifier.stop()
