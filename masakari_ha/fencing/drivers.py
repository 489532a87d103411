"""Choosing the fencing driver from ``[fencing] driver``.

Contract for the engine's fencing gate (``load_driver(conf)`` once per engine, then
``driver.power_off(host, reason, progress)`` per host failure):

* ``result.fenced is True``: the host is confirmed off (or was already off); evacuate.
  ``result.steps`` / ``result.detail`` are the evidence to store as progress details.
* ``result.fenced is False``: do not evacuate (unless ``[fencing] required = False``);
  ``result.reason`` is the operator-facing cause for the notification's error.
* ``driver.proves_fencing is False`` (driver ``noop``): the driver never fences; the gate's
  proof is the notification's ``host_status == NORMAL`` (pacemaker fenced the node already).
* ``power_off`` does not raise for fencing trouble; treat any ``FencingError`` that escapes
  (a bug) exactly like ``fenced=False``.
* ``validate()`` raises ``FencingConfigError`` with a clear message when the driver cannot
  work (call it at engine start-up and log/alert; it does network I/O for maas/pacemaker).
"""

from __future__ import annotations

from masakari_ha.fencing.base import FencingConfigError, FencingDriver

DRIVER_NAMES = ("noop", "maas", "pacemaker")


def load_driver(conf) -> FencingDriver:
    """Build the driver named by ``conf.fencing.driver``, metered (every ``power_off`` is
    counted and timed in :mod:`masakari_ha.metrics`).

    :raises FencingConfigError: unknown driver name.
    """
    from masakari_ha.fencing.metered import MeteredFencingDriver

    return MeteredFencingDriver(_build_driver(conf))


def _build_driver(conf) -> FencingDriver:
    name = conf.fencing.driver
    if name == "noop":
        from masakari_ha.fencing.noop import NoopFencingDriver

        return NoopFencingDriver(conf)
    if name == "maas":
        from masakari_ha.fencing.maas_driver import MaasFencingDriver

        return MaasFencingDriver(conf)
    if name == "pacemaker":
        from masakari_ha.fencing.pacemaker import PacemakerFencingDriver

        return PacemakerFencingDriver(conf)
    raise FencingConfigError(f"unknown [fencing] driver {name!r}; choose one of {', '.join(DRIVER_NAMES)}")
