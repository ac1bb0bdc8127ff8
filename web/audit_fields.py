"""An audit record's details as its readers read them (issue 24): labelled fields in the kiosk's
language instead of JSON — register changes as "old → new" under the field's DIP name, entries
linked to their pages, codes named (roles, requests), dates as dd-mm-yyyy HH:MM, long lists cut.
A key the kiosk does not know is labelled with the key itself; no value is shown as JSON."""

from __future__ import annotations

import datetime as dt
import re

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from scan_station.accounts.roles import ROLES
from scan_station.core.entry_fields import FIELDS

from .audit_text import entry_link, entry_links, in_sentence, person

LABELS = {
    "reason": _l("Reason"), "device": _l("Device"), "profile": _l("Profile"), "pages": _l("Pages"),
    "page": _l("Results page"), "version": _l("Version"), "role": _l("Role"), "name": _l("Name"),
    "document_id": _l("Document"), "sha256": "SHA-256", "batch": _l("Batch"), "path": _l("Place in storage"),
    "documents": _l("Documents"), "held": _l("Held pages"), "ids": _l("Entries"), "request": _l("Request no."),
    "change": _l("Request"), "asked_by": _l("Asked by"), "checked": _l("Files checked"),
    "problems": _l("Problems found"), "scope": _l("Scope"), "replaces": _l("Replaces"), "query": _l("Search words"),
    "source": _l("Source"), "anchors": _l("Audit log heads of the other installation"),
    "foreign_records": _l("Audit records of the other installation"), "via": _l("Made through"),
    "kept": _l("Pages kept at"),
}
HEADERS = {f.name: f.header for f in FIELDS}
#: What an access request asks for (`scan_station.accounts.grants.ACTIONS`).
CHANGES = {"add": _l("a new user"), "password": _l("a new password"), "activate": _l("the user activated again")}
VIA = {"csv": _l("CSV import")}
#: What the storage check found of a file ("kind: path" in a fixity record's problems).
PROBLEM_KINDS = {"missing": _l("missing"), "mismatch": _l("changed since it was stored"),
                 "orphan": _l("not recorded in the database")}
#: The reason the service gives when a signed paper's entry follows its documents into "dikecualikan".
_FOLLOWED = re.compile(r"a berita acara its paper holds lists (?P<ids>.+)")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?")
#: Items of a list shown before "and N more".
MAX_ITEMS = 12


def when(text: object) -> str:
    """A time as the kiosk shows it (dd-mm-yyyy HH:MM, in UTC as the log keeps it); a date as dd-mm-yyyy."""
    text = str(text or "")
    try:
        if _DAY.fullmatch(text):
            return dt.date.fromisoformat(text).strftime("%d-%m-%Y")
        if _MOMENT.fullmatch(text):
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return (moment.astimezone(dt.UTC) if moment.tzinfo else moment).strftime("%d-%m-%Y %H:%M")
    except ValueError:
        pass
    return text


def fields(record: dict, names: dict[str, str]) -> list[tuple[str, object]]:
    """(label, value) for each detail worth showing; values are text or links (Markup)."""
    details = record.get("details")
    if not isinstance(details, dict):
        value = shown(details, names)
        return [(_("Details"), value)] if value else []
    found: list[tuple[str, object]] = []
    old, new = details.get("old"), details.get("new")
    changes = isinstance(old, dict | None) and isinstance(new, dict | None) and (old or new)
    if changes:
        found += _changes(old or {}, new or {}, names)
    skip = in_sentence(record) | ({"old", "new"} if changes else set())
    for key, value in details.items():
        if key in skip:
            continue
        text = _value(str(key), value, names)
        if text:
            found.append((str(LABELS.get(key, str(key).replace("_", " "))), text))
    return found


def _changes(old: dict, new: dict, names: dict[str, str]) -> list[tuple[str, object]]:
    """Register fields: "old → new" where both are given, else the one value (empty ones left out;
    not the register number, which the sentence names)."""
    keys = [f.name for f in FIELDS if (f.name in old or f.name in new) and f.name != "id"]
    keys += [k for k in (*old, *new) if k not in keys and k not in HEADERS]
    found = []
    for key in dict.fromkeys(keys):
        before, after = shown(old.get(key), names), shown(new.get(key), names)
        if key in old and key in new:
            found.append((HEADERS.get(key, key), escape(before or "—") + " → " + escape(after or "—")))
        elif before or after:
            found.append((HEADERS.get(key, key), after or before))
    return found


def _value(key: str, value: object, names: dict[str, str]) -> object:
    if key == "problems" and isinstance(value, list):
        return _listed([_problem(p) for p in value], names)
    if key == "document_id" and isinstance(value, int) and not isinstance(value, bool):
        return document_link(value, _("Open the document"))
    if key in ("role", "asked_by", "change", "via") and isinstance(value, str):
        return {"role": lambda v: ROLES.get(v, v), "asked_by": lambda v: person(v, names),
                "change": lambda v: str(CHANGES.get(v, v)), "via": lambda v: str(VIA.get(v, v))}[key](value)
    if key == "reason" and isinstance(value, str) and (followed := _FOLLOWED.fullmatch(value)):
        return _("made dikecualikan with %(ids)s: its signed paper is a berita acara that lists them",
                 ids=followed["ids"])
    if key in ("documents", "ids") and isinstance(value, list):
        return _listed(value, names)
    if key in ("anchors", "foreign_records") and isinstance(value, list):
        return _("%(count)s records", count=len(value)) if value else ""
    return shown(value, names)


def document_link(document_id: int, text: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url_for("handover.show", document_id=document_id), text)


def _listed(items: list, names: dict[str, str]) -> object:
    """Documents or entries: [ID, N], "ID vN" and "ID" as entry links, a document's number as a
    link to its page, a review's {"register_id", "batch_pages"} as the entry with its pages."""
    if all(isinstance(i, str) or (isinstance(i, list) and len(i) == 2) for i in items):
        return entry_links(items)
    parts = []
    for item in items[:MAX_ITEMS]:
        if isinstance(item, int) and not isinstance(item, bool):
            parts.append(document_link(item, f"#{item}"))
        elif isinstance(item, dict) and isinstance(item.get("register_id"), str):
            pages = shown(item.get("batch_pages"), names)
            parts.append(entry_link(item["register_id"]) + (escape(" (" + _("pages %(pages)s", pages=pages) + ")")
                                                            if pages else ""))
        else:
            parts.append(escape(shown(item, names)))
    if len(items) > MAX_ITEMS:
        parts.append(escape(_("and %(count)s more", count=len(items) - MAX_ITEMS)))
    return Markup("; ").join(parts)


def shown(value: object, names: dict[str, str]) -> str:
    """Any value as plain words: yes/no, dates as dd-mm-yyyy, lists joined, mappings as "label: value"."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        items = [t for t in (shown(v, names) for v in value[:MAX_ITEMS]) if t]
        more = [_("and %(count)s more", count=len(value) - MAX_ITEMS)] if len(value) > MAX_ITEMS else []
        return ("; " if any(isinstance(v, list | tuple | dict) for v in value) else ", ").join(items + more)
    if isinstance(value, dict):
        return "; ".join(f"{LABELS.get(k, HEADERS.get(k, str(k).replace('_', ' ')))}: {t}"
                         for k, v in value.items() if (t := shown(v, names)))
    return when(value)


def _problem(item: object) -> object:
    """A storage check's "kind: path" with its kind named in the kiosk's language."""
    kind, _sep, path = str(item).partition(": ")
    return f"{PROBLEM_KINDS[kind]}: {path}" if kind in PROBLEM_KINDS and path else item
