"""Users, roles, maker-checker settings and the audit trails: the commands and reads behind admin_api.

Nobody can hand out more than they hold: a role or user may only be given permissions the caller has, and a
user may only be managed by someone holding every permission of that user. Without this, users:create alone
would be a path to every permission of the tenant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from akiba.core.errors import DomainError, conflict, invalid, not_found
from akiba.platform import commands
from akiba.platform.commands import REGISTRY, command, decide_pending, pending_view
from akiba.platform.context import KNOWN_PERMISSIONS, Principal
from akiba.platform.db import commit
from akiba.platform.models import (
    CheckedPermission,
    CommandAudit,
    LoginAudit,
    PendingCommand,
    RefreshToken,
    Role,
    User,
    UserRole,
)
from akiba.platform.pagination import Page, paginate
from akiba.platform.runtime import Runtime
from akiba.platform.security import check_password_policy, hash_password, verify_password

# A permission is `*`, `resource:*`, `resource:action`, or a checker's `resource:action:check`.
PERMISSION = re.compile(r"^(\*|[a-z][a-z0-9_-]*:(\*|[a-z][a-z0-9_-]*(:check)?))$")
NAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]*$"
# Payload fields that hold credentials (personal data such as national ids is stored anyway, credentials never).
CREDENTIAL = re.compile(r"(^|_)(password|secret|token|pin|otp)($|_)", re.IGNORECASE)
# Changing one's own password is open to every signed-in user, whatever their roles; the router grants this
# permission for that one call so the change still runs (and is audited) as an ordinary command.
SELF_PASSWORD = "self:password"  # noqa: S105 (a permission name, not a password)


# ---- API words --------------------------------------------------------------------------------------------

def _valid_permissions(perms: list[str]) -> list[str]:
    for i, p in enumerate(perms):
        if not PERMISSION.match(p):
            raise ValueError(f"item {i}: {p!r} is not `resource:action`, `resource:*`, `resource:action:check` or `*`")
    return sorted(set(perms))


class RoleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=NAME)
    description: str = Field(default="", max_length=1000)
    permissions: list[str] = Field(default_factory=list, max_length=500)

    @field_validator("permissions")
    @classmethod
    def _perms(cls, value: list[str]) -> list[str]:
        return _valid_permissions(value)


class RoleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100, pattern=NAME)
    description: str | None = Field(default=None, max_length=1000)
    permissions: list[str] | None = Field(default=None, max_length=500)

    @field_validator("permissions")
    @classmethod
    def _perms(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _valid_permissions(value)


class RoleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    permissions: list[str]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100, pattern=NAME)
    password: str = Field(max_length=256)
    display_name: str = Field(default="", max_length=200)
    roles: list[str] = Field(default_factory=list, max_length=50, description="role names")
    office_id: int | None = Field(default=None, ge=1, le=2_147_483_647)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: list[str] | None = Field(default=None, max_length=50, description="role names; replaces the user's roles")
    enabled: bool | None = None
    display_name: str | None = Field(default=None, max_length=200)
    office_id: int | None = Field(default=None, ge=1, le=2_147_483_647)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    office_id: int | None
    enabled: bool
    locked: bool
    roles: list[str]
    created_at: datetime


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    old_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


class MakerCheckerSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool


class MakerCheckerChange(MakerCheckerSetting):
    """The command's payload: the permission comes from the path."""

    permission: str = Field(max_length=100)


# ---- permissions ------------------------------------------------------------------------------------------

def _ensure_holds(who: Principal, permissions: Iterable[str], what: str) -> None:
    missing = sorted(p for p in set(permissions) if not who.can(p))
    if missing:
        raise DomainError("forbidden", f"{what} needs permissions you do not hold: {', '.join(missing)}", 403)


def known_permissions() -> list[dict[str, str]]:
    """Every permission a role can usefully hold: commands, their checker variants, reads, wildcards."""
    writes = {spec.permission for spec in REGISTRY.values()} - {SELF_PASSWORD}
    reads = set(KNOWN_PERMISSIONS) - writes - {SELF_PASSWORD}
    rows = [{"permission": p, "kind": "command"} for p in writes]
    rows += [{"permission": commands.checker_permission(p), "kind": "check"} for p in writes]
    rows += [{"permission": p, "kind": "read"} for p in reads]
    resources = {p.split(":", 1)[0] for p in writes | reads if ":" in p}
    rows += [{"permission": f"{r}:*", "kind": "wildcard"} for r in resources]
    rows.append({"permission": "*", "kind": "wildcard"})
    return sorted(rows, key=lambda r: r["permission"])


# ---- roles ------------------------------------------------------------------------------------------------

