"""The audit log as its readers read it (issue 24): each record as a sentence in the kiosk's
language ("Budi menerima PPID-2026-000006 versi 1"), and the actions as a choice list of their
names. The codes stay underneath: in the filter's values, the rows' `data-action` and the CSV.

Every action code the service writes has an entry in ACTIONS (a test scans the source for the
codes); a code without one still reads as a sentence (GENERIC), naming the code."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape


@dataclass(frozen=True)
class Action:
    name: object  # what the choice list calls it (a lazy string)
    sentence: object  # a %-template with actor, subject, entry, version, user, entries, count


ACTIONS: dict[str, Action] = {
    "register.add": Action(_l("Entry added"), _l("%(actor)s added %(entry)s to the register")),
    "register.change": Action(_l("Entry changed"), _l("%(actor)s changed %(entry)s in the register")),
    "coversheet.print": Action(_l("Cover sheets printed"), _l("%(actor)s printed cover sheets for %(entries)s")),
    "scan.start": Action(_l("Scan started"), _l("%(actor)s started scanning batch %(subject)s")),
    "scan.cancel": Action(_l("Batch cancelled"), _l("%(actor)s cancelled batch %(subject)s")),
    "review.confirm": Action(_l("Review confirmed"), _l("%(actor)s confirmed the review of batch %(subject)s")),
    "document.filed": Action(_l("Document filed"), _l("%(actor)s filed %(entry)s version %(version)s")),
    "handover.accepted": Action(_l("Document accepted"), _l("%(actor)s accepted %(entry)s version %(version)s")),
    "handover.returned": Action(_l("Document returned"),
                                _l("%(actor)s returned %(entry)s version %(version)s to the documentation officer")),
    "document.view": Action(_l("Dikecualikan document opened"),
                            _l("%(actor)s opened the dikecualikan document %(entry)s version %(version)s")),
    "document.download": Action(_l("Dikecualikan document downloaded"),
                                _l("%(actor)s downloaded the dikecualikan document %(entry)s version %(version)s")),
    "document.copy": Action(_l("Copy made of a dikecualikan document"),
                            _l("%(actor)s made a copy for a requester of the dikecualikan document %(entry)s "
                               "version %(version)s")),
    "search.exempt": Action(_l("Dikecualikan documents in search results"),
                            _l("%(actor)s was shown dikecualikan documents in search results: %(entries)s")),
    "user.add": Action(_l("User added"), _l("%(actor)s added the user %(user)s")),
    "user.password": Action(_l("Password set"), _l("%(actor)s set a new password for %(user)s")),
    "user.activate": Action(_l("User activated"), _l("%(actor)s activated the user %(user)s")),
    "user.deactivate": Action(_l("User deactivated"), _l("%(actor)s deactivated the user %(user)s")),
    "access.ask": Action(_l("Access requested"), _l("%(actor)s asked the Atasan PPID to confirm access for %(user)s")),
    "access.confirm": Action(_l("Access confirmed"), _l("%(actor)s confirmed access for %(user)s")),
    "access.refuse": Action(_l("Access refused"), _l("%(actor)s refused access for %(user)s")),
    "login": Action(_l("Login"), _l("%(actor)s logged in from %(subject)s")),
    "login.failed": Action(_l("Failed login"), _l("Failed login as %(actor)s from %(subject)s")),
    "fixity.check": Action(_l("Storage check: all whole"),
                           _l("%(actor)s checked the stored files and the audit log: all whole")),
    "fixity.mismatch": Action(_l("Storage check: problems found"),
                              _l("%(actor)s checked the stored files and the audit log and found problems")),
    "berita_acara.make": Action(_l("Berita acara made"), _l("%(actor)s made berita acara %(subject)s")),
    "export": Action(_l("Bag exported"), _l("%(actor)s exported %(count)s documents as bag %(subject)s")),
    "import-bag": Action(_l("Bag imported"), _l("%(actor)s imported %(count)s documents from bag %(subject)s")),
}
#: A record whose code has no sentence (one the kiosk does not know yet).
GENERIC = _l("%(actor)s: %(action)s on %(subject)s")

#: The choice list: groups of (value, name); a value that is no code is a prefix ("every ...").
GROUPS = (
    (_l("Register"), (("register", _l("Every entry added or changed")), "register.add", "register.change",
                      "coversheet.print")),
    (_l("Scanning and filing"), ("scan.start", "scan.cancel", "review.confirm", "document.filed")),
    (_l("Handover"), (("handover", _l("Every handover decision")), "handover.accepted", "handover.returned")),
    (_l("Dikecualikan documents"), ("document.view", "document.download", "document.copy", "search.exempt")),
    (_l("Users and access"), (("user", _l("Every change to a user")), "user.add", "user.password", "user.activate",
                              "user.deactivate", ("access", _l("Every step of an access request")), "access.ask",
                              "access.confirm", "access.refuse", "login", "login.failed")),
    (_l("Checks, berita acara and bags"), (("fixity", _l("Every storage check")), "fixity.check", "fixity.mismatch",
                                           "berita_acara.make", "export", "import-bag")),
)
SYSTEM_ACTORS = ("scheduler", "system", "worker")
_VERSIONED = re.compile(r"(?P<id>\S+) v(?P<version>\d+)")
#: Entries a sentence names before it says how many more there are.
MAX_NAMED = 10


def choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The choice list of actions, by group: (group name, [(value, name)])."""
    return [(str(label), [(item, str(ACTIONS[item].name)) if isinstance(item, str) else (item[0], str(item[1]))
                          for item in items]) for label, items in GROUPS]


