"""zbar (libzbar0, through pyzbar): one of the two barcode readers."""

from __future__ import annotations

import ctypes
import functools

from .probe import Probe


@functools.cache
def version() -> str:
    """The version of the libzbar that pyzbar loads, from the library itself ("" when it does not load)."""
    try:
        from pyzbar import zbar_library

        lib, _deps = zbar_library.load()
    except (ImportError, OSError):
        return ""
    major, minor, patch = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
    func = lib.zbar_version
    func.restype = ctypes.c_int
    try:
        func.argtypes = [ctypes.POINTER(ctypes.c_uint)] * 3
        func(ctypes.byref(major), ctypes.byref(minor), ctypes.byref(patch))
        return f"{major.value}.{minor.value}.{patch.value}"
    except (TypeError, ctypes.ArgumentError):  # libzbar older than 0.23 takes two arguments
        func.argtypes = [ctypes.POINTER(ctypes.c_uint)] * 2
        func(ctypes.byref(major), ctypes.byref(minor))
        return f"{major.value}.{minor.value}"


def probe(_settings) -> Probe:
    found = version()
    if not found:
        return Probe("zbar", False, detail="libzbar cannot be loaded", fix="run: apt-get install libzbar0",
                     code="cannot_load", params={"command": "apt-get install libzbar0"})
    return Probe("zbar", True, found)