def get_role(s: Session, role_id: int) -> Role:
    role = s.get(Role, role_id)
    if role is None:
        raise not_found("role", role_id)
    return role


def _role_name_free(s: Session, name: str, own_id: int = 0) -> None:
    if s.scalar(select(Role.id).where(func.lower(Role.name) == name.lower(), Role.id != own_id)) is not None:
        raise conflict("role-name-taken", f"a role named {name!r} exists")


@command("roles:create", resource="role", payload=RoleCreate, status=201)
def create_role(s: Session, who: Principal, data: RoleCreate, _: int | None) -> RoleOut:
    _ensure_holds(who, data.permissions, "granting these permissions")
    _role_name_free(s, data.name)
    role = Role(name=data.name, description=data.description, permissions=data.permissions)
    s.add(role)
    s.flush()
    return RoleOut.model_validate(role)


@command("roles:update", resource="role", payload=RoleUpdate)
def update_role(s: Session, who: Principal, data: RoleUpdate, role_id: int | None) -> RoleOut:
    assert role_id is not None
    role = s.execute(select(Role).where(Role.id == role_id).with_for_update()).scalar_one_or_none()
    if role is None:
        raise not_found("role", role_id)
    _ensure_holds(who, role.permissions, f"changing role {role.name!r}")
    if data.name is not None:
        _role_name_free(s, data.name, role.id)
        role.name = data.name
    if data.description is not None:
        role.description = data.description
    if data.permissions is not None:
        _ensure_holds(who, data.permissions, "granting these permissions")
        role.permissions = data.permissions
    s.flush()
    return RoleOut.model_validate(role)


def list_roles(s: Session, page: Page) -> dict[str, Any]:
    return paginate(s, select(Role), Role.id, page, RoleOut.model_validate)


# ---- users ------------------------------------------------------------------------------------------------

def _roles_of(s: Session, user_ids: Sequence[int]) -> dict[int, list[Role]]:
    rows = s.execute(
        select(UserRole.user_id, Role).join(Role, Role.id == UserRole.role_id)
        .where(UserRole.user_id.in_(user_ids)).order_by(Role.name)
    ).all()
    found: dict[int, list[Role]] = {uid: [] for uid in user_ids}
    for uid, role in rows:
        found[uid].append(role)
    return found


def _user_out(user: User, roles: list[Role]) -> UserOut:
    locked = user.locked_until is not None and user.locked_until > datetime.now(UTC)
    return UserOut(id=user.id, username=user.username, display_name=user.display_name, office_id=user.office_id,
                   enabled=user.enabled, locked=locked, roles=[r.name for r in roles], created_at=user.created_at)


def _lock_user(s: Session, user_id: int) -> User:
    user = s.execute(select(User).where(User.id == user_id).with_for_update()).scalar_one_or_none()
    if user is None:
        raise not_found("user", user_id)
    return user


def get_user(s: Session, user_id: int) -> UserOut:
    user = s.get(User, user_id)
    if user is None:
        raise not_found("user", user_id)
    return _user_out(user, _roles_of(s, [user.id])[user.id])


def list_users(s: Session, page: Page) -> dict[str, Any]:
    answer = paginate(s, select(User), User.id, page, lambda u: u)
    users: list[User] = answer["items"]
    roles = _roles_of(s, [u.id for u in users])
    return {"items": [_user_out(u, roles[u.id]) for u in users], "next_cursor": answer["next_cursor"]}


def _roles_named(s: Session, who: Principal, names: list[str]) -> list[Role]:
    wanted = sorted(set(names))
    roles = list(s.scalars(select(Role).where(Role.name.in_(wanted)).order_by(Role.name)))
    unknown = sorted(set(wanted) - {r.name for r in roles})
    if unknown:
        raise invalid("roles", f"no such role: {', '.join(unknown)}")
    _ensure_holds(who, [p for r in roles for p in r.permissions], "granting these roles")
    return roles


def _check_office(s: Session, office_id: int | None) -> None:
    if office_id is None:
        return
    from akiba.org.models import Office  # users belong to an office; org is the feature that owns offices

    if s.get(Office, office_id) is None:
        raise invalid("office_id", f"office {office_id} does not exist")


def _set_roles(s: Session, user: User, roles: list[Role]) -> None:
    s.execute(delete(UserRole).where(UserRole.user_id == user.id))
    s.add_all(UserRole(user_id=user.id, role_id=r.id) for r in roles)


def _revoke_sessions(s: Session, user_id: int) -> None:
    s.execute(update(RefreshToken).where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
              .values(revoked_at=datetime.now(UTC)))


