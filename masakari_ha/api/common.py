"""Helpers every resource module uses: state, policy, bodies, list parameters, responses."""

import dataclasses
import threading
from collections.abc import Callable

import orjson
from flask import Response, current_app, g, request

from masakari_ha import exception
from masakari_ha.api import policy, validation
from masakari_ha.db.listing import ListParams

STATE_KEY = "masakari_ha"


@dataclasses.dataclass
class AppState:
    """What a running app shares between requests (one per ``create_app`` call)."""

    conf: object
    enforcer: object
    engine_client_factory: Callable[[], object]
    _engine_client: object = None
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def engine_client(self):
        """The EngineClient, created on first use (after any fork)."""
        with self._lock:
            if self._engine_client is None:
                self._engine_client = self.engine_client_factory()
            return self._engine_client


def state() -> AppState:
    return current_app.extensions[STATE_KEY]


def conf():
    return state().conf


def authorize(action: str) -> None:
    """403 unless the caller may perform ``action``."""
    policy.authorize(state().enforcer, g.context, action)


def api_version():
    return g.api_version


def json_body(schema: dict) -> dict:
    """The request body parsed and validated against ``schema`` (400/413/415 otherwise)."""
    raw = request.get_data(cache=True)
    body = validation.parse_json_body(raw, request.headers.get("Content-Type"))
    validation.validate(schema, body)
    return body


def respond(body: dict | None, status: int = 200) -> Response:
    """A JSON response (or an empty one for 204)."""
    if body is None:
        response = Response(status=status)
        del response.headers["Content-Type"]
        return response
    # orjson: several times faster than the json module on long lists (a 500-host list
    # is ~200 KB of JSON), same document.
    return Response(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS), status=status,
                    content_type="application/json")


def list_params(allowed_filters: dict[str, Callable[[str, str], object]]) -> ListParams:
    """limit/marker/sort_key/sort_dir and typed filters from the query string.

    ``allowed_filters`` maps a query parameter to a converter ``(name, raw) -> value``
    that raises Invalid (400) for a bad value. Unknown parameters are ignored, as upstream.
    """
    args = request.args
    max_limit = conf().osapi_max_limit
    limit = max_limit
    if "limit" in args:
        limit = min(validation.query_int("limit", args.get("limit")), max_limit)
    if "page_size" in args:
        validation.query_int("page_size", args.get("page_size"))
    marker = args.get("marker")
    if marker is not None:
        marker = marker.strip()
        if not marker or len(marker) > 255:
            raise exception.Invalid(message="marker param must be an id or a uuid")
    filters = {}
    for name, convert in allowed_filters.items():
        if name in args:
            filters[name] = convert(name, args.get(name))
    return ListParams(
        limit=limit,
        marker=marker,
        sort_keys=[key.strip() for key in args.getlist("sort_key")],
        sort_dirs=[direction.strip().lower() for direction in args.getlist("sort_dir")],
        filters=filters,
    )


def string_filter(_name: str, value: str) -> str:
    return value


def bool_filter(name: str, value: str) -> bool:
    return validation.query_bool(name, value)


def choice_filter(choices) -> Callable[[str, str], str]:
    def convert(name: str, value: str) -> str:
        if value not in choices:
            raise exception.Invalid(
                message=f"Invalid value for {name}: {value!r}. Choose from {', '.join(choices)}."
            )
        return value

    return convert
