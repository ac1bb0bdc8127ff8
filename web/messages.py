"""What the kiosk says for the service's typed errors: a code and its parameters, translated here
(the service's own English `str(exc)` is only the fallback for a code not listed yet)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from scan_station.core.errors import ScanStationError

_CHOOSE = _l("choose a phrase of three or four words that only you would put together.")

MESSAGES = {
    # users (scan_station.accounts.users)
    "username": _l("Username: 2–64 characters, a-z 0-9 . _ -."),
    "name": _l("Name: at most 200 characters, no control characters."),
    "nip": _l("NIP: %(digits)d digits (spaces between them are fine), or leave it empty."),
    "role": _l("Choose one of the roles."),
    "user_exists": _l("User %(username)s exists already."),
    "no_user": _l("There is no user %(username)s."),
    "password_blank": _l("The password may not be only spaces;"),
    "password_short": _l("The password needs at least %(minimum)d characters;"),
    "password_username": _l("The password may not be the username;"),
    "password_repeated": _l("The password may not be one character repeated;"),
    "password_common": _l("The password is one of the most common passwords, which are tried first;"),
    # access to "dikecualikan" (scan_station.accounts.grants)
    "already_active": _l("User %(username)s is active already."),
    "already_asked": _l("A request for %(username)s is already waiting for the Atasan PPID."),
    "no_atasan": _l("There is no active Atasan PPID to confirm it. Make the first Atasan PPID on the server: "
                    "scan-station user add NAME --role atasan."),
    "not_atasan": _l("Only the Atasan PPID confirms or refuses a request for access."),
    "own_request": _l("A request is decided by someone other than who asked for it."),
    "already_decided": _l("This request has been decided already."),
    "role_changed": _l("User %(username)s has another role now; ask again."),
    # softcopies handed over (scan_station.filing.softcopy; kept with a hand-over's state, so never renamed)
    "not_file": _l("%(name)s: not a file."),
    "extension": _l("%(name)s: this kind of file cannot be handed over; use PDF, JPEG, PNG, TIFF, WebP, HEIC, "
                    "DOCX, XLSX, PPTX, ODT or ODS."),
    "corners": _l("%(name)s: the corners do not make a page; drag each onto a corner of the page."),
    "photo_frames": _l("%(name)s: the file holds more than one picture; hand over each picture as a file of its own."),
    "photo_too_big": _l("%(name)s: the picture is larger than %(limit)s megapixels; hand over a smaller copy."),
    "photo_damaged": _l("%(name)s: the picture cannot be read; hand it over again as it was saved."),
    "empty": _l("%(name)s: the file is empty."),
    "too_big": _l("%(name)s: the file is larger than %(limit)s MB; split it, or hand over a smaller copy."),
    "mismatch": _l("%(name)s: the name says %(kind)s, but the content is %(found)s; hand over the file as "
                             "it was saved."),
    "protected": _l("%(name)s: the document is password-protected; save an unprotected copy and hand that "
                              "over."),
    "bomb": _l("%(name)s: this is no document (it unpacks to far too much)."),
    "office_image": _l("%(name)s: a picture in the document is larger than %(limit)s megapixels; make it "
                                 "smaller in the document, or hand over a PDF."),
    "pages": _l("%(name)s: a hand-over may have at most %(limit)s pages; hand it over in parts."),
    "changed": _l("%(name)s: the file changed while it was being read; hand it over again."),
    "convert_timeout": _l("%(name)s: the document took longer than %(seconds)s s to open; save it as PDF "
                                    "on the computer it came from."),
    "no_files": _l("Choose at least one file."),
    "convert_failed": _l("%(name)s: the document cannot be opened; check that it opens on a computer, "
                                   "or hand over a PDF of it."),
    # the register (scan_station.register, register_csv, report)
    "date": _l("%(value)s is not a date; write it as YYYY-MM-DD, e.g. 2025-01-31."),
    "field_not_utf8": _l("%(field)s holds bytes that are not text; type it again."),
    "field_required": _l("%(field)s must be filled in."),
    "field_too_long": _l("%(field)s has %(length)d characters; at most %(limit)d are allowed."),
    "category": _l("Category %(value)s is not one of %(allowed)s."),
    "format": _l("Form %(value)s is not one of %(allowed)s."),
    "register_id": _l("%(value)s cannot be a register number."),
    "entry_exists": _l("Register number %(entry)s exists already."),
    "exempt_change": _l("Only a Petugas PPID or the Atasan PPID may change the category from %(old)s to %(new)s "
                        "(\"dikecualikan\" decides who may see the documents)."),
    "no_entry": _l("Register number %(entry)s is not in the register."),
    "not_registered": _l("Not in the register: %(entries)s."),
    "month": _l("%(value)s is not a month; write it as YYYY-MM, e.g. 2026-11."),
    "month_year": _l("%(value)s: the year must be between %(first)d and %(last)d."),
    "csv_empty": _l("The file is empty; the first line must hold the column headers."),
    "csv_unknown_column": _l("Unknown column %(column)s; the columns are: %(known)s."),
    "csv_column_twice": _l("Column %(column)s appears twice; keep one of them."),
    "csv_missing_columns": _l("Missing column(s): %(columns)s."),
    "csv_cell_too_long": _l("A cell is longer than %(limit)d characters, far more than any field may hold."),
    "csv_unreadable": _l("The file cannot be read as CSV; save the spreadsheet as 'CSV UTF-8'."),
    "csv_too_many_rows": _l("The file has more than %(limit)d rows; import it in parts."),
    "csv_cells": _l("%(cells)d cells but %(columns)d columns."),
    "csv_id_twice": _l("Register number %(entry)s is already on line %(first)d."),
    # scan profiles (scan_station.capture.profiles)
    "profile_name_required": _l("A profile needs a name."),
    "profile_name_long": _l("A profile's name has at most 100 characters."),
    "profile_source": _l("Source: one of %(sources)s."),
    "profile_mode": _l("Mode: one of %(modes)s."),
    "profile_resolution": _l("Resolution: 50 to 1200 dpi."),
    "profile_page_size": _l("Paper: one of %(sizes)s."),
    "profile_exists": _l("Profile %(name)s exists already."),
    # a profile the scanner cannot do (scan_station.capture.scanner.fit; the kiosk names the options)
    "profile_no_feeder": _l("%(device)s has no document feeder; choose a flatbed profile."),
    "profile_no_source": _l("%(device)s has no %(source)s; it offers: %(offered)s."),
    "profile_no_mode": _l("%(device)s cannot scan in %(mode)s; it offers: %(offered)s."),
    "profile_no_resolution": _l("%(device)s cannot scan at %(resolution)s dpi; it offers: %(offered)s dpi."),
    "profile_too_big": _l("Paper %(page_size)s (%(size)s mm) does not fit: %(device)s scans at most %(largest)s mm."),
    # the review of a batch (scan_station.capture.review)
    "empty_document": _l("%(register_id)s has no pages left: assign pages to it, or remove its cover sheet."),
    "rescan_waiting": _l("Page %(page)d waits to be scanned again (or cancel the rescan)."),
    "held_gone": _l("Those held pages are not in this batch any more; reload the page."),
    "pick_entry": _l("%(register_id)s is not in the register; pick an entry from the list."),
    "page_not_in_document": _l("Page %(page)d is not in a document."),
    "not_at_boundary": _l("Page %(page)d is not at the edge of a document in that direction."),
    "page_nowhere": _l("Page %(page)d is in no document and no held group."),
    "page_not_removed": _l("Page %(page)d was neither removed nor taken for blank."),
    "nothing_to_file": _l("No document to file: assign the held pages to an entry first."),
    "batch_busy": _l("Batch %(batch)s is being worked on; wait until it is done."),
    "needs_ppid": _l("Page %(page)d came in under a \"dikecualikan\" entry or a cover that could not be read, and "
                     "would be filed in %(register_id)s: a Petugas PPID must confirm this batch."),
    # PPID storage (scan_station.core.storage)
    "disk_full": _l("The storage disk is full: nothing was filed. Ask the administrator to free some space, then "
                    "try again."),
    "storage_unwritable": _l("The storage cannot be written: nothing was filed. Ask the administrator to check it, "
                             "then try again."),
    # the handover (scan_station.records.handover)
    "reason_required": _l("A returned document needs a reason, so that the unit knows what to fix."),
}


def user_message(exc: object) -> str:
    """`exc` (an error of ours, or an older caller's message) in the kiosk's language."""
    if not isinstance(exc, ScanStationError):
        return str(exc)
    said = str(exc)
    text = message_for(exc.code, exc.params, said)
    return f"{text} {_CHOOSE}" if exc.code.startswith("password_") and text != said else text


def message_for(code: str, params: dict, said: str) -> str:
    """What `code` with `params` says in the kiosk's language; `said` (the service's own words) for
    a code without a translation, or parameters that do not fit it."""
    template = MESSAGES.get(code)
    try:
        return str(template) % params if template is not None else said
    except (KeyError, TypeError, ValueError):
        return said
