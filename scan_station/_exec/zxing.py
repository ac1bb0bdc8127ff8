"""zxing-cpp (PyPI zxing-cpp): the first of the two barcode readers."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

from .probe import Probe


def version() -> str:
    try:
        return package_version("zxing-cpp")
    except PackageNotFoundError:
        return ""


def probe(_settings) -> Probe:
    found = version()
    try:
        import zxingcpp  # noqa: F401 - the compiled module must load, not only the metadata exist
    except ImportError as exc:
        return Probe(
            "zxing-cpp", False, found, f"cannot be imported ({exc})", "run: scripts/setup.sh (pip install zxing-cpp)",
            code="cannot_load", params={"command": "scripts/setup.sh"},
        )
    return Probe("zxing-cpp", True, found)
