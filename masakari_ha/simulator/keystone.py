"""Keystone v3 emulator: version discovery, password/token authentication, token validation.

Enough of the Identity API for keystoneauth1 (Password and Token plugins, version discovery),
python-novaclient, openstacksdk/python-openstackclient and keystonemiddleware's auth_token
(``GET /v3/auth/tokens`` with ``X-Subject-Token``). Tokens are opaque random ids that expire after
``Identity.token_ttl`` seconds.
"""

from __future__ import annotations

from typing import Any

import flask

from masakari_ha.simulator.identity import DEFAULT_DOMAIN, Identity, Project, Token, User

MEDIA_TYPE = "application/vnd.openstack.identity-v3+json"


def _error(code: int, title: str, message: str) -> flask.Response:
    response = flask.jsonify({"error": {"code": code, "title": title, "message": message}})
    response.status_code = code
    return response


def _ts(value: Any) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def _version(base: str) -> dict[str, Any]:
    return {"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self", "href": f"{base}/v3/"}],
            "media-types": [{"base": "application/json", "type": MEDIA_TYPE}]}


def catalog(identity: Identity, base: str) -> list[dict[str, Any]]:
    entries = dict(identity.catalog)
    entries.setdefault("identity", ("keystone", f"{base}/v3"))
    result = []
    for service_type, (name, url) in sorted(entries.items()):
        service_id = identity.role_id(f"service:{service_type}")
        result.append({
            "type": service_type, "name": name, "id": service_id,
            "endpoints": [{"id": identity.role_id(f"ep:{service_type}:{iface}"),
                           "interface": iface, "region": identity.region,
                           "region_id": identity.region, "url": url}
                          for iface in ("public", "internal", "admin")],
        })
    return result


def token_body(identity: Identity, token: Token, base: str, with_catalog: bool = True
               ) -> dict[str, Any]:
    body: dict[str, Any] = {
        "methods": token.methods,
        "user": {"id": token.user.id, "name": token.user.name, "domain": dict(DEFAULT_DOMAIN),
                 "password_expires_at": None},
        "audit_ids": [token.audit_id], "expires_at": _ts(token.expires_at),
        "issued_at": _ts(token.issued_at),
    }
    if token.project is not None:
        body["project"] = {"id": token.project.id, "name": token.project.name,
                           "domain": dict(DEFAULT_DOMAIN)}
        body["is_domain"] = False
        body["roles"] = [{"id": identity.role_id(r), "name": r} for r in token.roles]
        if with_catalog:
            body["catalog"] = catalog(identity, base)
    return {"token": body}


def _domain_ok(ref: dict[str, Any] | None) -> bool:
    if not ref:
        return True
    # Domain names compare case-insensitively, as with Keystone on MySQL (upstream Masakari's
    # default os_user_domain_name is "default").
    name = ref.get("name")
    return ref.get("id") in (None, "default") and (name is None or name.lower() == "default")


def _authenticate(identity: Identity, auth: dict[str, Any]) -> tuple[User, list[str]] | str:
    ident = auth.get("identity")
    if not isinstance(ident, dict) or not isinstance(ident.get("methods"), list):
        return "Expecting to find identity.methods in auth."
    methods = ident["methods"]
    if "password" in methods:
        user_ref = (ident.get("password") or {}).get("user") or {}
        user = identity.find_user(name=user_ref.get("name"), user_id=user_ref.get("id"))
        if (user is None or user.password != user_ref.get("password")
                or not _domain_ok(user_ref.get("domain"))):
            return "The request you have made requires authentication."
        return user, ["password"]
    if "token" in methods:
        source = identity.validate((ident.get("token") or {}).get("id"))
        if source is None:
            return "The request you have made requires authentication."
        return source.user, list(dict.fromkeys(["token", *source.methods]))
    return "Attempted to authenticate with an unsupported method."


def _scope(identity: Identity, user: User, scope: Any) -> Project | None | str:
    if scope is None or scope == "unscoped":
        return None
    if not isinstance(scope, dict):
        return "Invalid scope."
    ref = scope.get("project")
    if ref is None:
        return "Only project scope is supported by this emulator."
    project = identity.find_project(name=ref.get("name"), project_id=ref.get("id"))
    if project is None or not _domain_ok(ref.get("domain")):
        return f"Could not find project: {ref.get('name') or ref.get('id')}."
    if project.name != user.project and "admin" not in user.roles:
        return f"User {user.id} has no access to project {project.id}"
    return project


