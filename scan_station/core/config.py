"""Settings: one home folder holds all state; values come from defaults, a TOML file, the environment.

Order of precedence (later wins): the defaults below, `<home>/scan-station.toml`, then environment
variables named `SCAN_STATION_<SETTING>` in upper case (for example `SCAN_STATION_OCR_WORKERS=4`).
The home folder itself is `--home DIR`, else `$SCAN_STATION_HOME`, else a per-user data folder.

Every setting is documented in docs/configuration.md; a test fails when one is not.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from .entry_ids import GOOD_PATTERN, id_pattern_problem
from .errors import ConfigError

CONFIG_FILE_NAME = "scan-station.toml"
#: SANE's configuration for the demo scanner (its `test` and `pnm` backends), in the package.
DEMO_SANE_CONFIG = Path(__file__).parents[1] / "sane-demo"
#: The values each numeric setting accepts (inclusive); anything else is refused at start.
RANGES: dict[str, tuple[float, float]] = {
    "ocr_workers": (0, 64),
    "classify_dpi": (50, 600),
    "default_image_dpi": (50, 1200),
    "max_image_megapixels": (1, 1000),
    "softcopy_max_mb": (1, 4096),
    "verify_upload_max_mb": (1, 4096),
    "softcopy_max_pages": (1, 100_000),
    "convert_timeout_seconds": (5, 3600),
    "fixity_interval_hours": (0, 24 * 365),
    "audit_anchor_minutes": (1, 60),
}


#: The values of `page_images`.
PAGE_IMAGES = ("compact", "lossless")


#: A resolution that a page image records is believed only within this range (dpi): TIFF and PNG
#: files without one read as 1 dpi (or nothing), which would make a page metres wide.
PLAUSIBLE_DPI = (50, 2400)


def plausible_dpi(recorded: object) -> float | None:
    """The resolution an image records (a number, or Pillow's `info["dpi"]` pair) when a scan can
    have it, else None: then `default_image_dpi` is the one to use."""
    values = recorded if isinstance(recorded, tuple | list) else (recorded,)
    try:
        numbers = [float(v) for v in values[:2]]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    low, high = PLAUSIBLE_DPI
    if not numbers or not all(low <= n <= high for n in numbers):  # also refuses NaN
        return None
    return numbers[0]


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What a Scan Station installation is configured with. Paths are absolute."""

    home: Path
    #: SQLAlchemy URL; default: SQLite file `scan-station.db` in the home folder.
    database_url: str = ""
    #: PPID storage: filed PDF/A documents, their sidecars, and the raw batches as scanned.
    storage_dir: Path = field(default=Path())
    #: The search index (tantivy), rebuilt from storage by `scan-station reindex`; with several
    #: machines, a folder all kiosks and workers reach, like `storage_dir`.
    index_dir: Path = field(default=Path())
    #: Per-batch scratch folders; emptied when a batch is done.
    work_dir: Path = field(default=Path())
    #: Batches being scanned, page by page, until they are ingested.
    scans_dir: Path = field(default=Path())
    #: Pattern for new register ids; `{year}` and `{seq}` (per-year sequence) are filled in.
    id_pattern: str = "PPID-{year}-{seq:06d}"
    #: Tesseract languages, joined by `+`.
    ocr_languages: str = "ind+eng"
    #: Child processes that OCR documents in parallel; 0 means one per CPU core.
    ocr_workers: int = 0
    #: Resolution at which pages are rendered to look for cover sheets and blank pages.
    classify_dpi: int = 100
    #: Resolution assumed for page images that do not record one (or record one outside 50-2400 dpi).
    default_image_dpi: int = 300
    #: Largest image accepted, in megapixels (a decompression-bomb guard).
    max_image_megapixels: float = 150.0
    #: The scan profile `scan` uses when none is given (else the first the device can do).
    default_profile: str = ""
    #: Job queue for filing confirmed batches: empty = a SQLite file `jobs.db` in the home folder
    #: (no server); `redis://host:6379/0` = a Redis server shared by several kiosks and workers.
    queue_url: str = ""
    #: The demo scanner: SANE's `pnm` backend (`pnm:0`) takes its pages one after another from the
    #: folder `demo-feeder/` in the home folder, as a sheet feeder would (`serve --demo` sets it).
    demo_feeder: bool = False
    #: The largest softcopy file accepted for hand-over, in MB.
    softcopy_max_mb: int = 200
    #: The largest file the public verification page takes: a copy handed out (the filed PDF/A and
    #: its page of authentication), not a softcopy.
    verify_upload_max_mb: int = 50
    #: The most pages one hand-over of softcopies may have.
    softcopy_max_pages: int = 2000
    #: How long LibreOffice may take to turn one office document into PDF.
    convert_timeout_seconds: int = 120
    #: How often the worker re-hashes storage and checks the audit chain (`fixity`); 0: never.
    fixity_interval_hours: int = 24
    #: While audit records are written, their head is anchored outside the database at least this
    #: often (`audit_anchor`); views, downloads and copies of "dikecualikan" documents at once.
    audit_anchor_minutes: int = 5
    #: The public body whose PPID this is, as its papers and the citizen's page name it.
    agency_name: str = "KPU Kota Tangerang"
    #: How a citizen reaches the PPID (address, telephone, e-mail), on the verification page and
    #: the statement page of copies; empty: not shown.
    ppid_contact: str = ""
    #: Numbers of berita acara alih media: `{seq}` (per year), `{year}`, `{month}`, `{month_roman}`.
    berita_acara_pattern: str = "BA-AM/{seq:03d}/PPID/{month_roman}/{year}"
    #: Where alih media is done, as the berita acara says ("bertempat di ...").
    berita_acara_place: str = "Kantor PPID"
    #: How the filed PDF/A stores scanned page images: "compact" (a text page 1-bit CCITT G4, a page
    #: with grey or colour as JPEG; the raw batch keeps the lossless master) or "lossless" (as scanned).
    page_images: str = "compact"
    #: The kiosk's address as citizens reach it, for the QR code on copies handed out
    #: (`https://ppid.example.go.id`); empty: the address the kiosk was asked at.
    public_base_url: str = ""
    #: Certificates (PEM or DER files, a PEM file may hold several) that a digital signature's
    #: signer must chain to before the signature is called valid ("sah"); empty: no signer is.
    signature_trust_roots: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        _check_ranges(self)
        _check_id_pattern(self.id_pattern)
        _check_queue_url(self.queue_url)
        _check_berita_acara_pattern(self.berita_acara_pattern)
        _check_texts(self)
        if self.page_images not in PAGE_IMAGES:
            raise ConfigError(f"setting page_images: {self.page_images!r}; use one of {', '.join(PAGE_IMAGES)}")
        home = Path(self.home).expanduser().resolve()
        object.__setattr__(self, "home", home)
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{home / 'scan-station.db'}")
        for name, default in (("storage_dir", "storage"), ("index_dir", "search-index"), ("work_dir", "work"),
                              ("scans_dir", "scans")):
            value = Path(getattr(self, name))
            value = home / default if value == Path() else value
            object.__setattr__(self, name, value if value.is_absolute() else home / value)
        roots = tuple(Path(p).expanduser() for p in self.signature_trust_roots)
        object.__setattr__(self, "signature_trust_roots", tuple(p if p.is_absolute() else home / p for p in roots))
        _check_trust_roots(self.signature_trust_roots)

    def display_path(self, path: Path) -> str:
        """`path` relative to the home folder when it lies inside it, else absolute."""
        return str(path.relative_to(self.home)) if path.is_relative_to(self.home) else str(path)

    @property
    def demo_feeder_dir(self) -> Path:
        return self.home / "demo-feeder"

    def image_dpi(self, recorded: object) -> float:
        """The resolution of a page image that records `recorded`: that, when plausible
        (`PLAUSIBLE_DPI`), else `default_image_dpi`."""
        return plausible_dpi(recorded) or float(self.default_image_dpi)

    @property
    def workers(self) -> int:
        return self.ocr_workers or os.cpu_count() or 1


SETTING_NAMES = [f.name for f in fields(Settings) if f.name != "home"]


#: Settings printed on papers and pages: name -> (shortest, longest) in characters.
TEXTS = {"agency_name": (1, 200), "ppid_contact": (0, 300), "berita_acara_place": (1, 200)}


def _check_texts(settings: Settings) -> None:
    for name, (low, high) in TEXTS.items():
        value = getattr(settings, name)
        if not low <= len(value.strip()) <= high or any(unicodedata.category(c)[0] == "C" for c in value):
            raise ConfigError(f"setting {name}: {low} to {high} characters of text on one line, "
                              "no control characters")


def _check_ranges(settings: Settings) -> None:
    for name, (low, high) in RANGES.items():
        value = getattr(settings, name)
        if not low <= value <= high:  # also refuses NaN
            raise ConfigError(f"setting {name}: {value!r} is out of range; use {low:g} to {high:g}")


#: The job queues `queue_url` may name (huey's Redis queue; empty: the embedded SQLite queue).
QUEUE_SCHEMES = ("redis", "rediss", "unix")
GOOD_QUEUE_URL = "redis://localhost:6379/0"


def queue_url_problem(url: str) -> str | None:
    """Why `url` cannot be the job queue's Redis URL, or None when it can (or is empty)."""
    if not url:
        return None
    if any(c.isspace() or not c.isprintable() for c in url):
        return "has spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError as exc:
        return f"cannot be read as a URL ({exc})"
    if parts.scheme not in QUEUE_SCHEMES:
        return "is not a Redis URL: it must begin with redis://, rediss:// or unix://"
    if parts.scheme == "unix":
        return None if parts.path else "names no socket, e.g. unix:///run/redis/redis.sock"
    database = parts.path.strip("/")
    return None if not database or database.isdigit() else f"has database {database!r}; use a number, e.g. /0"


def shown_url(url: str) -> str:
    """`url` as it may be printed: without a password."""
    try:
        parts = urlsplit(url)
        if parts.password:
            return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
    except ValueError:
        return "(not shown)" if "@" in url else url
    return url


def _check_queue_url(url: str) -> None:
    problem = queue_url_problem(url)
    if problem:
        raise ConfigError(f"setting queue_url: {shown_url(url)!r} {problem}; e.g. queue_url = "
                          f"{GOOD_QUEUE_URL!r}, or leave it empty for the embedded queue")


def _check_id_pattern(pattern: str) -> None:
    problem = id_pattern_problem(pattern)
    if problem:
        raise ConfigError(f"setting id_pattern: {pattern!r} {problem}; e.g. id_pattern = {GOOD_PATTERN!r}")


def _check_berita_acara_pattern(pattern: str) -> None:
    import string

    try:
        fields = {f for _text, f, _spec, _conv in string.Formatter().parse(pattern) if f is not None}
        sample = pattern.format(seq=1, year=2026, month=1, month_roman="I")
    except (ValueError, KeyError, IndexError) as exc:
        fields, sample = {f"({exc})"}, ""
    if "seq" not in fields or not fields <= {"seq", "year", "month", "month_roman"} or not 0 < len(sample) <= 120:
        raise ConfigError(f"setting berita_acara_pattern: {pattern!r} is not usable; it needs {{seq}} and may use "
                          "{year}, {month}, {month_roman}, e.g. 'BA-AM/{seq:03d}/PPID/{month_roman}/{year}'")


def _check_trust_roots(paths: tuple[Path, ...]) -> None:
    """Each file of `signature_trust_roots` holds certificates (PEM, or one in DER)."""
    from cryptography import x509

    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"setting signature_trust_roots: cannot read {path} ({exc.strerror or exc}); "
                              "name PEM or DER certificate files") from None
        try:
            if b"-----BEGIN CERTIFICATE-----" in data:
                x509.load_pem_x509_certificates(data)
            else:
                x509.load_der_x509_certificate(data)
        except ValueError:
            raise ConfigError(f"setting signature_trust_roots: {path} is not a certificate; name PEM or DER "
                              "certificate files (the trusted CA's root certificate)") from None


