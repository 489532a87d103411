"""``[fencing] driver = maas``: the engine powers the failed node off through MAAS itself.

Uses the shared client (maas.py) and the one verified-fencing routine (verify.py): hard
power-off, then live ``query_power_state`` polls until ``off`` within ``[maas]
power_off_timeout``. Every step is logged with the host and the reason (notification id)
and passed to the engine's progress callback.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

from masakari_ha.fencing import maas, verify
from masakari_ha.fencing.base import (
    FenceResult,
    FencingConfigError,
    FencingDriver,
    PowerState,
    ProgressCallback,
)

LOG = logging.getLogger(__name__)


def load_api_key(group) -> maas.ApiKey:
    """The key from ``[maas] api_key`` or else ``[maas] api_key_file``."""
    if group.api_key:
        return maas.ApiKey.parse(group.api_key)
    if group.api_key_file:
        return maas.ApiKey.from_file(group.api_key_file)
    raise maas.MaasKeyError("[maas] api_key or api_key_file must be set for [fencing] driver = maas")


class MaasFencingDriver(FencingDriver):
    """Engine fencing through MAAS. One client (and its system_id cache) per driver."""

    name = "maas"

    def __init__(
        self,
        conf,
        *,
        session=None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._group = conf.maas
        self._session = session
        self._clock = clock
        self._sleep = sleep
        self._client: Optional[maas.MaasClient] = None
        self._lock = threading.Lock()
        self.policy = verify.VerifyPolicy(
            timeout=float(self._group.power_off_timeout),
            poll_interval=float(self._group.poll_interval),
        )

    def client(self) -> maas.MaasClient:
        """The MAAS client, built on first use. :raises FencingConfigError: bad config."""
        with self._lock:
            if self._client is None:
                group = self._group
                if not group.url:
                    raise FencingConfigError("[maas] url must be set for [fencing] driver = maas")
                verify_tls = group.cafile if group.cafile else group.verify_tls
                self._client = maas.MaasClient(
                    group.url, load_api_key(group), request_timeout=group.request_timeout,
                    verify=verify_tls, session=self._session,
                )
            return self._client

    def validate(self) -> None:
        """Config complete, key well formed, MAAS reachable and accepting the key."""
        client = self.client()
        try:
            who = client.whoami()
        except maas.MaasError as exc:
            raise FencingConfigError(f"MAAS at {client.base_url} is not usable: {exc}") from None
        LOG.info("fencing driver maas: MAAS at %s accepts the key (user %s)",
                 client.base_url, who.get("username", "?"))

    def power_off(
        self, host: str, reason: str, progress: Optional[ProgressCallback] = None
    ) -> FenceResult:
        comment = f"masakari_ha fencing: {reason}"
        try:
            client = self.client()
        except FencingConfigError as exc:
            LOG.error("fencing %s (%s): not fenced, driver misconfigured: %s", host, reason, exc)
            return FenceResult(host=host, fenced=False, power_state=PowerState.UNKNOWN,
                               reason=str(exc), detail=str(exc), steps=(str(exc),))
        result = verify.fence(client, host, comment, self.policy, progress,
                              clock=self._clock, sleep=self._sleep)
        if result.fenced:
            LOG.info("fencing %s (%s): fenced, MAAS reports off", host, reason)
        else:
            LOG.warning("fencing %s (%s): NOT fenced: %s", host, reason, result.reason)
        return result

    def power_state(self, host: str) -> PowerState:
        try:
            return self.client().query_power_state(host)
        except (maas.MaasError, FencingConfigError) as exc:
            LOG.warning("power state of %s unknown: %s", host, exc)
            return PowerState.UNKNOWN
