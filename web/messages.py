"""What the kiosk says for the service's typed errors: a code and its parameters, translated here
(the service's own English `str(exc)` is only the fallback for a code not listed yet)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from scan_station.errors import ScanStationError

_CHOOSE = _l("choose a phrase of three or four words that only you would put together.")

MESSAGES = {
    # users (scan_station.users)
    "username": _l("Username: 2–64 characters, a-z 0-9 . _ -."),
    "name": _l("Name: at most 200 characters, no control characters."),
    "role": _l("Choose one of the roles."),
    "user_exists": _l("User %(username)s exists already."),
    "no_user": _l("There is no user %(username)s."),
    "password_blank": _l("The password may not be only spaces;"),
    "password_short": _l("The password needs at least %(minimum)d characters;"),
    "password_username": _l("The password may not be the username;"),
    "password_repeated": _l("The password may not be one character repeated;"),
    "password_common": _l("The password is one of the most common passwords, which are tried first;"),
    # access to "dikecualikan" (scan_station.grants)
    "already_active": _l("User %(username)s is active already."),
    "already_asked": _l("A request for %(username)s is already waiting for the Atasan PPID."),
    "no_atasan": _l("There is no active Atasan PPID to confirm it. Make the first Atasan PPID on the server: "
                    "scan-station user add NAME --role atasan."),
    "not_atasan": _l("Only the Atasan PPID confirms or refuses a request for access."),
    "own_request": _l("A request is decided by someone other than who asked for it."),
    "already_decided": _l("This request has been decided already."),
    "changed": _l("User %(username)s has another role now; ask again."),
}


def user_message(exc: ScanStationError) -> str:
    """`exc` in the kiosk's language."""
    template = MESSAGES.get(exc.code)
    if template is None:
        return str(exc)
    try:
        text = str(template) % exc.params
    except (KeyError, TypeError, ValueError):
        return str(exc)
    return f"{text} {_CHOOSE}" if exc.code.startswith("password_") else text
