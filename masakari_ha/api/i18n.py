"""Fault messages in the caller's language: oslo.i18n lazy translation + Accept-Language.

The API builds fault messages as oslo.i18n lazy ``Message`` objects (the English text is
the message id) and translates them only when it renders the fault, into the best match
of the request's ``Accept-Language`` among the catalogs installed for the ``masakari_ha``
domain (``<localedir>/<lang>/LC_MESSAGES/masakari_ha.mo``; the directory comes from
``$MASAKARI_HA_LOCALEDIR`` or the system's default, as for every oslo.i18n domain).
Without a catalog for the asked language, or without the header, the English text is
sent, as before.

Exceptions of :mod:`masakari_ha.exception` carry their format (``msg_fmt``) and the
values (``kwargs``): :func:`lazy_message` re-creates their message as a translatable
``Message`` from those, so the exception tree itself needs no change.
"""

from __future__ import annotations

import oslo_i18n
from oslo_i18n import _message

DOMAIN = "masakari_ha"
ENGLISH = "en_US"


def _(msgid: str) -> str:
    """A lazy Message of the ``masakari_ha`` domain, translated when rendered.

    Built directly rather than through ``oslo_i18n.enable_lazy()``: that switch is
    process-wide and would turn every library's ``_()`` lazy too (``"x" + message``
    raises on a lazy Message), also in masakari-ha-all's engine.
    """
    return _message.Message(msgid, domain=DOMAIN)


def available_languages() -> list[str]:
    """Languages with a catalog for the ``masakari_ha`` domain (``en_US`` always first)."""
    return oslo_i18n.get_available_languages(DOMAIN)


def best_language(accept_languages) -> str | None:
    """The best available language for werkzeug's parsed ``Accept-Language`` (or None)."""
    if not accept_languages:
        return None
    return accept_languages.best_match(available_languages())


def _is_lazy(message) -> bool:
    return isinstance(message, _message.Message)


def lazy_message(error) -> str:
    """``error.message`` as a translatable Message.

    A message derived from the exception's ``msg_fmt`` is rebuilt as
    ``_(msg_fmt) % kwargs`` (the catalog holds the format); an explicit message is looked
    up as a whole; a message that already is a lazy Message is returned as it is.
    """
    message = error.message
    if _is_lazy(message):
        return message
    msg_fmt = getattr(error, "msg_fmt", None)
    kwargs = getattr(error, "kwargs", None) or {}
    if msg_fmt:
        if kwargs:
            try:
                derived = msg_fmt % kwargs
            except (KeyError, TypeError, ValueError):
                derived = None
            if derived == message:
                return _(msg_fmt) % kwargs
        elif message == msg_fmt:
            return _(msg_fmt)
    return _(message)


def translate(message, language: str | None) -> str:
    """``message`` rendered in ``language``; English (the message id) when None.

    A request that names no language gets English whatever the server's locale, so
    answers do not depend on how the service was started.
    """
    return str(oslo_i18n.translate(message, language or ENGLISH))
