"""The kiosk: a Flask application over the `scan_station` service (`web.app.create_app`).

This package file stays light — importing `web.cli` for `scan-station --help` must not load
Flask — so the application's names are loaded on first use.
"""

from __future__ import annotations

__all__ = ["DEFAULTS", "create_app", "service"]


def __getattr__(name: str):
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
