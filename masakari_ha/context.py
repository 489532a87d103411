"""Who is asking: the request context passed from the API into policy checks and logs."""

import dataclasses
import uuid


@dataclasses.dataclass
class RequestContext:
    """Identity and request id of one API call (or of the engine acting on its own)."""

    user_id: str | None = None
    project_id: str | None = None
    roles: list[str] = dataclasses.field(default_factory=list)
    is_admin: bool = False
    request_id: str = dataclasses.field(default_factory=lambda: "req-" + str(uuid.uuid4()))
    global_request_id: str | None = None
    auth_token: str | None = None
    system_scope: str | None = None
    domain_id: str | None = None

    def policy_target(self) -> dict:
        """The credentials dict oslo.policy evaluates rules against."""
        return {
            "user_id": self.user_id,
            "project_id": self.project_id,
            "roles": list(self.roles),
            "is_admin": self.is_admin,
            "system_scope": self.system_scope,
            "domain_id": self.domain_id,
        }


def admin_context() -> RequestContext:
    """A context with admin rights, for noauth mode and for the engine's own work."""
    return RequestContext(user_id="admin", project_id="admin", roles=["admin", "member", "reader"], is_admin=True)