def default_home() -> Path:
    return Path(os.environ.get("SCAN_STATION_HOME") or platformdirs.user_data_dir("scan-station"))


def _boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(raw)


def _coerce(name: str, raw: object) -> object:
    target = next(f for f in fields(Settings) if f.name == name)
    if isinstance(target.default, tuple):  # a list of paths: a TOML list, or joined by os.pathsep
        items = raw.split(os.pathsep) if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple) or not all(isinstance(i, str | os.PathLike) for i in items):
            raise ConfigError(f"setting {name}: {raw!r} is not a list of file names")
        return tuple(str(i) for i in items if str(i).strip())
    kinds: dict[type, Callable[[Any], object]] = {int: int, float: float, bool: _boolean}
    kind = kinds.get(type(target.default) if target.default is not dataclasses.MISSING else str, str)
    try:
        if kind in (int, float) and isinstance(raw, bool):
            raise ValueError(raw)
        if kind is int and isinstance(raw, float) and not raw.is_integer():
            raise ValueError(raw)
        return kind(raw)
    except (TypeError, ValueError, OverflowError):
        kind_name = {_boolean: "boolean (true/false)", int: "whole number", float: "number"}.get(kind, "text")
        raise ConfigError(f"setting {name}: {raw!r} is not a valid {kind_name}") from None


