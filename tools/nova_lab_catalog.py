"""Keystone identities and catalog entries the real-Nova test bed needs (idempotent).

Adds service users ``nova`` and ``placement`` (project ``service``, roles admin + service,
password ``<name>pass``) and the compute, placement and image endpoints, on top of what
``keystone_catalog.py`` already set up for masakari_ha's own tests.

Usage: nova_lab_catalog.py AUTH_URL NOVA_URL PLACEMENT_URL GLANCE_URL
"""

import sys

from keystone_catalog import INTERFACES, REGION, _Identity, admin_session, ensure_personas

SERVICE_USERS = ("nova", "placement")


def ensure_nova_catalog(auth_url: str, endpoints: dict[str, tuple[str, str]]) -> None:
    """Create service users and (service type → (name, url)) endpoints on all interfaces."""
    ensure_personas(auth_url)
    ident = _Identity(admin_session(auth_url))
    project = ident.find("projects", name="service")
    roles = {name: ident.find("roles", name=name) for name in ("admin", "service")}
    for name in SERVICE_USERS:
        user = ident.ensure("users", "user", {"name": name, "domain_id": "default", "password": name + "pass",
                                              "enabled": True}, name=name, domain_id="default")
        for role in roles.values():
            ident.grant(user["id"], role["id"], project["id"])
    for service_type, (name, url) in endpoints.items():
        service = ident.ensure("services", "service", {"type": service_type, "name": name, "enabled": True},
                               type=service_type)
        existing = {e["interface"]: e for e in ident.get(f"/endpoints?service_id={service['id']}")["endpoints"]}
        for iface in INTERFACES:
            if iface not in existing:
                ident.post("/endpoints", {"endpoint": {"service_id": service["id"], "interface": iface,
                                                       "url": url, "region_id": REGION, "enabled": True}})
            elif existing[iface]["url"] != url:
                ident.sess.patch(f"/endpoints/{existing[iface]['id']}", json={"endpoint": {"url": url}},
                                 **ident.kw)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        sys.exit(2)
    auth, nova, placement, glance = sys.argv[1:]
    ensure_nova_catalog(auth, {"compute": ("nova", nova), "placement": ("placement", placement),
                               "image": ("glance", glance)})
