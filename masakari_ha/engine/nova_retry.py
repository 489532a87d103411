"""Riding out Nova's transient failures (5xx, timeouts) during a recovery.

Every client method the engine uses is safe to repeat (reads, and state setters that
answer "already so" quietly) except ``evacuate``, which the evacuation step guards itself
by looking for Nova's record before trying again. So the engine talks to Nova through
:class:`RetryingNova`, which repeats a call that failed with a ``retryable`` error every
``verify_interval`` until ``[engine] nova_retry_timeout``, waking at once if the recovery
is interrupted.
"""

import functools
import logging

from masakari_ha.conf import CONF
from masakari_ha.engine.control import RunControl

LOG = logging.getLogger(__name__)

#: Not repeated blindly: a lost answer may hide an accepted evacuation.
NOT_REPEATED = frozenset({"evacuate"})


class RetryingNova:
    """A transparent wrapper of the Nova client bound to one recovery's RunControl."""

    def __init__(self, nova, control: RunControl):
        self._nova = nova
        self._control = control

    def __getattr__(self, name):
        attr = getattr(self._nova, name)
        if not callable(attr) or name in NOT_REPEATED or name.startswith("_"):
            return attr

        @functools.wraps(attr)
        def call(*args, **kwargs):
            box = []

            def attempt():
                box[:] = [attr(*args, **kwargs)]
                return True

            try:
                return attr(*args, **kwargs)
            except Exception as error:
                if not getattr(error, "retryable", False):
                    raise
                LOG.warning("Notification %s: Nova %s failed (%s); retrying for up to %ss",
                            self._control.notification_uuid, name, error, CONF.engine.nova_retry_timeout)
            self._control.wait_for(attempt, CONF.engine.nova_retry_timeout, CONF.verify_interval,
                                   f"Nova to answer {name}")
            return box[0]

        return call
