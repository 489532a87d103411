"""/v1/extensions: upstream's legacy extension list (discoverable ones only)."""

from flask import Blueprint, g

from masakari_ha import exception
from masakari_ha.api import common, policies, policy

bp = Blueprint("extensions", __name__)

_NAMESPACE = "http://docs.openstack.org/compute/ext/fake_xml"
_UPDATED = "2014-12-03T00:00:00Z"

# alias -> (name, description, policy prefix)
EXTENSIONS = {
    "versions": ("Versions", "API Version information.", policies.VERSIONS),
    "extensions": ("Extensions", "Extension information.", policies.EXTENSIONS),
    "segments": ("Segments", "Segments controller.", policies.SEGMENTS),
    "os-hosts": ("Hosts", "Hosts controller.", policies.HOSTS),
    "notifications": ("Notifications", "Notifications support.", policies.NOTIFICATIONS),
    "vmoves": ("VMoves", "VM moves support.", policies.VMOVES),
}


def _describe(alias: str) -> dict:
    name, description, _prefix = EXTENSIONS[alias]
    return {"alias": alias, "name": name, "description": description, "namespace": _NAMESPACE,
            "updated": _UPDATED, "links": []}


def _discoverable(alias: str) -> bool:
    try:
        policy.authorize(common.state().enforcer, g.context, f"{EXTENSIONS[alias][2]}:discoverable")
    except exception.Forbidden:
        return False
    return True


@bp.get("/v1/extensions")
def index():
    common.authorize(f"{policies.EXTENSIONS}:index")
    return common.respond({"extensions": [_describe(a) for a in EXTENSIONS if _discoverable(a)]})


@bp.get("/v1/extensions/<alias>")
def detail(alias: str):
    common.authorize(f"{policies.EXTENSIONS}:detail")
    if alias not in EXTENSIONS or not _discoverable(alias):
        raise exception.NotFound(message=f"Extension {alias} could not be found.")
    return common.respond({"extension": _describe(alias)})
