"""Host names must be nova-compute service hosts (upstream rule), unless switched off.

Uses the shared :func:`masakari_ha.compute.get_client` (one keystoneauth session per
process, imported lazily so the API starts without touching Nova).
"""

import logging

from masakari_ha import exception
from masakari_ha.conf import nova as nova_conf

LOG = logging.getLogger(__name__)


def ensure_compute_host(conf, host_name: str) -> None:
    """Raise ComputeNotFound (400) unless Nova knows a nova-compute on ``host_name``.

    No-op when ``[nova] validate_host_names`` is false. When validation is on but
    ``[nova]`` is not configured, or Nova cannot be asked, the answer is 503 with a
    message saying what to fix — never a silent pass.
    """
    if not conf.nova.validate_host_names:
        return
    if not nova_conf.is_configured(conf):
        raise exception.ServiceUnavailable(
            reason="host names are validated against Nova ([nova] validate_host_names = true) "
            "but [nova] has neither auth_type nor endpoint_override; configure it or set "
            "validate_host_names = false"
        )
    from masakari_ha import compute

    try:
        exists = compute.get_client(conf).compute_service_exists(host_name)
    except compute.NovaError as error:
        LOG.warning("Cannot validate host name %s against Nova: %s", host_name, error)
        raise exception.ServiceUnavailable(
            reason=f"cannot validate host name {host_name} against Nova: {error}"
        ) from error
    if not exists:
        LOG.info("Refused host name %s: Nova has no nova-compute service on it", host_name)
        raise exception.ComputeNotFound(host_name=host_name)