def create_app(identity: Identity) -> flask.Flask:
    """A Flask WSGI app serving the Keystone v3 subset backed by ``identity``."""
    app = flask.Flask("masakari_ha.simulator.keystone")

    def base() -> str:
        return flask.request.host_url.rstrip("/")

    def caller() -> Token | None:
        return identity.validate(flask.request.headers.get("X-Auth-Token"))

    @app.get("/")
    def versions() -> flask.Response:
        response = flask.jsonify({"versions": {"values": [_version(base())]}})
        response.status_code = 300
        return response

    @app.get("/v3")
    @app.get("/v3/")
    def v3() -> flask.Response:
        return flask.jsonify({"version": _version(base())})

    @app.post("/v3/auth/tokens")
    def issue() -> flask.Response:
        body = flask.request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("auth"), dict):
            return _error(400, "Bad Request", "Expecting to find auth in request body.")
        result = _authenticate(identity, body["auth"])
        if isinstance(result, str):
            code = 400 if result.startswith(("Expecting", "Attempted")) else 401
            return _error(code, "Bad Request" if code == 400 else "Unauthorized", result)
        user, methods = result
        project = _scope(identity, user, body["auth"].get("scope"))
        if isinstance(project, str):
            return _error(401, "Unauthorized", project)
        token = identity.issue(user, project, methods)
        nocatalog = "nocatalog" in flask.request.args
        response = flask.jsonify(token_body(identity, token, base(), not nocatalog))
        response.status_code = 201
        response.headers["X-Subject-Token"] = token.id
        return response

    @app.route("/v3/auth/tokens", methods=["GET", "HEAD"])
    def check() -> flask.Response:
        if caller() is None:
            return _error(401, "Unauthorized", "The request you have made requires authentication.")
        subject = identity.validate(flask.request.headers.get("X-Subject-Token"))
        if subject is None:
            return _error(404, "Not Found", "Could not find token.")
        nocatalog = "nocatalog" in flask.request.args
        response = flask.jsonify(token_body(identity, subject, base(), not nocatalog))
        response.headers["X-Subject-Token"] = subject.id
        return response

    @app.delete("/v3/auth/tokens")
    def revoke() -> flask.Response | tuple[str, int]:
        if caller() is None:
            return _error(401, "Unauthorized", "The request you have made requires authentication.")
        if not identity.revoke(flask.request.headers.get("X-Subject-Token", "")):
            return _error(404, "Not Found", "Could not find token.")
        return "", 204

    @app.get("/v3/auth/catalog")
    def auth_catalog() -> flask.Response:
        if caller() is None:
            return _error(401, "Unauthorized", "The request you have made requires authentication.")
        return flask.jsonify({"catalog": catalog(identity, base())})

    @app.get("/v3/auth/projects")
    def auth_projects() -> flask.Response:
        token = caller()
        if token is None:
            return _error(401, "Unauthorized", "The request you have made requires authentication.")
        names = [p for p in identity.projects.values()
                 if p.name == token.user.project or "admin" in token.user.roles]
        return flask.jsonify({"projects": [_project(p) for p in names]})

    @app.get("/v3/projects")
    def projects() -> flask.Response:
        token = caller()
        if token is None:
            return _error(401, "Unauthorized", "The request you have made requires authentication.")
        if not token.is_admin:
            return _error(403, "Forbidden", "You are not authorized to perform the requested action.")
        return flask.jsonify({"projects": [_project(p) for p in identity.projects.values()]})

    @app.get("/v3/users")
    def users() -> flask.Response:
        token = caller()
        if token is None:
            return _error(401, "Unauthorized", "The request you have made requires authentication.")
        if not token.is_admin:
            return _error(403, "Forbidden", "You are not authorized to perform the requested action.")
        return flask.jsonify({"users": [
            {"id": u.id, "name": u.name, "domain_id": "default", "enabled": True,
             "default_project_id": identity.projects[u.project].id}
            for u in identity.users.values()]})

    @app.errorhandler(404)
    def not_found(_exc: Exception) -> flask.Response:
        return _error(404, "Not Found", "The resource could not be found.")

    @app.errorhandler(405)
    def bad_method(_exc: Exception) -> flask.Response:
        return _error(405, "Method Not Allowed", "The method is not allowed for the requested URL.")

    return app


def _project(p: Project) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "domain_id": "default", "enabled": True,
            "is_domain": False, "parent_id": "default", "description": "", "tags": []}
