"""masakari_ha: instance high availability for OpenStack clouds."""

from oslo_service import backend as _oslo_service_backend

# oslo.messaging imports oslo.service, whose default backend is eventlet: loading it would
# monkey-patch-capable green machinery into every masakari_ha process. We use plain threads,
# so select oslo.service's threading backend before anything imports oslo.messaging.
if _oslo_service_backend.get_backend_type() is None:
    _oslo_service_backend.init_backend(_oslo_service_backend.BackendType.THREADING)