def _read_config_file(home: Path) -> dict[str, object]:
    config_file = home / CONFIG_FILE_NAME
    try:
        if not config_file.is_file():
            return {}
        data = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{config_file}: not UTF-8 text; save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_file}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{config_file}: cannot read the config file ({exc.strerror or exc})") from None
    unknown = set(data) - set(SETTING_NAMES)
    if unknown:
        raise ConfigError(
            f"{config_file}: unknown setting(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(SETTING_NAMES)}"
        )
    return data


def _make_folders(settings: Settings, home_label: str) -> None:
    """Create the home, storage and work folders (scans_dir comes with the first scan); a path
    that exists but is not a folder is refused."""
    folders = [(home_label, settings.home), ("storage_dir", settings.storage_dir),
               ("work_dir", settings.work_dir), ("scans_dir", settings.scans_dir)]
    for label, folder in folders:
        try:
            if folder.exists() and not folder.is_dir():
                raise ConfigError(f"{label} {folder}: exists and is not a folder; choose another")
            if label != "scans_dir":  # made when the first batch is scanned
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = exc.strerror or exc
            raise ConfigError(f"{label} {folder}: cannot make the folder ({reason}); choose another") from None


def _check_home(home: Path, label: str) -> None:
    """A home that exists is a folder (checked before its config file is looked for)."""
    try:
        if not home.exists() or home.is_dir():
            return  # one that cannot be made is `_make_folders`' to report
        kind = "is a file, not a folder" if home.is_file() else "is not a folder"
    except OSError:
        return
    raise ConfigError(f"{label} {home} {kind}; choose a folder")


