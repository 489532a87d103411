"""After storing a notification the API casts ``process_notification`` to the engines;
a failed cast leaves the notification ``new`` and the request still succeeds."""

import sys
import threading
import types

import oslo_messaging
import pytest

from masakari_ha import rpc
from masakari_ha.api import create_app
from masakari_ha.cmd import all as all_cmd
from tests.functional.api.conftest import Api


class RecordingEndpoint:
    """The server side H4's engine implements, reduced to recording what arrives."""

    target = oslo_messaging.Target(version="1.0")

    def __init__(self):
        self.received = []
        self.event = threading.Event()

    def process_notification(self, context, notification_uuid):
        self.received.append((context, notification_uuid))
        self.event.set()


@pytest.fixture
def rpc_server(api_conf):
    endpoint = RecordingEndpoint()
    server = oslo_messaging.get_rpc_server(rpc.get_transport(api_conf), rpc.engine_target(
        api_conf, server="engine-test"), [endpoint], executor="threading")
    server.start()
    yield endpoint
    server.stop()
    server.wait()


def _host(api):
    api.host(api.segment()["uuid"], name="compute-1")


def test_cast_reaches_the_engine_topic(api, rpc_server):
    _host(api)
    global_id = "req-11111111-2222-3333-4444-555555555555"
    response = api.post("/v1/notifications", headers={"X-OpenStack-Request-ID": global_id},
                        json={"notification": {
                            "type": "COMPUTE_HOST", "hostname": "compute-1",
                            "generated_time": "2026-11-21T10:00:00",
                            "payload": {"event": "STOPPED", "host_status": "NORMAL"}}})
    assert response.status_code == 202
    assert rpc_server.event.wait(10), "process_notification never arrived"
    context, notification_uuid = rpc_server.received[0]
    assert notification_uuid == response.json["notification"]["notification_uuid"]
    assert context["is_admin"] is True
    assert context["request_id"] == response.headers["X-OpenStack-Request-ID"] != global_id
    assert context["global_request_id"] == global_id
    assert "auth_token" not in context


def test_topic_and_exchange_are_configurable(api_conf):
    api_conf.set_override("masakari_topic", "custom_topic")
    api_conf.set_override("engine_control_exchange", "custom_exchange")
    target = rpc.engine_target(api_conf)
    assert (target.topic, target.exchange, target.version) == ("custom_topic", "custom_exchange",
                                                               "1.0")


def test_failed_cast_still_202_and_stays_new(api_conf, caplog):
    api_conf.set_override("transport_url", "rabbit://guest:guest@127.0.0.1:9/")
    api_conf.set_override("engine_cast_retry", 0)
    api = Api(create_app(api_conf))
    _host(api)
    with caplog.at_level("WARNING"):
        notification = api.notify("compute-1")
        # the cast leaves from the background sender: wait until it was attempted
        assert api.app.flask_app.extensions["masakari_ha"].engine_client().flush(30)
    assert notification["status"] == "new"
    assert f"notification {notification['notification_uuid']}" in caplog.text
    stored = api.get(f"/v1/notifications/{notification['notification_uuid']}").json
    assert stored["notification"]["status"] == "new"


def test_engine_client_reports_failure(api_conf):
    api_conf.set_override("transport_url", "bogus://nowhere")
    assert rpc.EngineClient(api_conf).cast_process_notification(None, "n-1") is False


# ---- masakari-ha-all's in-process engine hook ----

def test_start_engine_in_process_without_engine_module(api_conf, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, all_cmd.ENGINE_MODULE, None)  # import fails
    with caplog.at_level("WARNING"):
        assert all_cmd.start_engine_in_process(api_conf) is None
    assert "serving the API only" in caplog.text


def test_start_engine_in_process_shares_the_api_transport(api, api_conf, monkeypatch):
    started = {}

    def start_in_process(conf, transport):
        endpoint = RecordingEndpoint()
        server = oslo_messaging.get_rpc_server(transport, rpc.engine_target(conf, server="all"),
                                               [endpoint], executor="threading")
        server.start()
        started.update(conf=conf, transport=transport, endpoint=endpoint, server=server)
        return server

    module = types.ModuleType(all_cmd.ENGINE_MODULE)
    module.start_in_process = start_in_process
    monkeypatch.setitem(sys.modules, all_cmd.ENGINE_MODULE, module)
    handle = all_cmd.start_engine_in_process(api_conf)
    try:
        assert handle is started["server"]
        assert started["transport"] is rpc.get_transport(api_conf)
        _host(api)
        notification = api.notify("compute-1")
        assert started["endpoint"].event.wait(10)
        assert started["endpoint"].received[0][1] == notification["notification_uuid"]
    finally:
        handle.stop()
        handle.wait()


def test_start_engine_in_process_accepts_an_engine_service_class(api_conf, monkeypatch):
    class EngineService:
        def __init__(self, conf, transport):
            self.conf, self.transport, self.started = conf, transport, False

        def start(self):
            self.started = True

    module = types.ModuleType(all_cmd.ENGINE_MODULE)
    module.EngineService = EngineService
    monkeypatch.setitem(sys.modules, all_cmd.ENGINE_MODULE, module)
    handle = all_cmd.start_engine_in_process(api_conf)
    assert handle.started and handle.transport is rpc.get_transport(api_conf)
