"""Two people for access to "dikecualikan": nobody grants it to themselves.

Adding a user of a role that sees exempt documents (Petugas PPID, Atasan PPID), reactivating
such a user, or giving them a new password is only *asked* by the admin (`ask`); it happens when
an Atasan PPID confirms it (`confirm`), and it is the Atasan PPID who then sets the password (a
reactivated user gets a new one too), so the admin who asked never knows it.
Every step is in the audit log, and the requests are listed for the PPID roles.

Changes that give no access to exempt documents (users of other roles, deactivation) are made
at once. The server's command line (`scan-station user add`) stays direct: whoever runs it can
read the database and storage anyway; it is how the first Atasan PPID is made.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from ..audit import log as audit
from ..core.model import RequestStatus
from ..db.database import AccessRequest, UserAccount
from .roles import Permission, may
from .users import UserError, add_user, check_name, check_nip, check_username, get_user, set_active, set_password

PENDING, CONFIRMED, REFUSED = RequestStatus.PENDING, RequestStatus.CONFIRMED, RequestStatus.REFUSED
ACTIONS = ("add", "activate", "password")


class GrantError(UserError):
    """A request for access that cannot be asked or decided as given (`code` says which)."""


def sees_exempt(role: str) -> bool:
    return may(role, Permission.SEE_EXEMPT)


def needs_confirmation(session: Session, action: str, username: str, role: str = "") -> bool:
    """Whether this change to a user waits for the Atasan PPID (else it is made at once)."""
    if action == "add":
        return sees_exempt(role)
    if action in ("activate", "password"):
        return sees_exempt(get_user(session, username).role)
    return False


def ask(session: Session, action: str, username: str, *, actor: str, role: str = "", name: str = "", nip: str = ""
        ) -> AccessRequest:
    """The admin's request; nothing changes until an Atasan PPID confirms it."""
    if action not in ACTIONS:
        raise GrantError(f"no such request: {action}", code="bad_action")
    if action == "add":
        username, name, nip = check_username(username), check_name(name), check_nip(nip)
        if session.get(UserAccount, username) is not None:
            raise UserError(f"user {username} exists already", code="user_exists", username=username)
    else:
        user = get_user(session, username)
        username, role, name = user.username, user.role, user.name
        if action == "activate" and user.active:
            raise GrantError(f"user {username} is active already", code="already_active", username=username)
    if not sees_exempt(role):
        raise GrantError(f"{action} for {username} needs no confirmation", code="not_needed", username=username)
    if _open(session, username) is not None:
        raise GrantError(f"a request for {username} waits for the Atasan PPID already", code="already_asked",
                         username=username)
    if not session.scalar(select(func.count()).select_from(UserAccount)
                          .where(UserAccount.role == "atasan", UserAccount.active)):
        raise GrantError("there is no active Atasan PPID to confirm it; make the first one on the server with "
                         "`scan-station user add NAME --role atasan`", code="no_atasan")
    request = AccessRequest(action=action, username=username, role=role, name=name, nip=nip, requested_by=actor,
                            requested_at=dt.datetime.now(dt.UTC), status=PENDING)
    session.add(request)
    session.flush()
    audit.record(session, actor, "access.ask", username, request=request.id, change=action, role=role)
    return request


def _open(session: Session, username: str) -> AccessRequest | None:
    return session.scalar(select(AccessRequest).where(AccessRequest.username == username,
                                                      AccessRequest.status == PENDING))


def confirm(session: Session, request_id: int, *, password: str, actor: str, actor_role: str) -> AccessRequest:
    """The Atasan PPID's confirmation: the change is made, with the password they set."""
    request = _decide(session, request_id, CONFIRMED, actor=actor, actor_role=actor_role)
    if request.action == "add":
        add_user(session, username=request.username, password=password, role=request.role, name=request.name,
                 nip=request.nip, actor=actor)
    elif request.action == "password":
        set_password(session, request.username, password, actor=actor)
    else:
        user = get_user(session, request.username)
        if user.role != request.role:
            raise GrantError(f"{user.username} has another role now", code="role_changed", username=user.username)
        set_password(session, request.username, password, actor=actor)
        set_active(session, request.username, True, actor=actor)
    audit.record(session, actor, "access.confirm", request.username, request=request.id, change=request.action,
                 role=request.role, asked_by=request.requested_by)
    return request


def refuse(session: Session, request_id: int, *, actor: str, actor_role: str) -> AccessRequest:
    request = _decide(session, request_id, REFUSED, actor=actor, actor_role=actor_role)
    audit.record(session, actor, "access.refuse", request.username, request=request.id, change=request.action,
                 role=request.role, asked_by=request.requested_by)
    return request


def _decide(session: Session, request_id: int, status: str, *, actor: str, actor_role: str) -> AccessRequest:
    if actor_role != "atasan":
        raise GrantError("only the Atasan PPID decides a request for access", code="not_atasan")
    # One decision per request: the status changes only while it is pending, in one statement.
    # an UPDATE's result is a CursorResult (with rowcount); Session.execute is typed as returning any Result
    decided = cast(CursorResult[Any], session.execute(
        update(AccessRequest).where(AccessRequest.id == request_id, AccessRequest.status == PENDING)
        .values(status=status, decided_by=actor, decided_at=dt.datetime.now(dt.UTC))
        .execution_options(synchronize_session=False)))
    request = session.get(AccessRequest, request_id)
    if request is None:
        raise GrantError(f"no request {request_id}", code="no_request")
    session.refresh(request)
    if request.requested_by == actor:  # two people, whatever the roles
        raise GrantError("a request is decided by someone other than who asked", code="own_request")
    if decided.rowcount != 1:
        raise GrantError(f"request {request_id} is {request.status} already", code="already_decided")
    return request


def requests(session: Session, *, limit: int = 200) -> list[AccessRequest]:
    """Pending requests first, then the decided ones, newest first."""
    return list(session.scalars(select(AccessRequest).order_by((AccessRequest.status == PENDING).desc(),
                                                               AccessRequest.id.desc()).limit(limit)))


def pending_count(session: Session) -> int:
    count = session.scalar(select(func.count()).select_from(AccessRequest).where(AccessRequest.status == PENDING))
    assert count is not None  # COUNT(*) always returns a row
    return count
