"""Reading barcodes with two readers, zxing-cpp and zbar (pyzbar), in any orientation.

zxing-cpp reads skewed, low-contrast and noisy symbols that zbar misses (paperless-ngx moved to
it for that reason); zbar reads a few that zxing-cpp does not. `decode` asks both and merges what
they read, each symbol once. Looking for cover sheets, ask only for the symbologies covers carry
(`COVER_SYMBOLOGIES`): that is fast, and keeps zbar away from decoders (DataBar) that print
assertions on stderr. Each symbol also says how dark it is against the page (`contrast`), which
tells a printed cover from its show-through on the back of the sheet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import zxingcpp
from PIL import Image
from pyzbar import pyzbar
from pyzbar.pyzbar import ZBarSymbol

#: What cover sheets carry (see `coversheet`).
COVER_SYMBOLOGIES = ("CODE128", "QRCODE")
_ZBAR = {"CODE128": ZBarSymbol.CODE128, "QRCODE": ZBarSymbol.QRCODE, "CODE39": ZBarSymbol.CODE39}
_ZXING = {"CODE128": zxingcpp.BarcodeFormat.Code128, "QRCODE": zxingcpp.BarcodeFormat.QRCode,
          "CODE39": zxingcpp.BarcodeFormat.Code39}
_ZXING_NAMES = {"QRCode": "QRCODE", "Code128": "CODE128", "Code39": "CODE39", "Code93": "CODE93", "EAN13": "EAN13",
                "EAN8": "EAN8", "UPCA": "UPCA", "UPCE": "UPCE", "ITF": "I25", "Codabar": "CODABAR",
                "DataMatrix": "DATAMATRIX", "PDF417": "PDF417", "Aztec": "AZTEC", "MicroQRCode": "MICROQR"}
#: zbar's symbol orientation (where the symbol's top points) <- zxing-cpp's, in degrees clockwise.
_ORIENTATIONS = {0: "UP", 90: "RIGHT", 180: "DOWN", 270: "LEFT"}


@dataclass(frozen=True)
class Symbol:
    type: str  # zbar's names: CODE128, QRCODE, CODE39, ...
    value: str
    orientation: str | None  # UP, RIGHT, DOWN, LEFT: where the symbol's top points
    #: Where the symbol is: (x, y) of its corners, and the direction it reads in (1D symbols).
    corners: tuple[tuple[float, float], ...] = ()
    direction: tuple[float, float] | None = None
    #: How much darker than the page the symbol's bars are, as a fraction of the page's brightness.
    contrast: float = 0.0
    reader: str = ""

    @property
    def centre(self) -> tuple[float, float]:
        xs, ys = [c[0] for c in self.corners], [c[1] for c in self.corners]
        return (sum(xs) / len(xs), sum(ys) / len(ys)) if xs else (0.0, 0.0)


def _zxing(image: Image.Image, symbologies: Iterable[str] | None) -> list[Symbol]:
    formats = [_ZXING[s] for s in symbologies if s in _ZXING] if symbologies else None
    # zxingcpp takes a list of formats (its binding converts it); its stub names only BarcodeFormats
    found = zxingcpp.read_barcodes(image, formats=formats) if formats else zxingcpp.read_barcodes(image)  # type: ignore[arg-type]
    symbols = []
    for result in found:
        p = result.position
        corners = tuple((float(c.x), float(c.y)) for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
        (x0, y0), (x1, y1) = corners[0], corners[1]
        orientation = _ORIENTATIONS.get(round((result.orientation % 360) / 90) * 90 % 360)
        name = _ZXING_NAMES.get(result.format.name, result.format.name.upper())
        symbols.append(Symbol(name, result.text, orientation, corners, (x1 - x0, y1 - y0), reader="zxing-cpp"))
    return symbols


def _zbar(image: Image.Image, symbologies: Iterable[str] | None) -> list[Symbol]:
    kinds = [_ZBAR[s] for s in symbologies if s in _ZBAR] if symbologies else None
    symbols = []
    for found in pyzbar.decode(image, symbols=kinds):
        corners = tuple((float(p.x), float(p.y)) for p in found.polygon)
        direction = {"UP": (1, 0), "DOWN": (-1, 0), "RIGHT": (0, 1), "LEFT": (0, -1)}.get(found.orientation)
        symbols.append(Symbol(found.type, found.data.decode("utf-8", errors="replace"), found.orientation, corners,
                              direction, reader="zbar"))
    return symbols


def _contrast(grey: Image.Image, symbol: Symbol, background: float) -> float:
    """How far below the page's brightness the symbol's darkest tenth is, as a fraction of it."""
    if not symbol.corners or background <= 0:
        return 0.0
    xs, ys = [c[0] for c in symbol.corners], [c[1] for c in symbol.corners]
    box = grey.crop((max(0, int(min(xs))), max(0, int(min(ys))), int(max(xs)) + 1, int(max(ys)) + 1))
    histogram, seen, dark = box.histogram(), 0, 0
    wanted = max(1, box.width * box.height // 10)
    for level, count in enumerate(histogram):
        seen += count
        if seen >= wanted:
            dark = level
            break
    return max(0.0, (background - dark) / background)


def page_background(grey: Image.Image) -> float:
    """The brightness of the paper: the level three quarters of the page is darker than."""
    histogram, total, seen = grey.histogram(), grey.width * grey.height, 0
    for level, count in enumerate(histogram):
        seen += count
        if seen >= total * 0.75:
            return float(level)
    return 255.0


READERS = ("zxing-cpp", "zbar")


def decode(image: Image.Image, *, symbologies: Iterable[str] | None = None,
           readers: Iterable[str] = READERS) -> list[Symbol]:
    """Every symbol the readers find (of `symbologies`, else of every kind), each once: where both
    read the same symbol, zxing-cpp's reading is kept."""
    grey = image if image.mode == "L" else image.convert("L")
    symbologies = tuple(symbologies) if symbologies else None
    merged: dict[tuple[str, str], Symbol] = {}
    for reader in readers:
        for symbol in {"zxing-cpp": _zxing, "zbar": _zbar}[reader](grey, symbologies):
            merged.setdefault((symbol.type, symbol.value), symbol)
    background = page_background(grey)
    return [_with_contrast(s, grey, background) for s in merged.values()]


def _with_contrast(symbol: Symbol, grey: Image.Image, background: float) -> Symbol:
    return Symbol(symbol.type, symbol.value, symbol.orientation, symbol.corners, symbol.direction,
                  _contrast(grey, symbol, background), symbol.reader)


def mirrored(code128: Symbol, qr: Symbol) -> bool:
    """Whether a cover sheet's two symbols are seen mirrored (through the paper, from the back).

    On the sheet the QR code sits below the Code128, and the Code128 reads left to right: the QR
    code lies to the right-hand side of the Code128's reading direction, whichever way the sheet
    is turned. In a mirror image it lies to the left."""
    if code128.direction is None or not code128.corners or not qr.corners:
        return False
    (dx, dy), (cx, cy), (qx, qy) = code128.direction, code128.centre, qr.centre
    return dx * (qy - cy) - dy * (qx - cx) < 0
