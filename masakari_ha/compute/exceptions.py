"""What can go wrong talking to Nova, as a small tree callers catch at the right level.

::

    NovaError                         anything Nova refused or we could not understand
    ├── NovaBadRequest                400
    │   ├── ComputeServiceStillInUse  400 on evacuate: the source nova-compute is still up
    │   └── ForceUpRefused            400 on un-forcing: ``done`` evacuation records remain
    ├── NovaForbidden                 401/403 (bad credentials or policy)
    ├── NovaNotFound                  404
    ├── NovaConflict                  409 (instance/task state conflict, already member ...)
    ├── NovaUnsupported               the server's microversion range does not fit ours
    ├── NovaMisconfigured             the [nova] section cannot build a session/client
    └── NovaUnavailable               5xx, timeouts, connection errors: worth retrying

Every message names the host and/or instance it is about, so a log line or a
notification's error message is enough to act on. ``status_code`` keeps Nova's HTTP
status (``None`` when the request never got an answer); ``retryable`` tells the engine
whether repeating the same call may succeed.

These are :class:`masakari_ha.exception.MasakariHAError` subclasses with ``code`` 500
(503 for :class:`NovaUnavailable`): if one ever escapes into the API, the client sees
that *Nova* failed, never Nova's own 404 passed off as ours.
"""

from __future__ import annotations

from masakari_ha.exception import MasakariHAError


class NovaError(MasakariHAError):
    """Base of every Nova failure."""

    code = 500
    msg_fmt = "Nova request failed: %(reason)s"
    retryable = False

    def __init__(self, message: str | None = None, *, status_code: int | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.status_code = status_code


class NovaBadRequest(NovaError):
    """Nova answered 400: the request was invalid in Nova's current state."""


class ComputeServiceStillInUse(NovaBadRequest):
    """Evacuate refused because Nova still sees the source compute service up.

    Force the service down (or wait until Nova marks it down) and evacuate again.
    """


class ForceUpRefused(NovaBadRequest):
    """Un-forcing the service refused: ``done`` evacuation records still point at the host.

    Nova clears them when the evacuated-from nova-compute restarts; until then the host
    stays forced down.
    """


class NovaForbidden(NovaError):
    """401/403: the ``[nova]`` credentials are wrong or lack the admin role."""


class NovaNotFound(NovaError):
    """404: the server, service or aggregate does not exist (any more)."""


class NovaConflict(NovaError):
    """409: Nova refused because of the resource's current state."""


class NovaUnsupported(NovaError):
    """The server's microversion range and ours do not overlap enough to work safely."""


class NovaMisconfigured(NovaError):
    """The ``[nova]`` options cannot build a session or client (names what is wrong)."""


class NovaUnavailable(NovaError):
    """5xx, timeout or connection failure: Nova may answer if asked again."""

    code = 503
    retryable = True
