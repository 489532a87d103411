"""WSGI middleware: an oversize body is drained before the 413 so the answer reaches the client."""

import io
import json

from masakari_ha.api import middleware


class _Recorder:
    def __init__(self):
        self.status = None

    def __call__(self, status, headers, exc_info=None):
        self.status = status


def _app_refusing_oversize(limit):
    """Stands for the Flask app: refuses a declared length over the limit without reading."""

    def app(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > limit:
            start_response("413 Request Entity Too Large", [("Content-Type", "application/json")])
            return [json.dumps({"overLimit": {"code": 413, "message": "too large"}}).encode()]
        body = environ["wsgi.input"].read(length)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return app


def _call(app, body: bytes, declared: int | None = None):
    stream = io.BytesIO(body)
    environ = {"CONTENT_LENGTH": str(len(body) if declared is None else declared), "wsgi.input": stream}
    recorder = _Recorder()
    result = b"".join(app(environ, recorder))
    return recorder.status, result, stream


def test_oversize_body_is_read_to_the_end_before_the_413():
    app = middleware.DrainOversizeBody(_app_refusing_oversize(100), limit=100)
    status, body, stream = _call(app, b"x" * 300_000)
    assert status.startswith("413")
    assert json.loads(body)["overLimit"]["code"] == 413
    assert stream.read() == b""  # nothing left unread on the "socket"


def test_body_within_the_limit_reaches_the_app_untouched():
    app = middleware.DrainOversizeBody(_app_refusing_oversize(100), limit=100)
    status, body, _ = _call(app, b"y" * 100)
    assert status.startswith("200")
    assert body == b"y" * 100


def test_bodies_beyond_the_drain_limit_are_not_read():
    app = middleware.DrainOversizeBody(_app_refusing_oversize(100), limit=100, drain_limit=1000)
    status, _, stream = _call(app, b"z" * 5000)
    assert status.startswith("413")
    assert stream.tell() == 0


def test_short_body_with_a_lying_content_length_does_not_hang():
    app = middleware.DrainOversizeBody(_app_refusing_oversize(100), limit=100)
    status, _, _ = _call(app, b"short", declared=10_000)
    assert status.startswith("413")


def test_garbage_content_length_is_left_to_the_app():
    seen = {}

    def app(environ, start_response):
        seen["input"] = environ["wsgi.input"]
        start_response("400 Bad Request", [])
        return [b""]

    stream = io.BytesIO(b"abc")
    environ = {"CONTENT_LENGTH": "not-a-number", "wsgi.input": stream}
    b"".join(middleware.DrainOversizeBody(app, limit=1)(environ, _Recorder()))
    assert seen["input"] is stream and stream.tell() == 0
