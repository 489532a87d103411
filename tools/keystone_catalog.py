"""Set up the test Keystone's identities and the ``instance-ha`` catalog entry.

Used by ``tools/keystone.sh`` (run with the distro interpreter, /usr/bin/python3) and imported by
the integration fixtures (run with the project's virtualenv): it only needs keystoneauth1 and
speaks the raw Identity v3 REST API, so re-registering the endpoint URL costs one token and a few
small requests (well under a second) instead of several `openstack` CLI start-ups.

Identities (password of every user is ``<name>pass``):

=========  ===============  ========================  ===============================================
user       project          roles                     used for
=========  ===============  ========================  ===============================================
admin      admin            admin (bootstrap)         the "admin" persona, operator CLI tests
member     demo             member                    the "member" persona
reader     demo + system    reader (project demo and  the "reader" persona: system-scoped reader
                            system "all")             (project-scoped, it is a plain project reader)
service    service          service                   the "service" persona (monitors)
masakari   service          admin, service            keystonemiddleware's own service user
=========  ===============  ========================  ===============================================

Usage: ``keystone_catalog.py AUTH_URL personas`` or ``keystone_catalog.py AUTH_URL endpoint|ensure-endpoint URL``.
"""

from __future__ import annotations

import sys

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

ADMIN_PASSWORD = "adminpass"
REGION = "RegionOne"
SERVICE_TYPE = "instance-ha"
SERVICE_NAME = "masakari"
INTERFACES = ("public", "internal", "admin")

# user -> roles on the whole system (system scope "all")
SYSTEM_ROLES: dict[str, tuple[str, ...]] = {"reader": ("reader",)}

# user -> (project, roles)
PERSONAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "member": ("demo", ("member",)),
    "reader": ("demo", ("reader",)),
    "service": ("service", ("service",)),
    "masakari": ("service", ("admin", "service")),
}


def admin_session(auth_url: str) -> ks_session.Session:
    """A keystoneauth session authenticated as the bootstrap admin (project admin)."""
    auth = v3.Password(auth_url=auth_url, username="admin", password=ADMIN_PASSWORD, project_name="admin",
                       user_domain_id="default", project_domain_id="default")
    return ks_session.Session(auth=auth)


class _Identity:
    """The few Identity v3 calls we need, as raw REST on an admin session."""

    def __init__(self, sess: ks_session.Session):
        self.sess = sess
        self.kw = {"endpoint_filter": {"service_type": "identity", "interface": "public"}}
        self._grants: set[tuple[str, str, str]] | None = None

    def get(self, path: str) -> dict:
        return self.sess.get(path, **self.kw).json()

    def post(self, path: str, body: dict) -> dict:
        return self.sess.post(path, json=body, **self.kw).json()

    def find(self, collection: str, **filters: str) -> dict | None:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        items = self.get(f"/{collection}?{query}")[collection]
        return items[0] if items else None

    def ensure(self, collection: str, key: str, body: dict, **filters: str) -> dict:
        found = self.find(collection, **filters)
        return found if found else self.post(f"/{collection}", {key: body})[key]

    def grant(self, user_id: str, role_id: str, project_id: str | None = None) -> None:
        """Give the user the role on the project (on the whole system when ``project_id`` is None),
        unless it has it: Keystone takes about a second per assignment PUT, even a repeated one,
        so the existing assignments are read once (one GET) and only missing ones are written."""
        if self._grants is None:
            self._grants = set()
            for assignment in self.get("/role_assignments")["role_assignments"]:
                scope = assignment.get("scope", {})
                target = scope.get("project", {}).get("id") or ("system" if "system" in scope else None)
                if "user" in assignment and target:
                    self._grants.add((assignment["user"]["id"], target, assignment["role"]["id"]))
        target = project_id or "system"
        if (user_id, target, role_id) in self._grants:
            return
        scope = f"/projects/{project_id}" if project_id else "/system"
        self.sess.put(f"{scope}/users/{user_id}/roles/{role_id}", **self.kw)
        self._grants.add((user_id, target, role_id))


def ensure_personas(auth_url: str) -> None:
    """Create the projects, roles, users and grants of PERSONAS (idempotent)."""
    ident = _Identity(admin_session(auth_url))
    projects = {name: ident.ensure("projects", "project", {"name": name, "domain_id": "default"}, name=name)
                for name in ("demo", "service")}
    roles = {name: ident.ensure("roles", "role", {"name": name}, name=name)
             for name in ("admin", "member", "reader", "service")}
    for user, (project, role_names) in PERSONAS.items():
        u = ident.ensure("users", "user", {"name": user, "domain_id": "default", "password": user + "pass",
                                           "enabled": True}, name=user, domain_id="default")
        for role in role_names:
            ident.grant(u["id"], roles[role]["id"], projects[project]["id"])
        for role in SYSTEM_ROLES.get(user, ()):
            ident.grant(u["id"], roles[role]["id"])


def register_endpoint(auth_url: str, url: str, replace: bool = True, region: str = REGION) -> None:
    """Make service type ``instance-ha`` point at ``url`` on all three interfaces of ``region``
    (idempotent; the region is created when missing).

    Existing endpoints with another URL are updated in place (PATCH) so a test run can move the
    API to a fresh port cheaply; with ``replace=False`` existing endpoints are left as they are
    (only missing interfaces are created). Test sessions running at the same time each use their
    own region, so they never see each other's API in the catalog.
    """
    ident = _Identity(admin_session(auth_url))
    if ident.sess.get(f"/regions/{region}", raise_exc=False, **ident.kw).status_code == 404:
        ident.post("/regions", {"region": {"id": region, "description": "masakari_ha test region"}})
    service = ident.ensure("services", "service", {"type": SERVICE_TYPE, "name": SERVICE_NAME, "enabled": True},
                           type=SERVICE_TYPE)
    existing = ident.get(f"/endpoints?service_id={service['id']}&region_id={region}")["endpoints"]
    by_iface = {e["interface"]: e for e in existing if e.get("region_id") == region}
    for iface in INTERFACES:
        ep = by_iface.get(iface)
        if ep is None:
            ident.post("/endpoints", {"endpoint": {"service_id": service["id"], "interface": iface,
                                                   "url": url, "region_id": region, "enabled": True}})
        elif replace and ep["url"] != url:
            ident.sess.patch(f"/endpoints/{ep['id']}", json={"endpoint": {"url": url}}, **ident.kw)


def remove_region(auth_url: str, region: str) -> None:
    """Delete ``region`` and every endpoint in it (end of a test session)."""
    ident = _Identity(admin_session(auth_url))
    for ep in ident.get(f"/endpoints?region_id={region}")["endpoints"]:
        if ep.get("region_id") == region:
            ident.sess.delete(f"/endpoints/{ep['id']}", raise_exc=False, **ident.kw)
    ident.sess.delete(f"/regions/{region}", raise_exc=False, **ident.kw)


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[1] == "personas":
        ensure_personas(argv[0])
        return 0
    if len(argv) == 3 and argv[1] in ("endpoint", "ensure-endpoint"):
        register_endpoint(argv[0], argv[2], replace=argv[1] == "endpoint")
        return 0
    print(__doc__.strip().splitlines()[-1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
