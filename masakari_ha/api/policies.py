"""Policy rules in code: upstream Masakari's names and defaults, plus two personas.

Upstream makes everything admin-only. Defaults here stay compatible (every rule still
passes for an admin) and add:

* ``service_api`` – role ``service``: may create notifications, so monitors need no admin
  account (``os_masakari_api:notifications:create``);
* ``reader_api`` – admin, or a **system-scoped** ``reader`` (secure-RBAC's system reader:
  Keystone role assignment ``--system all``): may list and show segments, hosts,
  notifications, vmoves and extensions. Project-scoped readers and members are refused,
  because segments and hosts describe the whole cloud, not a project.

Operators override any rule in ``policy.yaml`` (``[oslo_policy] policy_file``).
"""

from oslo_policy import policy

RULE_ADMIN_API = "rule:admin_api"
RULE_READER_API = "rule:reader_api"
RULE_SERVICE_API = "rule:service_api"

base_rules = [
    policy.RuleDefault("context_is_admin", "role:admin",
                       description="Decides who is an administrator (context.is_admin)."),
    policy.RuleDefault("admin_or_owner", "is_admin:True or project_id:%(project_id)s",
                       description="Admin or owner of the project (upstream rule, unused by the API)."),
    policy.RuleDefault("admin_api", "is_admin:True",
                       description="Default rule for administrative APIs."),
    policy.RuleDefault("reader_api", "rule:admin_api or (role:reader and system_scope:all)",
                       description="Read-only access to segments, hosts, notifications and "
                                   "vmoves: administrators and system-scoped readers."),
    policy.RuleDefault("service_api", "role:service",
                       description="Service users (role 'service'), e.g. the monitors."),
]


def _documented(name, check, description, operations):
    return policy.DocumentedRuleDefault(name=name, check_str=check, description=description,
                                        operations=[{"method": m, "path": p} for m, p in operations])


def _discoverable(prefix: str, what: str):
    return policy.RuleDefault(f"{prefix}:discoverable", RULE_READER_API,
                              description=f"Whether the {what} extension is listed by /v1/extensions.")


SEGMENTS = "os_masakari_api:segments"
HOSTS = "os_masakari_api:os-hosts"
NOTIFICATIONS = "os_masakari_api:notifications"
VMOVES = "os_masakari_api:vmoves"
EXTENSIONS = "os_masakari_api:extensions"
VERSIONS = "os_masakari_api:versions"

resource_rules = [
    _documented(f"{SEGMENTS}:index", RULE_READER_API, "Lists failover segments.",
                [("GET", "/segments")]),
    _documented(f"{SEGMENTS}:detail", RULE_READER_API, "Shows a failover segment.",
                [("GET", "/segments/{segment_id}")]),
    _documented(f"{SEGMENTS}:create", RULE_ADMIN_API, "Creates a failover segment.",
                [("POST", "/segments")]),
    _documented(f"{SEGMENTS}:update", RULE_ADMIN_API, "Updates a failover segment.",
                [("PUT", "/segments/{segment_id}")]),
    _documented(f"{SEGMENTS}:delete", RULE_ADMIN_API, "Deletes a failover segment.",
                [("DELETE", "/segments/{segment_id}")]),
    _discoverable(SEGMENTS, "segments"),
    _documented(f"{HOSTS}:index", RULE_READER_API, "Lists the hosts of a segment.",
                [("GET", "/segments/{segment_id}/hosts")]),
    _documented(f"{HOSTS}:detail", RULE_READER_API, "Shows a host.",
                [("GET", "/segments/{segment_id}/hosts/{host_id}")]),
    _documented(f"{HOSTS}:create", RULE_ADMIN_API, "Adds a host to a segment.",
                [("POST", "/segments/{segment_id}/hosts")]),
    _documented(f"{HOSTS}:update", RULE_ADMIN_API, "Updates a host.",
                [("PUT", "/segments/{segment_id}/hosts/{host_id}")]),
    _documented(f"{HOSTS}:delete", RULE_ADMIN_API, "Deletes a host.",
                [("DELETE", "/segments/{segment_id}/hosts/{host_id}")]),
    _discoverable(HOSTS, "os-hosts"),
    _documented(f"{NOTIFICATIONS}:index", RULE_READER_API, "Lists notifications.",
                [("GET", "/notifications")]),
    _documented(f"{NOTIFICATIONS}:detail", RULE_READER_API, "Shows a notification.",
                [("GET", "/notifications/{notification_id}")]),
    _documented(f"{NOTIFICATIONS}:create", f"{RULE_ADMIN_API} or {RULE_SERVICE_API}",
                "Creates a notification (monitors; admin or role service).",
                [("POST", "/notifications")]),
    _discoverable(NOTIFICATIONS, "notifications"),
    _documented(f"{VMOVES}:index", RULE_READER_API, "Lists the vmoves of a host notification.",
                [("GET", "/notifications/{notification_id}/vmoves")]),
    _documented(f"{VMOVES}:detail", RULE_READER_API, "Shows one vmove.",
                [("GET", "/notifications/{notification_id}/vmoves/{vmove_id}")]),
    _discoverable(VMOVES, "vmoves"),
    _documented(f"{EXTENSIONS}:index", RULE_READER_API, "Lists API extensions.",
                [("GET", "/extensions")]),
    _documented(f"{EXTENSIONS}:detail", RULE_READER_API, "Shows one API extension.",
                [("GET", "/extensions/{extension_id}")]),
    _discoverable(EXTENSIONS, "extensions"),
    _documented(f"{VERSIONS}:index", "@", "Shows API versions (anyone).", [("GET", "/")]),
    policy.RuleDefault(f"{VERSIONS}:discoverable", "@",
                       description="Whether the versions extension is listed."),
]


def list_rules():
    """Every rule, for the enforcer and for ``oslopolicy-sample-generator``."""
    return base_rules + resource_rules