def load_settings(home: Path | str | None = None, *, home_label: str = "", **overrides: object) -> Settings:
    """Settings for `home` (or the default home), with file, environment and explicit overrides.
    Raises ConfigError when the home folder, the config file or a setting is not usable; messages
    about the home folder call it `home_label` (e.g. "--home")."""
    home_path = Path(home) if home else default_home()
    env_home = not home and os.environ.get("SCAN_STATION_HOME")
    home_label = home_label or ("SCAN_STATION_HOME" if env_home else "home folder")
    _check_home(home_path, home_label)
    values: dict[str, Any] = _read_config_file(home_path)  # each coerced to its field's type below
    for name in SETTING_NAMES:
        env = os.environ.get(f"SCAN_STATION_{name.upper()}")
        if env is not None:
            values[name] = env
    values.update({k: v for k, v in overrides.items() if v is not None})
    values = {k: _coerce(k, v) for k, v in values.items()}
    try:
        settings = Settings(home=home_path, **values)
    except OSError as exc:  # resolving a path the system will not look into
        raise ConfigError(f"{home_label} {home_path}: not usable ({exc.strerror or exc})") from None
    except RuntimeError:  # pathlib's "Symlink loop from ..."
        raise ConfigError(f"{home_label} {home_path}: its links go round in a loop; choose a folder") from None
    _make_folders(settings, home_label)
    return settings
