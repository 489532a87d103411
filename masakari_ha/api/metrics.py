"""``GET /metrics``: Prometheus text exposition of the service (no auth, like /healthcheck).

All worker processes' samples are aggregated (see :mod:`masakari_ha.metrics`); with
``masakari-ha-all`` that includes the engine running in the worker. Bind the API to an
address only the monitoring system and operators reach, or filter ``/metrics`` at the
load balancer, as with any Prometheus endpoint.
"""

from flask import Blueprint, Response

from masakari_ha import metrics

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def exposition():
    return Response(metrics.exposition(), status=200, content_type=metrics.CONTENT_TYPE)
