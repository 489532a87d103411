"""The API's messaging hook over a real RabbitMQ: a stored notification is cast as
``process_notification`` on the engines' topic/exchange; with the broker unreachable the
request still answers 202 and the notification stays ``new`` for the engines' sweep.
"""

from __future__ import annotations

import queue
import time
import uuid

import oslo_messaging
import pytest
import requests
from oslo_config import cfg

from masakari_ha import rpc
from masakari_ha.conf import messaging as messaging_opts
from tests.integration.conftest import start_api

TOPIC = "ha_engine_it_" + uuid.uuid4().hex[:8]   # private topic: no real engine on the machine consumes it


class _Recorder:
    def __init__(self):
        self.received: queue.Queue = queue.Queue()

    def process_notification(self, ctxt, notification_uuid):
        self.received.put((ctxt, notification_uuid))


@pytest.fixture
def engine_listener(rabbit_url):
    """A real oslo.messaging RPC server on RabbitMQ standing in for the engine's endpoint."""
    conf = cfg.ConfigOpts()
    messaging_opts.register_opts(conf)
    # oslo.messaging 18.x registers its tracing options on the global CONF only, and its server
    # dispatch reads them from the server's conf: a private ConfigOpts needs them too.
    from oslo_messaging._tracing import client as tracing_client
    conf.register_opts(tracing_client.oslo_messaging_tracing, group="oslo_messaging_tracing")
    conf([], project="masakari_ha_it", default_config_files=[])
    rpc.register_opts(conf)
    conf.set_override("transport_url", rabbit_url)
    conf.set_override("masakari_topic", TOPIC)
    transport = oslo_messaging.get_rpc_transport(conf)
    recorder = _Recorder()
    server = oslo_messaging.get_rpc_server(transport, rpc.engine_target(conf, server="it-engine"), [recorder])
    server.start()
    yield recorder
    server.stop()
    server.wait()
    transport.cleanup()


def _segment_and_host(base: str) -> str:
    seg = requests.post(base + "/v1/segments", json={"segment": {"name": "msg-" + uuid.uuid4().hex[:6],
                                                               "recovery_method": "auto",
                                                               "service_type": "COMPUTE"}}).json()["segment"]
    name = "msg-host-" + uuid.uuid4().hex[:6]
    resp = requests.post(base + f"/v1/segments/{seg['uuid']}/hosts",
                         json={"host": {"name": name, "type": "COMPUTE", "control_attributes": "SSH"}})
    assert resp.status_code == 201, resp.text
    return name


def _notify(base: str, hostname: str) -> requests.Response:
    return requests.post(base + "/v1/notifications", json={"notification": {
        "type": "PROCESS", "hostname": hostname, "generated_time": "2026-11-21T05:00:00",
        "payload": {"process_name": "nova-compute", "event": "STOPPED"}}}, timeout=60)


def test_notification_is_cast_to_the_engine_topic(servers, rabbit_url, engine_listener, tmp_path_factory):
    api, db = start_api(servers, tmp_path_factory, "sqlite", 2, transport_url=rabbit_url,
                        extra_conf=f"[DEFAULT]\nmasakari_topic = {TOPIC}\n")
    try:
        host = _segment_and_host(api.base_url)
        resp = _notify(api.base_url, host)
        assert resp.status_code == 202, resp.text
        uuid_sent = resp.json()["notification"]["notification_uuid"]
        ctxt, uuid_received = engine_listener.received.get(timeout=30)
        assert uuid_received == uuid_sent
        assert ctxt.get("request_id", "").startswith("req-")
        assert "auth_token" not in ctxt
    finally:
        api.stop()
        db.drop()


def test_broker_down_still_accepts_and_leaves_notification_new(servers, tmp_path_factory):
    dead_broker = "rabbit://masakari:masakaripass@127.0.0.1:9/masakari"   # nothing listens on port 9
    api, db = start_api(servers, tmp_path_factory, "sqlite", 1, transport_url=dead_broker)
    try:
        host = _segment_and_host(api.base_url)
        started = time.monotonic()
        resp = _notify(api.base_url, host)
        elapsed = time.monotonic() - started
        assert resp.status_code == 202, resp.text
        assert elapsed < 30, f"a dead broker held the request for {elapsed:.1f}s"
        shown = requests.get(api.base_url + f"/v1/notifications/{resp.json()['notification']['notification_uuid']}")
        assert shown.json()["notification"]["status"] == "new"
        # the cast leaves from the API's background sender: its warning follows the 202
        deadline = time.monotonic() + 60
        while "Could not cast process_notification" not in api.log_file.read_text():
            assert time.monotonic() < deadline, "no warning about the failed cast in the API log"
            time.sleep(0.2)
    finally:
        api.stop()
        db.drop()