@command("users:create", resource="user", payload=UserCreate, status=201)
def create_user(s: Session, who: Principal, data: UserCreate, _: int | None) -> UserOut:
    check_password_policy(data.password)
    if s.scalar(select(User.id).where(func.lower(User.username) == data.username.lower())) is not None:
        raise conflict("username-taken", f"the username {data.username!r} is in use")
    roles = _roles_named(s, who, data.roles)
    _check_office(s, data.office_id)
    user = User(username=data.username, password_hash=hash_password(data.password),
                display_name=data.display_name or data.username, office_id=data.office_id, enabled=True,
                failed_logins=0)
    s.add(user)
    s.flush()
    _set_roles(s, user, roles)
    s.flush()
    return _user_out(user, roles)


def _ensure_may_manage(s: Session, who: Principal, user: User) -> list[Role]:
    roles = _roles_of(s, [user.id])[user.id]
    _ensure_holds(who, [p for r in roles for p in r.permissions], f"managing user {user.username!r}")
    return roles


@command("users:update", resource="user", payload=UserUpdate)
def update_user(s: Session, who: Principal, data: UserUpdate, user_id: int | None) -> UserOut:
    assert user_id is not None
    user = _lock_user(s, user_id)
    roles = _ensure_may_manage(s, who, user)
    if data.roles is not None:
        roles = _roles_named(s, who, data.roles)
        _set_roles(s, user, roles)
    if data.enabled is not None and data.enabled != user.enabled:
        if not data.enabled and user.id == who.user_id:
            raise invalid("enabled", "you cannot disable yourself")
        user.enabled = data.enabled
        if not data.enabled:
            _revoke_sessions(s, user.id)  # a disabled user's refresh tokens stop working at once
    if data.display_name is not None:
        user.display_name = data.display_name
    if "office_id" in data.model_fields_set:
        _check_office(s, data.office_id)
        user.office_id = data.office_id
    s.flush()
    return _user_out(user, roles)


@command("users:unlock", resource="user", permission="users:update")
def unlock_user(s: Session, who: Principal, _: None, user_id: int | None) -> UserOut:
    assert user_id is not None
    user = _lock_user(s, user_id)
    roles = _ensure_may_manage(s, who, user)
    user.failed_logins = 0
    user.locked_until = None
    return _user_out(user, roles)


@command("users:change-password", resource="user", payload=PasswordChange, permission=SELF_PASSWORD)
def change_own_password(s: Session, who: Principal, data: PasswordChange, _: int | None) -> dict[str, Any]:
    if who.user_id is None:
        raise DomainError("external-user", "users of an external identity provider change their password there", 409)
    user = _lock_user(s, who.user_id)
    if not verify_password(user.password_hash, data.old_password):
        raise invalid("old_password", "does not match your current password")
    check_password_policy(data.new_password, "new_password")
    if data.new_password == data.old_password:
        raise invalid("new_password", "must differ from the current password")
    user.password_hash = hash_password(data.new_password)
    _revoke_sessions(s, user.id)  # other sessions started with the old password end here
    return {"id": user.id, "password_changed": True}


# ---- maker-checker ----------------------------------------------------------------------------------------

def _carries_credentials(permission: str) -> bool:
    payloads = [spec.payload for spec in REGISTRY.values() if spec.permission == permission and spec.payload]
    return any(CREDENTIAL.search(name) for payload in payloads for name in payload.model_fields)


def checkable_permissions() -> set[str]:
    return {spec.permission for spec in REGISTRY.values()} - {SELF_PASSWORD}


@command("makerchecker:update", resource="makerchecker", payload=MakerCheckerChange)
def set_maker_checker(s: Session, _: Principal, data: MakerCheckerChange, __: int | None) -> dict[str, Any]:
    if data.permission not in checkable_permissions():
        raise DomainError("unknown-permission", f"no command needs the permission {data.permission!r}", 404)
    if data.enabled and _carries_credentials(data.permission):
        # A pending command keeps its request until checked: a password in it would sit in the database in clear.
        raise invalid("enabled", f"commands of {data.permission} carry secrets and cannot wait for a checker")
    row = s.get(CheckedPermission, data.permission)
    if data.enabled and row is None:
        s.add(CheckedPermission(permission=data.permission))
    elif not data.enabled and row is not None:
        s.delete(row)
    s.flush()
    return {"permission": data.permission, "enabled": data.enabled}


def maker_checker_settings(s: Session) -> list[dict[str, Any]]:
    checked = set(s.scalars(select(CheckedPermission.permission)))
    return [{"permission": p, "enabled": p in checked} for p in sorted(checkable_permissions())]


