"""Version discovery: ``GET /`` (all versions), ``GET /v1`` and ``/v1/`` (this version),
and upstream's 300 "choices" answer for any other unknown path outside /v1."""

from flask import Blueprint, request

from masakari_ha.api import common, microversion
from masakari_ha.api.policies import VERSIONS

bp = Blueprint("versions", __name__)

UPDATED = "2016-07-01T11:33:21Z"
MEDIA_TYPES = [{"base": "application/json", "type": "application/vnd.openstack.masakari+json;version=1"}]


def base_url() -> str:
    """Scheme://host[:port][/script] of links, or ``osapi_masakari_link_prefix``."""
    prefix = common.conf().osapi_masakari_link_prefix
    if prefix:
        return prefix.rstrip("/")
    return request.host_url.rstrip("/") + request.script_root


def _v1_summary() -> dict:
    return {
        "id": "v1.0",
        "status": "CURRENT",
        "version": str(microversion.MAX_VERSION),
        "min_version": str(microversion.MIN_VERSION),
        "updated": UPDATED,
        "links": [{"rel": "self", "href": base_url() + "/v1/"}],
    }


@bp.get("/")
def root():
    return common.respond({"versions": [_v1_summary()]})


@bp.get("/v1")
@bp.get("/v1/")
def v1():
    common.authorize(f"{VERSIONS}:index")
    version = _v1_summary()
    version["links"].append(
        {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}
    )
    version["media-types"] = MEDIA_TYPES
    return common.respond({"version": version})


def choices(path: str):
    """Upstream's 300 Multiple Choices for an unknown path on the root application."""
    return common.respond({
        "choices": [{
            "id": "v1.0",
            "status": "CURRENT",
            "links": [{"rel": "self", "href": base_url() + "/v1" + path}],
            "media-types": MEDIA_TYPES,
        }]
    }, 300)
