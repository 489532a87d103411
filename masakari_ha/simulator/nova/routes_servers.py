"""/servers routes of the Nova emulator: listing with paging, show, actions, metadata."""

from __future__ import annotations

import secrets
import urllib.parse
from typing import Any

import flask

from masakari_ha.simulator.nova import views
from masakari_ha.simulator.nova.app import (apply_faults, base_url, body, cloud, is_admin,
                                            nova_call, require_admin, truthy, version)
from masakari_ha.simulator.nova.model import NovaError, Server

bp = flask.Blueprint("nova_servers", __name__)

_EVACUATE_KEYS = {"host", "adminPass"}


def _visible(server_id: str) -> Server:
    """The server if the caller may see it (admins see all; others their project's)."""
    server = cloud().server(server_id)
    token = flask.g.token
    if not is_admin() and (token.project is None or token.project.id != server.project_id):
        raise NovaError(404, f"Instance {server_id} could not be found.")
    return server


def _list(detail: bool) -> flask.Response:
    args = flask.request.args
    all_tenants = "all_tenants" in args and truthy(args.get("all_tenants"))
    if all_tenants:
        require_admin("os_compute_api:servers:index:get_all_tenants")
    token = flask.g.token
    project_id = None if all_tenants else (token.project.id if token.project else None)
    if project_id is None and not all_tenants and not is_admin():
        raise NovaError(403, "Project-scoped token required.")
    host = args.get("host") if is_admin() else None
    limit = args.get("limit")
    try:
        limit_value = int(limit) if limit is not None else None
    except ValueError:
        raise NovaError(400, "limit param must be an integer") from None
    page, page_size = cloud().list_servers(
        project_id=project_id, host=host, limit=limit_value, marker=args.get("marker"),
        status=args.get("status"), name=args.get("name"))
    base = base_url()
    render = ((lambda s: views.server(cloud(), s, base, version())) if detail
              else (lambda s: views.server_brief(s, base)))
    result: dict[str, Any] = {"servers": [render(s) for s in page]}
    if page and len(page) == page_size:
        params = [(k, v) for k, v in args.items(multi=True) if k not in ("marker", "limit")]
        params += [("limit", str(page_size)), ("marker", page[-1].uuid)]
        path = "servers/detail" if detail else "servers"
        result["servers_links"] = [{"rel": "next", "href": f"{base}/{path}?"
                                    + urllib.parse.urlencode(params)}]
    return flask.jsonify(result)


@bp.get("/servers")
@nova_call("servers.list")
def list_servers() -> flask.Response:
    return _list(detail=False)


@bp.get("/servers/detail")
@nova_call("servers.list")
def list_servers_detail() -> flask.Response:
    return _list(detail=True)


@bp.get("/servers/<server_id>")
@nova_call("servers.get")
def show_server(server_id: str) -> flask.Response:
    return flask.jsonify({"server": views.server(cloud(), _visible(server_id), base_url(),
                                                 version())})


@bp.post("/servers/<server_id>/action")
def server_action(server_id: str) -> Any:
    data = body()
    if len(data) != 1:
        raise NovaError(400, "Malformed request body: exactly one action expected")
    action, arg = next(iter(data.items()))
    handler = _ACTIONS.get(action)
    if handler is None:
        raise NovaError(400, f"There is no such action: {action}")
    apply_faults(f"action:{action}", server_id)
    _visible(server_id)
    return handler(server_id, arg)


def _evacuate(server_id: str, arg: Any) -> Any:
    require_admin("os_compute_api:os-evacuate")
    if not isinstance(arg, dict):
        raise NovaError(400, "Invalid input for field/attribute evacuate.")
    ver = version()
    allowed = set(_EVACUATE_KEYS)
    if ver < (2, 14):
        allowed.add("onSharedStorage")
        if "onSharedStorage" not in arg:
            raise NovaError(400, "Invalid input for field/attribute evacuate. Value: "
                                 f"{arg}. 'onSharedStorage' is a required property")
    if (2, 29) <= ver < (2, 68):
        allowed.add("force")
    unexpected = sorted(set(arg) - allowed)
    if unexpected:
        raise NovaError(400, "Invalid input for field/attribute evacuate. Additional properties "
                             f"are not allowed ({', '.join(repr(k) for k in unexpected)} "
                             "was unexpected)")
    host = arg.get("host")
    if host is not None and not isinstance(host, str):
        raise NovaError(400, "Invalid input for field/attribute host.")
    force = bool(arg.get("force", False)) or (host is not None and ver < (2, 29))
    cloud().evacuate(server_id, host=host, force=force,
                     target_state="stopped" if ver >= (2, 95) else None)
    if ver < (2, 14):
        return flask.jsonify({"adminPass": arg.get("adminPass") or secrets.token_urlsafe(9)})
    return "", 200


