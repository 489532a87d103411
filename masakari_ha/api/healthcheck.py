"""``/healthcheck`` for load balancers (no auth, like upstream's oslo.middleware one).

200 ``OK`` when serving; 503 ``DISABLED BY FILE`` when ``[healthcheck]
disable_by_file_path`` exists (to drain a node); 503 when the database does not answer
(``[healthcheck] check_database``), because an API without its database serves nothing.
"""

import logging
import os

import sqlalchemy as sa
from flask import Blueprint, Response, request

from masakari_ha.api import common
from masakari_ha.db import session as db_session

LOG = logging.getLogger(__name__)

bp = Blueprint("healthcheck", __name__)


@bp.route("/healthcheck", methods=["GET", "HEAD"])
def healthcheck():
    conf = common.conf()
    path = conf.healthcheck.disable_by_file_path
    if path and os.path.exists(path):
        return _answer(503, "DISABLED BY FILE")
    if conf.healthcheck.check_database:
        try:
            with db_session.get_engine().connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except Exception as error:  # any driver error means "not healthy"
            LOG.warning("Healthcheck: database unreachable: %s", error)
            return _answer(503, "DATABASE UNREACHABLE")
    return _answer(200, "OK")


def _answer(status: int, text: str) -> Response:
    body = "" if request.method == "HEAD" else text
    return Response(body, status=status, content_type="text/plain")
