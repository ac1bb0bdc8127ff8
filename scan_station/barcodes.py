"""Reading barcodes with zbar (pyzbar): every symbol on a page image, in any orientation."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

from PIL import Image
from pyzbar import pyzbar, zbar_library


@dataclass(frozen=True)
class Symbol:
    type: str  # zbar's name: CODE128, QRCODE, CODE39, ...
    value: str
    orientation: str | None  # UP, RIGHT, DOWN, LEFT: where the symbol's top points


def decode(image: Image.Image) -> list[Symbol]:
    """All symbols zbar finds, in every symbology it knows."""
    if image.mode not in ("L", "1"):
        image = image.convert("L")
    symbols = []
    for found in pyzbar.decode(image):
        value = found.data.decode("utf-8", errors="replace")
        symbols.append(Symbol(found.type, value, getattr(found, "orientation", None)))
    return symbols


def zbar_version() -> str:
    """The version of the libzbar that pyzbar loaded, from the library itself."""
    lib, _deps = zbar_library.load()
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
