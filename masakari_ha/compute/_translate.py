"""Turn novaclient / keystoneauth failures into :mod:`masakari_ha.compute.exceptions`.

Pure mapping (no I/O): given the caught exception and what we were doing, return the
exception to raise. The two Nova 400s the engine must recognise are matched on Nova's
message text, the only thing that tells them apart from other 400s.
"""

from __future__ import annotations

from keystoneauth1 import exceptions as ks_exc
from novaclient import exceptions as nova_exc

from masakari_ha.compute import exceptions as exc

_STILL_IN_USE_MARKERS = ("still in use",)
_FORCE_UP_MARKERS = ("unable to force up", "evacuation migration records remain")


def describe(action: str, *, host: str | None = None, instance: str | None = None) -> str:
    """``"evacuate of instance X (host Y)"``: the subject every message starts with."""
    parts = [action]
    if instance:
        parts.append(f"of instance {instance}")
    if host:
        parts.append(f"on host {host}" if instance else f"for host {host}")
    return " ".join(parts)


def status_of(error: BaseException) -> int | None:
    """HTTP status carried by a novaclient or keystoneauth exception, if any."""
    if isinstance(error, nova_exc.ClientException):
        code = getattr(error, "code", None)
        return code if isinstance(code, int) else None
    if isinstance(error, ks_exc.HttpError):
        return getattr(error, "http_status", None)
    return None


def nova_message(error: BaseException) -> str:
    """Nova's own explanation (novaclient keeps it in ``message``)."""
    message = getattr(error, "message", None)
    if isinstance(message, str) and message:
        return message
    return str(error) or type(error).__name__


def translate(
    error: BaseException,
    action: str,
    *,
    host: str | None = None,
    instance: str | None = None,
) -> exc.NovaError:
    """Map one failure of ``action`` to the exception tree.

    ``action`` is a short verb phrase ("evacuate", "force down"); ``host``/``instance``
    name what it was about so the message stands alone in a log or notification.
    """
    if isinstance(error, exc.NovaError):
        return error
    subject = describe(action, host=host, instance=instance)
    status = status_of(error)
    detail = nova_message(error)

    if status is None:
        if isinstance(error, (ks_exc.ConnectionError, ks_exc.RetriableConnectionFailure, TimeoutError, OSError)):
            return exc.NovaUnavailable(f"Nova {subject} failed: cannot reach Nova ({detail})")
        return exc.NovaError(f"Nova {subject} failed: {detail}")

    message = f"Nova {subject} failed: HTTP {status}: {detail}"
    lowered = detail.lower()
    if status == 400:
        if any(marker in lowered for marker in _FORCE_UP_MARKERS):
            return exc.ForceUpRefused(message, status_code=status)
        if any(marker in lowered for marker in _STILL_IN_USE_MARKERS):
            return exc.ComputeServiceStillInUse(message, status_code=status)
        return exc.NovaBadRequest(message, status_code=status)
    if status in (401, 403):
        return exc.NovaForbidden(message, status_code=status)
    if status == 404:
        return exc.NovaNotFound(message, status_code=status)
    if status == 409:
        return exc.NovaConflict(message, status_code=status)
    if status in (408, 429) or status >= 500:
        return exc.NovaUnavailable(message, status_code=status)
    return exc.NovaError(message, status_code=status)
