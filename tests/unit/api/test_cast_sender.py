"""The background cast sender: casts leave in order from another thread, a full queue
drops the cast with a warning (the sweep takes over), flush waits for what was queued."""

import threading

from masakari_ha.api.cast_sender import CastSender


class Recorder:
    def __init__(self, gate: threading.Event | None = None):
        self.casts = []
        self.threads = set()
        self.gate = gate

    def cast_process_notification(self, context, notification_uuid):
        if self.gate is not None:
            self.gate.wait(10)
        self.threads.add(threading.current_thread().name)
        self.casts.append((context, notification_uuid))
        return True


def test_casts_are_sent_in_order_from_the_sender_thread():
    client = Recorder()
    sender = CastSender(client)
    for i in range(20):
        assert sender.cast_process_notification({"request_id": i}, f"n-{i}") is True
    assert sender.flush(10)
    assert client.casts == [({"request_id": i}, f"n-{i}") for i in range(20)]
    assert client.threads == {"cast-sender"}


def test_full_queue_drops_the_cast_and_says_so(caplog):
    gate = threading.Event()
    client = Recorder(gate)
    sender = CastSender(client, max_queued=2)
    assert sender.cast_process_notification(None, "n-0")   # taken by the thread, blocked
    for _ in range(100):   # until the thread has taken n-0 off the queue
        if sender._queue.unfinished_tasks == 1 and sender._queue.qsize() == 0:
            break
        threading.Event().wait(0.01)
    assert sender.cast_process_notification(None, "n-1")
    assert sender.cast_process_notification(None, "n-2")
    with caplog.at_level("WARNING"):
        assert sender.cast_process_notification(None, "n-3") is False
    assert "notification n-3" in caplog.text and "sweep" in caplog.text
    assert not sender.flush(0.05)
    gate.set()
    assert sender.flush(10)
    assert [uuid for _, uuid in client.casts] == ["n-0", "n-1", "n-2"]


def test_a_raising_client_does_not_stop_the_sender(caplog):
    class Flaky(Recorder):
        def cast_process_notification(self, context, notification_uuid):
            if notification_uuid == "bad":
                raise RuntimeError("boom")
            return super().cast_process_notification(context, notification_uuid)

    client = Flaky()
    sender = CastSender(client)
    with caplog.at_level("ERROR"):
        sender.cast_process_notification(None, "bad")
        sender.cast_process_notification(None, "good")
        assert sender.flush(10)
    assert [uuid for _, uuid in client.casts] == ["good"]
    assert "notification bad" in caplog.text


def test_flush_before_any_cast_is_immediate():
    assert CastSender(Recorder()).flush(0) is True
