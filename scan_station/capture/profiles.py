"""Scanners and scan profiles: what SANE finds (cached), the named profiles, and the profile a
scan uses when none is given."""

from __future__ import annotations

import json

from sqlalchemy import select

from ..core import storage
from ..core.config import Settings
from ..core.errors import NotFoundError, ProfileError
from ..core.model import MODES, PAGE_SIZES_MM, SOURCES, Profile
from ..db.database import Database, ScanProfile, utcnow

SCANNERS_CACHE = "scanners.json"
#: Modes in the order a default is chosen: text reads best in grey; colour is for photographs.
_MODE_ORDER = {"gray": 0, "lineart": 1, "color": 2}


def known_scanners(settings: Settings, *, refresh: bool = False) -> dict:
    """Discovery is slow with network backends: its result is cached in the home folder and
    refreshed on request (the udev rule asks for that when a scanner is plugged in or out)."""
    from .scanner import discover

    cache = settings.home / SCANNERS_CACHE
    if not refresh and cache.is_file():
        return json.loads(cache.read_text())
    data = {"discovered_at": utcnow().isoformat(timespec="seconds"), "scanners": [c.as_dict() for c in discover()]}
    storage.replace_json(cache, data)
    return data


def profile_dict(row: ScanProfile) -> dict:
    return {"name": row.name, "source": row.source, "mode": row.mode, "resolution": row.resolution,
            "page_size": row.page_size}


def get_profile(db: Database, name: str | None) -> Profile:
    """The profile called `name` (no name: the first by name)."""
    with db.session() as session:
        row = (
            session.get(ScanProfile, name)
            if name
            else session.scalars(select(ScanProfile).order_by(ScanProfile.name)).first()
        )
        if row is None:
            names = ", ".join(session.scalars(select(ScanProfile.name)))
            raise NotFoundError(f"no scan profile {name!r}; profiles: {names or 'none (add one with: profiles add)'}")
        return Profile(row.name, row.source, row.mode, row.resolution, row.page_size)


def add_profile(db: Database, *, name: str, source: str, mode: str, resolution: int, page_size: str) -> dict:
    """A new named profile; refused with the reason when a value is not one we know."""
    name = name.strip()
    problems = {  # code -> what it says
        "profile_name_required": "name: required" if not name else "",
        "profile_name_long": "name: at most 100 characters" if len(name) > 100 else "",
        "profile_source": f"source: one of {', '.join(SOURCES)}" if source not in SOURCES else "",
        "profile_mode": f"mode: one of {', '.join(MODES)}" if mode not in MODES else "",
        "profile_resolution": "resolution: 50 to 1200 dpi" if not 50 <= resolution <= 1200 else "",
        "profile_page_size": f"page size: one of {', '.join([*PAGE_SIZES_MM, 'max'])}"
        if page_size not in [*PAGE_SIZES_MM, "max"] else "",
    }
    found = {code: text for code, text in problems.items() if text}
    if found:  # the first is what the kiosk says; the command line says them all
        raise ProfileError("; ".join(found.values()), code=next(iter(found)), sources=", ".join(SOURCES),
                           modes=", ".join(MODES), sizes=", ".join([*PAGE_SIZES_MM, "max"]))
    with db.session() as session:
        if session.get(ScanProfile, name) is not None:
            raise ProfileError(f"profile {name!r} exists already", code="profile_exists", name=name)
        row = ScanProfile(name=name, source=source, mode=mode, resolution=resolution, page_size=page_size)
        session.add(row)
        return profile_dict(row)


def remove_profile(db: Database, name: str) -> None:
    with db.session() as session:
        row = session.get(ScanProfile, name)
        if row is None:
            raise NotFoundError(f"no scan profile {name!r}")
        session.delete(row)


def choose_profile(settings: Settings, db: Database, *, device: str) -> tuple[Profile, str]:
    """The profile a scan uses when none is given, and why: the `default_profile` setting, else
    the first profile the device can do — feeder profiles first on a feeder scanner, grey before
    black-and-white before colour, and never a colour flatbed profile on a feeder scanner."""
    from .scanner import Capabilities, fit, has_feeder

    if settings.default_profile:
        return get_profile(db, settings.default_profile), "the default_profile setting"
    scanners = known_scanners(settings)["scanners"]
    if not any(s["name"] == device for s in scanners):
        scanners = known_scanners(settings, refresh=True)["scanners"]
    found = next((s for s in scanners if s["name"] == device), None)
    if found is None:
        raise NotFoundError(f"no scanner {device}; see: scan-station scanners --refresh")
    caps = Capabilities(**found)
    feeder = has_feeder(caps)
    with db.session() as session:
        rows = list(session.scalars(select(ScanProfile)))
    candidates = sorted(
        (Profile(r.name, r.source, r.mode, r.resolution, r.page_size) for r in rows),
        key=lambda p: (p.feeder != feeder, _MODE_ORDER.get(p.mode, 3), abs(p.resolution - 300), p.name),
    )
    refusals = []
    for profile in candidates:
        if feeder and not profile.feeder and profile.mode == "color":
            continue
        try:
            fit(caps, profile)
        except ProfileError as exc:
            refusals.append(str(exc))
            continue
        return profile, f"the first profile {device} can do"
    raise ProfileError(
        f"no scan profile fits {device} ({'; '.join(refusals) or 'there are no profiles'}); "
        "add one: scan-station profiles add NAME --source ... --page-size max"
    )


def remembered(settings: Settings, db: Database, scanners: list[dict]) -> dict[str, str]:
    """The profile to offer first on each scanner (`known_scanners`' dicts), of those it can do:
    the one last used on it (its latest `scan.start` record), else `default_profile`, else a grey
    profile nearest 300 dpi — most of what an office scans is printed text, which grey at 300 dpi
    reads best — feeder profiles first on a feeder scanner; else any it can do; else ""."""
    from ..db.database import AuditRecord
    from .scanner import Capabilities, has_feeder

    with db.session() as session:
        profiles = [Profile(r.name, r.source, r.mode, r.resolution, r.page_size)
                    for r in session.scalars(select(ScanProfile).order_by(ScanProfile.name))]
        recent = list(session.scalars(select(AuditRecord).where(AuditRecord.action == "scan.start")
                                      .order_by(AuditRecord.seq.desc()).limit(500)))
    last: dict[str, str] = {}
    for record in recent:
        details = record.details if isinstance(record.details, dict) else {}
        last.setdefault(str(details.get("device")), str(details.get("profile")))
    chosen = {}
    for scanner in scanners:
        caps = Capabilities(**scanner)
        feeder = has_feeder(caps)
        ranked = sorted(profiles, key=lambda p: (p.name != last.get(caps.name), p.name != settings.default_profile,
                                                  p.mode != "gray", p.feeder != feeder, abs(p.resolution - 300)))
        chosen[caps.name] = next((p.name for p in ranked if _fits(caps, p)), "")
    return chosen


def _fits(caps, profile: Profile) -> bool:
    from .scanner import fit

    try:
        fit(caps, profile)
    except ProfileError:
        return False
    return True