def _stop(server_id: str, arg: Any) -> Any:
    cloud().stop(server_id, admin=is_admin())
    return "", 202


def _start(server_id: str, arg: Any) -> Any:
    cloud().start(server_id, admin=is_admin())
    return "", 202


def _lock(server_id: str, arg: Any) -> Any:
    reason = None
    if isinstance(arg, dict) and arg:
        if version() < (2, 73) or set(arg) - {"locked_reason"}:
            raise NovaError(400, "Invalid input for field/attribute lock. Additional "
                                 "properties are not allowed")
        reason = arg.get("locked_reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 255):
            raise NovaError(400, "Invalid input for field/attribute locked_reason.")
    cloud().lock(server_id, reason=reason, by="admin" if is_admin() else "owner")
    return "", 202


def _unlock(server_id: str, arg: Any) -> Any:
    cloud().unlock(server_id, admin=is_admin())
    return "", 202


def _reset_state(server_id: str, arg: Any) -> Any:
    require_admin("os_compute_api:os-admin-actions:reset_state")
    if not isinstance(arg, dict) or "state" not in arg:
        raise NovaError(400, "Invalid input for field/attribute os-resetState. "
                             "'state' is a required property")
    cloud().reset_state(server_id, arg["state"])
    return "", 202


_ACTIONS = {"evacuate": _evacuate, "os-stop": _stop, "os-start": _start, "lock": _lock,
            "unlock": _unlock, "os-resetState": _reset_state}


# ----------------------------------------------------------------- metadata
def _metadata_arg(data: dict[str, Any], key: str) -> dict[str, str]:
    meta = data.get(key)
    if not isinstance(meta, dict):
        raise NovaError(400, f"Malformed request body: '{key}' must be an object")
    return meta


@bp.get("/servers/<server_id>/metadata")
@nova_call("metadata.get")
def get_metadata(server_id: str) -> flask.Response:
    return flask.jsonify({"metadata": _visible(server_id).metadata})


@bp.post("/servers/<server_id>/metadata")
@nova_call("metadata.set")
def update_metadata(server_id: str) -> flask.Response:
    _visible(server_id)
    meta = cloud().set_metadata(server_id, _metadata_arg(body(), "metadata"))
    return flask.jsonify({"metadata": meta})


@bp.put("/servers/<server_id>/metadata")
@nova_call("metadata.set")
def replace_metadata(server_id: str) -> flask.Response:
    _visible(server_id)
    meta = cloud().set_metadata(server_id, _metadata_arg(body(), "metadata"), replace=True)
    return flask.jsonify({"metadata": meta})


@bp.get("/servers/<server_id>/metadata/<key>")
@nova_call("metadata.get")
def get_metadata_item(server_id: str, key: str) -> flask.Response:
    meta = _visible(server_id).metadata
    if key not in meta:
        raise NovaError(404, "Metadata item was not found")
    return flask.jsonify({"meta": {key: meta[key]}})


@bp.put("/servers/<server_id>/metadata/<key>")
@nova_call("metadata.set")
def set_metadata_item(server_id: str, key: str) -> flask.Response:
    _visible(server_id)
    meta = _metadata_arg(body(), "meta")
    if len(meta) != 1 or key not in meta:
        raise NovaError(400, "Request body and URI mismatch")
    cloud().set_metadata(server_id, meta)
    return flask.jsonify({"meta": meta})


@bp.delete("/servers/<server_id>/metadata/<key>")
@nova_call("metadata.delete")
def delete_metadata_item(server_id: str, key: str) -> Any:
    _visible(server_id)
    cloud().delete_metadata(server_id, key)
    return "", 204