def person(username: str, names: dict[str, str]) -> str:
    """Who did it, as a person reads it: a user's full name, the system, the command line."""
    username = str(username or "")
    if username in SYSTEM_ACTORS:
        return _("the system")
    if username == "cli":
        return _("the command line")
    if username.startswith("cli:"):
        return _("the command line (%(login)s)", login=username[4:])
    if username in ("", "-"):
        return _("an unknown user")
    return names.get(username) or username


def entry_link(register_id: str, version: object = None) -> Markup:
    """A register entry (with a version), linked to the entry's page."""
    text = f"{register_id} v{version}" if version is not None else register_id
    return Markup('<a href="{}">{}</a>').format(url_for("register.show", entry_id=register_id), text)


def entry_links(items: list) -> Markup:
    """Several entries ("ID", "ID vN" or [ID, N]), linked, the first MAX_NAMED of them."""
    links = [_item_link(item) for item in items[:MAX_NAMED]]
    if len(items) > MAX_NAMED:
        links.append(escape(_("and %(count)s more", count=len(items) - MAX_NAMED)))
    return Markup(", ").join(links)


def _item_link(item: object) -> Markup:
    if isinstance(item, list | tuple) and len(item) == 2:
        return entry_link(str(item[0]), item[1])
    text = str(item)
    versioned = _VERSIONED.fullmatch(text)
    return entry_link(versioned["id"], versioned["version"]) if versioned else entry_link(text)


def sentence(record: dict, names: dict[str, str]) -> Markup:
    """The record as a sentence in the kiosk's language, its entries linked to their pages."""
    action = ACTIONS.get(record["action"])
    params = _params(record, names)
    template = str(action.sentence) if action else ""
    if not template or ("%(version)s" in template and params["version"] is None):
        template, params["action"] = str(GENERIC), record["action"]
    if template.startswith("%(actor)s"):
        params["actor"] = params["actor"][:1].upper() + params["actor"][1:]
    return escape(template) % params


def listed_key(record: dict) -> str:
    """The detail that lists the entries a record concerns ("ids" of cover sheets, else "documents")."""
    return "ids" if record["action"] == "coversheet.print" else "documents"


def in_sentence(record: dict) -> set[str]:
    """The details the record's sentence shows already (its details need not show them again)."""
    action = ACTIONS.get(record["action"])
    return {listed_key(record)} if action and "%(entries)s" in str(action.sentence) else set()


def _params(record: dict, names: dict[str, str]) -> dict:
    subject, details = str(record.get("subject") or ""), record.get("details")
    details = details if isinstance(details, dict) else {}
    versioned = _VERSIONED.fullmatch(subject)
    register_id, version = (versioned["id"], versioned["version"]) if versioned else (subject, None)
    listed = details.get(listed_key(record))
    listed = listed if isinstance(listed, list) else None
    return {"actor": person(record.get("actor"), names), "subject": subject or "—",
            "entry": entry_link(register_id) if register_id else "—", "version": version,
            "user": person(subject, names), "count": len(listed) if listed is not None else "—",
            "entries": entry_links(listed if listed is not None else [s.strip() for s in subject.split(",")])}
