"""Users, projects, roles, tokens and the service catalog of the Keystone emulator (no I/O).

Defaults mirror a devstack-like cloud: ``admin``/``adminpass`` in project ``admin`` (roles admin,
member, reader), a service user ``masakari``/``masakaripass`` in project ``service`` (admin,
service), and an unprivileged ``demo``/``demopass`` in project ``demo`` (member, reader). All in
domain ``Default`` (id ``default``).
"""

from __future__ import annotations

import dataclasses
import datetime
import secrets
import threading
import uuid as uuidlib

DEFAULT_DOMAIN = {"id": "default", "name": "Default"}


@dataclasses.dataclass
class User:
    id: str
    name: str
    password: str
    project: str  # default project name
    roles: list[str]


@dataclasses.dataclass
class Project:
    id: str
    name: str


@dataclasses.dataclass
class Token:
    id: str
    user: User
    project: Project | None
    roles: list[str]
    methods: list[str]
    issued_at: datetime.datetime
    expires_at: datetime.datetime
    audit_id: str

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def _hex_id() -> str:
    return uuidlib.uuid4().hex


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Identity:
    """Thread-safe store; ``catalog`` maps service type to (service name, endpoint URL)."""

    def __init__(self, token_ttl: float = 3600.0, region: str = "RegionOne") -> None:
        self._lock = threading.Lock()
        self.token_ttl = token_ttl
        self.region = region
        self.projects: dict[str, Project] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, Token] = {}
        self.catalog: dict[str, tuple[str, str]] = {}
        self.issued = 0
        for name in ("admin", "service", "demo"):
            self.add_project(name)
        self.add_user("admin", "adminpass", "admin", ["admin", "member", "reader"])
        self.add_user("masakari", "masakaripass", "service", ["admin", "service"])
        self.add_user("demo", "demopass", "demo", ["member", "reader"])

    def add_project(self, name: str, project_id: str | None = None) -> Project:
        with self._lock:
            project = Project(id=project_id or _hex_id(), name=name)
            self.projects[name] = project
            return project

    def add_user(self, name: str, password: str, project: str, roles: list[str]) -> User:
        with self._lock:
            if project not in self.projects:
                raise ValueError(f"unknown project {project!r}")
            user = User(id=_hex_id(), name=name, password=password, project=project,
                        roles=list(roles))
            self.users[name] = user
            return user

    def set_endpoint(self, service_type: str, name: str, url: str) -> None:
        with self._lock:
            self.catalog[service_type] = (name, url.rstrip("/"))

    def find_user(self, name: str | None = None, user_id: str | None = None) -> User | None:
        for user in self.users.values():
            if (name is not None and user.name == name) or (user_id is not None
                                                            and user.id == user_id):
                return user
        return None

    def find_project(self, name: str | None = None, project_id: str | None = None
                     ) -> Project | None:
        for project in self.projects.values():
            if (name is not None and project.name == name) or (
                    project_id is not None and project.id == project_id):
                return project
        return None

    def issue(self, user: User, project: Project | None, methods: list[str],
              expires_at: datetime.datetime | None = None) -> Token:
        """A new token; scoped tokens carry the user's roles (only on its own project)."""
        now = _now()
        roles = list(user.roles) if project is not None and project.name == user.project else []
        if project is not None and project.name != user.project and "admin" in user.roles:
            roles = list(user.roles)  # admins are assigned on every project in this emulator
        token = Token(id=secrets.token_hex(32), user=user, project=project, roles=roles,
                      methods=methods, issued_at=now,
                      expires_at=expires_at or now + datetime.timedelta(seconds=self.token_ttl),
                      audit_id=secrets.token_urlsafe(16)[:22])
        with self._lock:
            self.tokens[token.id] = token
            self.issued += 1
        return token

    def validate(self, token_id: str | None) -> Token | None:
        """The live token with this id, or None if unknown, revoked or expired."""
        if not token_id:
            return None
        with self._lock:
            token = self.tokens.get(token_id)
        if token is None or token.expires_at <= _now():
            return None
        return token

    def revoke(self, token_id: str) -> bool:
        with self._lock:
            return self.tokens.pop(token_id, None) is not None

    def expire_all(self) -> None:
        """Make every issued token expire now (tests of re-authentication)."""
        with self._lock:
            for token in self.tokens.values():
                token.expires_at = _now() - datetime.timedelta(seconds=1)

    def role_id(self, role: str) -> str:
        return uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"role:{role}").hex
