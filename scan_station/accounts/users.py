"""Kiosk users and their roles, as the SOP names them. Passwords are hashed with Argon2id and
must pass a minimum policy (`password_problem`) whenever they are set.

Logins are sessions kept on the server (`open_session` ... `close_session`): the browser holds a
random token, the database its SHA-256 and when it was last used, so a session ends for real at
logout, after the idle time, and for every browser of a user whose password is changed or who is
deactivated — a copied cookie is worth nothing afterwards.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..audit import log as audit
from ..core.errors import RegisterError, UnknownEntryError
from ..db.database import UserAccount, UserSession
from .roles import ROLES

MIN_PASSWORD = 8
_hasher = PasswordHasher()
_CHOOSE = "choose a phrase of three or four words that only you would put together"


class UserError(RegisterError):
    pass


@functools.cache
def common_passwords() -> frozenset[str]:
    """The passwords tried first (`common-passwords.txt`, shipped with the package), case-folded."""
    text = resources.files(__package__).joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def password_fault(password: str, username: str) -> tuple[str, str] | None:
    """What is wrong with `password` for `username` under the minimum policy, as (code, message),
    or None. Codes: blank, short, username, repeated, common."""
    folded = password.strip().casefold()
    if not folded:
        return "blank", f"password: not only spaces; {_CHOOSE}"
    if len(password) < MIN_PASSWORD:
        return "short", f"password: at least {MIN_PASSWORD} characters; {_CHOOSE}"
    if folded == username.strip().casefold():
        return "username", f"password: not the username; {_CHOOSE}"
    if len(set(folded)) == 1:
        return "repeated", f"password: not one character repeated; {_CHOOSE}"
    if folded in common_passwords():
        return "common", f"password: one of the most common passwords, which are tried first; {_CHOOSE}"
    return None


def password_problem(password: str, username: str) -> str | None:
    """What is wrong with `password` for `username` under the minimum policy, or None."""
    fault = password_fault(password, username)
    return fault[1] if fault else None


def check_password(password: str, username: str) -> None:
    fault = password_fault(password, username)
    if fault:
        raise UserError(fault[1], code=f"password_{fault[0]}", minimum=MIN_PASSWORD)


def check_username(username: str) -> str:
    """The username as stored (lower case), or UserError."""
    username = username.strip().lower()
    if not re.fullmatch(r"[a-z0-9._-]{2,64}", username):
        raise UserError("username: 2–64 characters, a-z 0-9 . _ -", code="username")
    return username


def check_name(name: str) -> str:
    """The full name as stored (spaces collapsed), or UserError."""
    name = " ".join(name.split())
    if len(name) > 200 or not name.isprintable():
        raise UserError("name: at most 200 characters, no control characters", code="name")
    return name


#: A NIP (Nomor Induk Pegawai) has 18 digits; typed with spaces as printed ("19850312 201001 1 002").
NIP_DIGITS = 18


def check_nip(nip: str) -> str:
    """The NIP as stored (its digits, spaces typed between them removed; empty: none), or UserError."""
    nip = "".join(nip.split())
    if nip and not (len(nip) == NIP_DIGITS and nip.isascii() and nip.isdigit()):
        raise UserError(f"NIP: {NIP_DIGITS} digits (spaces between them are fine), or empty", code="nip",
                        digits=NIP_DIGITS)
    return nip


def add_user(session: Session, *, username: str, password: str, role: str, name: str = "", nip: str = "",
             actor: str = "-") -> UserAccount:
    """Add a user at once; the kiosk goes through `grants` (a role that sees "dikecualikan" waits
    for the Atasan PPID)."""
    username, name, nip = check_username(username), check_name(name), check_nip(nip)
    if role not in ROLES:
        raise UserError(f"role {role!r} is not one of {', '.join(ROLES)}", code="role")
    check_password(password, username)
    if session.get(UserAccount, username) is not None:
        raise UserError(f"user {username} exists already", code="user_exists", username=username)
    user = UserAccount(username=username, name=name or username, nip=nip, role=role,
                       password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.add", username, role=role, name=user.name)
    return user


def get_user(session: Session, username: str) -> UserAccount:
    user = session.get(UserAccount, username)
    if user is None:
        raise UnknownEntryError(f"no user {username}", code="no_user", username=username)
    return user


def set_password(session: Session, username: str, password: str, *, actor: str = "-") -> None:
    user = get_user(session, username)
    check_password(password, user.username)
    user.password_hash = _hasher.hash(password)
    end_sessions(session, username)
    audit.record(session, actor, "user.password", user.username)


def set_active(session: Session, username: str, active: bool, *, actor: str = "-") -> None:
    user = get_user(session, username)
    user.active = active
    if not active:
        end_sessions(session, username)
    audit.record(session, actor, "user.activate" if active else "user.deactivate", user.username)


def authenticate(session: Session, username: str, password: str) -> UserAccount | None:
    """The user if the password is right and the account active; else None (same time either way)."""
    user = session.get(UserAccount, username.strip().lower())
    stored = user.password_hash if user is not None else _DUMMY
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


_DUMMY = _hasher.hash("not a real password")


# -- login sessions ------------------------------------------------------------------------------

#: A session's last use is written at most this often (seconds), not on every request.
TOUCH_EVERY = 5.0


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, username: str, *, now: float, idle_seconds: float) -> str:
    """A new login session for `username`; returns the token the browser keeps. Sessions idle for
    longer than `idle_seconds`, of anyone, are cleared out on the way."""
    session.execute(delete(UserSession).where(UserSession.last_seen < now - idle_seconds))
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=_token_hash(token), username=username, created_at=now, last_seen=now))
    return token


def session_user(session: Session, token: str, *, now: float, idle_seconds: float, touch: bool) -> str | None:
    """The username whose live session `token` is, else None (`session_account`)."""
    account = session_account(session, token, now=now, idle_seconds=idle_seconds, touch=touch)
    return account.username if account is not None else None


def session_account(session: Session, token: str, *, now: float, idle_seconds: float,
                    touch: bool) -> UserAccount | None:
    """The account whose live session `token` is, read with the session in one query (the kiosk
    asks on every request), else None; a session idle for longer than `idle_seconds` ends here.
    `touch`: this request is a person's action (it counts as use)."""
    if not token:
        return None
    found = session.execute(select(UserSession, UserAccount)
                            .join(UserAccount, UserAccount.username == UserSession.username)
                            .where(UserSession.token_hash == _token_hash(token))).first()
    if found is None:
        return None
    row, account = found
    if now - row.last_seen > idle_seconds:
        session.delete(row)
        return None
    if touch and now - row.last_seen >= TOUCH_EVERY:
        row.last_seen = now
    return account


def close_session(session: Session, token: str) -> None:
    session.execute(delete(UserSession).where(UserSession.token_hash == _token_hash(token)))


def end_sessions(session: Session, username: str) -> None:
    """End every login of `username`, in every browser."""
    session.execute(delete(UserSession).where(UserSession.username == username))
