"""masakari_ha's Nova client.

Use :func:`get_client` for the process-wide :class:`NovaClient` (one keystoneauth
session, microversion negotiated once), catch :mod:`masakari_ha.compute.exceptions`,
and read results as the frozen dataclasses of :mod:`masakari_ha.compute.models`.
"""

from masakari_ha.compute.exceptions import (
    ComputeServiceStillInUse,
    ForceUpRefused,
    NovaBadRequest,
    NovaConflict,
    NovaError,
    NovaForbidden,
    NovaMisconfigured,
    NovaNotFound,
    NovaUnavailable,
    NovaUnsupported,
)
from masakari_ha.compute.microversion import Capabilities, Microversion
from masakari_ha.compute.models import Aggregate, ComputeService, HostCapacity, Migration, Server
from masakari_ha.compute.nova import NovaClient, get_client, reset

__all__ = [
    "Aggregate",
    "Capabilities",
    "ComputeService",
    "ComputeServiceStillInUse",
    "ForceUpRefused",
    "HostCapacity",
    "Microversion",
    "Migration",
    "NovaBadRequest",
    "NovaClient",
    "NovaConflict",
    "NovaError",
    "NovaForbidden",
    "NovaMisconfigured",
    "NovaNotFound",
    "NovaUnavailable",
    "NovaUnsupported",
    "Server",
    "get_client",
    "reset",
]
