"""A real ``masakari-ha-api`` with two gunicorn workers: /metrics counts every notification
whichever worker took it and whichever worker answers the scrape (multiprocess mode)."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_workers_one_exposition(tmp_path):
    port = _free_port()
    conf = tmp_path / "api.conf"
    conf.write_text(f"[DEFAULT]\nstate_path = {tmp_path / 'state'}\nauth_strategy = noauth\n"
                    f"masakari_api_listen = 127.0.0.1\nmasakari_api_listen_port = {port}\n"
                    "masakari_api_workers = 2\ntransport_url = fake://\n"
                    f"[database]\nconnection = sqlite:///{tmp_path / 'api.sqlite'}\n"
                    "[nova]\nvalidate_host_names = false\n")
    subprocess.run([str(BIN / "masakari-ha-manage"), "--config-file", str(conf), "db", "sync"],
                   check=True, capture_output=True, timeout=120)
    log = open(tmp_path / "api.log", "w")
    proc = subprocess.Popen([str(BIN / "masakari-ha-api"), "--config-file", str(conf)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "api.log").read_text()[-2000:]
            try:
                if requests.get(base + "/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.2)
        session = requests.Session()
        segment = session.post(base + "/v1/segments", json={"segment": {
            "name": "s1", "recovery_method": "auto", "service_type": "COMPUTE"}}).json()["segment"]
        session.post(f"{base}/v1/segments/{segment['uuid']}/hosts", json={"host": {
            "name": "cmp1", "type": "COMPUTE", "control_attributes": "SSH"}}).raise_for_status()
        for _ in range(8):
            # A new connection each time, so both workers take some.
            response = requests.post(base + "/v1/notifications", json={"notification": {
                "type": "VM", "hostname": "cmp1", "generated_time": "2026-11-21T10:00:00",
                "payload": {"event": "LIFECYCLE", "instance_uuid": str(uuid.uuid4()),
                            "vir_domain_event": "STOPPED_FAILED"}}}, timeout=30)
            assert response.status_code == 202, response.text
        assert list((tmp_path / "state" / "prometheus").glob("counter_*.db"))
        for _ in range(4):
            text = requests.get(base + "/metrics", timeout=30).text
            values = {(s.name, tuple(sorted(s.labels.items()))): s.value
                      for f in text_string_to_metric_families(text) for s in f.samples}
            assert values[("masakari_ha_notifications_received_total",
                           (("status", "new"), ("type", "VM")))] == 8
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
