"""The roles of the SOP and what each may do, defined once: the kiosk's views and templates ask
here (`may`), as do the service's own checks.

| role | may |
|---|---|
| Petugas Dokumentasi | register entries, print cover sheets, scan, review and confirm batches |
| Petugas PPID | all of that, manage the register, accept or return documents, see "dikecualikan" |
| Atasan PPID | read everything, "dikecualikan" included; the monthly report; decide access requests |
| admin | users (one who sees "dikecualikan": with the Atasan's confirmation), scanners, profiles |

An access request (`grants`): the admin asks for a user who would see "dikecualikan"; the Atasan
PPID confirms or refuses it. The admin also registers entries and scans.
"""

from __future__ import annotations

from enum import StrEnum

#: role -> its name on screen (Bahasa Indonesia)
ROLES = {
    "dokumentasi": "Petugas Dokumentasi",
    "ppid": "Petugas PPID",
    "atasan": "Atasan PPID",
    "admin": "Admin",
}
#: The category of information withheld from the public.
EXEMPT = "dikecualikan"


class Permission(StrEnum):
    REGISTER = "register"  # add entries, print cover sheets
    MANAGE_REGISTER = "manage_register"  # edit entries, import a CSV
    SCAN = "scan"  # scan, review and confirm batches
    DECIDE = "decide"  # accept or return submitted documents
    REPORT = "report"  # the monthly report
    ADMINISTER = "administer"  # users, scanners, profiles, the checks of the installation
    SEE_EXEMPT = "see_exempt"  # documents of category "dikecualikan", in every form
    AUDIT = "audit"  # the audit log, and the requests for access to "dikecualikan"
    CONFIRM_ACCESS = "confirm_access"  # confirm or refuse such a request (`grants`)


GRANTS: dict[Permission, tuple[str, ...]] = {
    Permission.REGISTER: ("dokumentasi", "ppid", "admin"),
    Permission.MANAGE_REGISTER: ("ppid", "admin"),
    Permission.SCAN: ("dokumentasi", "ppid", "admin"),
    Permission.DECIDE: ("ppid",),
    Permission.REPORT: ("atasan", "ppid", "admin"),
    Permission.ADMINISTER: ("admin",),
    Permission.SEE_EXEMPT: ("ppid", "atasan"),
    Permission.AUDIT: ("ppid", "atasan"),  # the PPID's oversight; not the admin, whose own work it records
    Permission.CONFIRM_ACCESS: ("atasan",),  # the second person for every grant of SEE_EXEMPT
}


def may(role: str, permission: Permission | str) -> bool:
    return role in GRANTS[Permission(permission)]


def hidden_categories(role: str) -> tuple[str, ...]:
    """Categories `role` may not see: in results, downloads, handover and page images alike."""
    return () if may(role, Permission.SEE_EXEMPT) else (EXEMPT,)
