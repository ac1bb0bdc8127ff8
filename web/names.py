"""What the kiosk calls the service's states, options and page checks, in the UI's language."""

from __future__ import annotations

from flask_babel import get_locale, lazy_gettext
from flask_babel import gettext as _

from scan_station.capture.batch_folder import FILING_STOPPED

from .messages import MESSAGES, message_for

STATUS_NAMES = {  # of scan batches, in progress and filed
    "new": lazy_gettext("New"), "scanning": lazy_gettext("Scanning…"), "interrupted": lazy_gettext("Interrupted"),
    "scanned": lazy_gettext("Scanned, waiting for review"), "queued": lazy_gettext("Waiting to be filed"),
    "filing": lazy_gettext("OCR and filing…"), "failed": lazy_gettext("Filing failed"), "filed": lazy_gettext("Filed"),
    "received": lazy_gettext("Received"),
    # of filed documents in the handover
    "submitted": lazy_gettext("Submitted"), "accepted": lazy_gettext("Accepted and stored"),
    "returned": lazy_gettext("Returned"),
    # of softcopies handed over at the kiosk (also queued, filing, failed, filed)
    "refused": lazy_gettext("Refused"),
    "cancelled": lazy_gettext("Cancelled (kept, not filed)"),
}


#: What a page check (`scan_station.core.model.PageCheck`) means, by its code; its params fill the blanks.
CHECK_NAMES = {
    "unreadable": lazy_gettext("Text hard to read"),
    "no_text": lazy_gettext("No text read"),
    "maybe_blank": lazy_gettext("Maybe blank"),
    "skewed": lazy_gettext("Skewed %(degrees)s° — scan it again"),
    "cut_off": lazy_gettext("Content cut off at the edge"),
    "darker": lazy_gettext("Much darker than the other pages"),
    "lighter": lazy_gettext("Much lighter than the other pages"),
    "page_missing": lazy_gettext("Page %(expected)s is missing before this page"),
    "page_repeated": lazy_gettext("Page number %(number)s appears again"),
    "no_page_in_photo": lazy_gettext("No page found in the photo: filed as it is"),
    "photo_outline": lazy_gettext("The page's outline in the photo may take in some of the desk"),
}


def check_text(check) -> str:
    """A page check in the kiosk's language: a `PageCheck` or its dict (`as_dict`)."""
    code, params = (check["code"], check.get("params") or {}) if isinstance(check, dict) else (check.code, check.params)
    name = CHECK_NAMES.get(code)
    if name is None:
        return str(code)
    try:
        return str(name) % {k: v for k, v in params.items() if isinstance(v, int | float | str)}
    except (KeyError, TypeError, ValueError):  # figures missing: the name without them
        return str(name).split("%(")[0].rstrip(" —")


#: Why pages are held in a review (`scan_station.pages.split.HeldGroup`), by its code.
HELD_REASONS = {
    "before_first_cover": lazy_gettext("Pages before the first cover sheet: pick the entry they belong to."),
    "cover_unreadable": lazy_gettext("The cover sheet on page %(page)s could not be read with certainty: pick the "
                                     "entry, or scan the cover sheet again."),
    "not_registered": lazy_gettext("The cover sheet on page %(page)s names %(register_id)s, which is not in the "
                                   "register: pick an entry."),
    "cover_twice": lazy_gettext("%(register_id)s has more than one cover sheet in this batch: pick the entry for "
                                "these pages."),
    "cover_empty": lazy_gettext("The cover sheet for %(register_id)s has no pages after it."),
    "restored": lazy_gettext("Restored in the review: pick the entry it belongs to."),
    "rescanned": lazy_gettext("Scanned again for page %(page)s."),
}


def held_reason(group) -> str:
    """Why a group of pages is held, in the kiosk's language (never the service's English)."""
    template = HELD_REASONS.get(getattr(group, "code", ""))
    try:
        return str(template) % (group.params or {}) if template is not None else _HELD
    except (KeyError, TypeError, ValueError):
        return _HELD


_HELD = lazy_gettext("Held: pick the entry these pages belong to.")


#: What became of a register entry (`scan_station.register.ENTRY_STATES`).
ENTRY_STATE_NAMES = {
    "not_scanned": lazy_gettext("not scanned yet"), "submitted": lazy_gettext("waiting for the PPID"),
    "accepted": lazy_gettext("accepted"), "returned": lazy_gettext("returned to the unit"),
}


