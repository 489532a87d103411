"""masakari_ha: instance high availability for OpenStack clouds."""

import warnings

# eventlet stays installed (oslo.service requires it) and futurist imports it opportunistically,
# which prints a deprecation banner on every command; nothing here uses it, so keep it quiet.
# Installed first: the banner fires while oslo.service itself is being imported.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from oslo_service import backend as _oslo_service_backend  # noqa: E402

# oslo.messaging imports oslo.service, whose default backend is eventlet: loading it would
# monkey-patch-capable green machinery into every masakari_ha process. We use plain threads,
# so select oslo.service's threading backend before anything imports oslo.messaging.
if _oslo_service_backend.get_backend_type() is None:
    _oslo_service_backend.init_backend(_oslo_service_backend.BackendType.THREADING)