def list_pending(s: Session, page: Page, status: str | None, command_name: str | None) -> dict[str, Any]:
    stmt = select(PendingCommand)
    if status:
        stmt = stmt.where(PendingCommand.status == status)
    if command_name:
        stmt = stmt.where(PendingCommand.command == command_name)
    return paginate(s, stmt, PendingCommand.id, page, pending_view)


def get_pending(s: Session, pending_id: int) -> dict[str, Any]:
    row = s.get(PendingCommand, pending_id)
    if row is None:
        raise not_found("pending-command", pending_id)
    return pending_view(row)


def decide(rt: Runtime, checker: Principal, pending_id: int, approve: bool) -> dict[str, Any]:
    """Approve (run the stored command now) or reject a pending command; one transaction, audited either way.

    Not an ordinary command: the permission it needs (`<command's permission>:check`) depends on the row.
    """
    try:
        with rt.session(checker.tenant) as s:
            answer = decide_pending(s, checker, pending_id, approve)
            if not approve:
                _audit_decision(s, checker, answer, "rejected-by-checker", None)
            commit(s)
            return answer
    except DomainError as error:
        with rt.session(checker.tenant) as s:
            _audit_refused_decision(s, checker, pending_id, approve, error)
            s.commit()
        raise


def _audit_decision(s: Session, checker: Principal, view: dict[str, Any], outcome: str, error: str | None) -> None:
    spec = REGISTRY.get(view["command"])
    summary: dict[str, Any] = {"pending_command_id": view["id"], "maker_id": view["maker_id"]}
    if error:
        summary["error"] = error
    s.add(CommandAudit(user_id=checker.user_id, username=checker.username, command=view["command"],
                       resource=spec.resource if spec else "", resource_id=view["resource_id"], outcome=outcome,
                       summary=summary))


def _audit_refused_decision(s: Session, checker: Principal, pending_id: int, approve: bool,
                            error: DomainError) -> None:
    row = s.get(PendingCommand, pending_id)
    if row is None:
        return
    action = "approval" if approve else "rejection"
    _audit_decision(s, checker, pending_view(row), "rejected", f"{action} refused: {error.type}")


# ---- audit trails -----------------------------------------------------------------------------------------

def newest_first(s: Session, stmt: Select[Any], id_column: InstrumentedAttribute[int], page: Page,
                 view: Callable[[Any], Any]) -> dict[str, Any]:
    """Keyset pages from the newest row down: `next_cursor` is the last id shown; the next page lies below it."""
    if page.cursor is not None:
        stmt = stmt.where(id_column < page.cursor)
    rows = s.scalars(stmt.order_by(id_column.desc()).limit(page.limit + 1)).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return {"items": [view(r) for r in rows], "next_cursor": getattr(rows[-1], id_column.key) if more else None}


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _period(column: InstrumentedAttribute[datetime], start: datetime | None, end: datetime | None,
            ) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if start is not None:
        where.append(column >= _utc(start))
    if end is not None:
        where.append(column <= _utc(end))
    return where


def login_view(row: LoginAudit) -> dict[str, Any]:
    return {"id": row.id, "at": row.at, "username": row.username, "user_id": row.user_id, "success": row.success,
            "reason": row.reason, "ip": row.ip, "user_agent": row.user_agent}


def command_view(row: CommandAudit) -> dict[str, Any]:
    return {"id": row.id, "at": row.at, "user_id": row.user_id, "username": row.username, "command": row.command,
            "resource": row.resource, "resource_id": row.resource_id, "outcome": row.outcome, "summary": row.summary}


def login_audit(s: Session, page: Page, username: str | None, success: bool | None, start: datetime | None,
                end: datetime | None) -> dict[str, Any]:
    stmt = select(LoginAudit).where(*_period(LoginAudit.at, start, end))
    if username is not None:
        stmt = stmt.where(LoginAudit.username == username)
    if success is not None:
        stmt = stmt.where(LoginAudit.success == success)
    return newest_first(s, stmt, LoginAudit.id, page, login_view)


Outcome = Literal["success", "pending", "rejected", "rejected-by-checker"]


def command_audit(s: Session, page: Page, *, user: str | None, command_name: str | None, resource: str | None,
                  resource_id: int | None, outcome: str | None, start: datetime | None,
                  end: datetime | None) -> dict[str, Any]:
    stmt = select(CommandAudit).where(*_period(CommandAudit.at, start, end))
    equal: list[tuple[InstrumentedAttribute[Any], Any]] = [
        (CommandAudit.username, user), (CommandAudit.command, command_name), (CommandAudit.resource, resource),
        (CommandAudit.resource_id, resource_id), (CommandAudit.outcome, outcome),
    ]
    stmt = stmt.where(*[column == value for column, value in equal if value is not None])
    return newest_first(s, stmt, CommandAudit.id, page, command_view)