#: A scan profile's options (`scan_station.core.model.SOURCES`, `MODES`).
OPTION_NAMES = {
    "flatbed": lazy_gettext("flatbed"), "adf": lazy_gettext("feeder"), "adf-duplex": lazy_gettext("feeder, both sides"),
    "lineart": lazy_gettext("black and white"), "gray": lazy_gettext("grey"), "color": lazy_gettext("colour"),
    "max": lazy_gettext("largest the scanner takes"),
}


def option_name(value: str) -> str:
    """A profile's source, mode or paper size as a person says it ("adf" -> "pengumpan")."""
    return str(OPTION_NAMES.get(value, value))


def fault_text(fault: dict) -> str:
    """What stopped a scan (a `Fault` as the batch state holds it), in the kiosk's language."""
    said = fault.get("en" if str(get_locale()) == "en" else "id") or ""
    code = fault.get("code") or ""
    if code not in MESSAGES:
        return said
    params = {k: option_name(v) if isinstance(v, str) else v for k, v in (fault.get("params") or {}).items()}
    return _("This scanner cannot use this profile — choose another one: %(why)s",
             why=message_for(code, params, said))


def batch_error(state) -> str | None:
    """Why the filing of a batch (a `BatchState`) failed, in the kiosk's language; None if it did not."""
    if not state.error:
        return None
    if state.error == FILING_STOPPED:
        return _("Filing stopped before it was done (the program ended); confirm the batch again.")
    if state.code in MESSAGES:
        return message_for(state.code, state.params, state.error)
    if state.retry:
        return _("Filing stopped for a reason that passes (the disk or the database); it is tried again by itself.")
    return _("Filing failed. Confirm the batch again; if it fails again, the administrator finds the reason in "
             "the kiosk's log.")


#: The system check's parts that are not program names.
PART_NAMES = {"database": lazy_gettext("database"), "folders": lazy_gettext("folders"),
              "public_base_url": lazy_gettext("public address (public_base_url)")}
#: What a probe (`scan_station._exec.probe.Probe`) found, by its code: (detail, what to do).
PROBE_TEXTS = {
    "not_installed": (lazy_gettext("not installed"), lazy_gettext("Install it on the server:")),
    "not_installed_office": (lazy_gettext("not installed: office softcopies cannot be taken"),
                             lazy_gettext("Install it on the server:")),
    "not_installed_sandbox": (lazy_gettext("not installed: softcopies from outside cannot be converted safely"),
                              lazy_gettext("Install it on the server:")),
    "too_old": (lazy_gettext("version %(found)s is too old; %(needed)s or newer is needed"),
                lazy_gettext("Update it on the server:")),
    "cannot_load": (lazy_gettext("cannot be loaded"), lazy_gettext("Install it again on the server:")),
    "no_backend": (lazy_gettext("no scanner driver (SANE backend) is switched on"),
                   lazy_gettext("Install the scanner's driver on the server:")),
    "backends": (lazy_gettext("scanner drivers: %(backends)s"), None),
    "languages": (lazy_gettext("languages %(languages)s"), None),
    "languages_missing": (lazy_gettext("language data %(languages)s not installed"),
                          lazy_gettext("Install it on the server:")),
    "schema": (lazy_gettext("schema %(revision)s"), None),
    "database_unusable": (lazy_gettext("the database cannot be opened"),
                          lazy_gettext("Check the database_url setting on the server.")),
    "folders": (lazy_gettext("writable; %(free)s GiB free in storage"), None),
    "folder_unwritable": (lazy_gettext("%(folder)s cannot be written"),
                          lazy_gettext("Make it writable for user %(user)s, or set %(name)s:")),
    "folder_full": (lazy_gettext("not enough free space in %(folder)s: %(free)s KiB free"),
                    lazy_gettext("Free some space on the disk.")),
    "public_base_url_unset": (lazy_gettext("not set: no copy for an applicant can be made"),
                              lazy_gettext("Set the address citizens reach the kiosk at, in scan-station.toml:")),
}


def probe_text(probe) -> dict:
    """A system check row in the kiosk's language: {part, detail, fix, command}."""
    detail, fix = PROBE_TEXTS.get(probe.code, (None, None))
    params = probe.params or {}
    command = params.get("command") or ('public_base_url = "https://…"' if probe.code == "public_base_url_unset"
                                        else "")
    try:
        shown = str(detail) % params if detail is not None else (probe.detail if not probe.code else "")
        todo = str(fix) % params if fix is not None else ""
    except (KeyError, TypeError, ValueError):
        shown, todo = probe.detail, probe.fix
    if probe.name == "public_base_url" and probe.ok and not probe.warn:
        shown = probe.detail  # the address itself
    return {"part": str(PART_NAMES.get(probe.name, probe.name)), "detail": shown, "fix": todo, "command": command}
