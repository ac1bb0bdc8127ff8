"""Pages photographed with a phone, as units send them over a chat app: the printed page lies on a
desk (dark wood, a light laminate, a checked cloth), seen at an angle (the phone tipped up to 14°
both ways, through a phone's wide lens: the corners move a few percent), turned up to ±10° or
upside down, lit unevenly (a gradient from the window, the phone's soft shadow), a little out of
focus, in a 12-megapixel JPEG of quality 75-90 with no resolution in it, the frame landscape or
portrait, the pixels stored turned with an EXIF orientation or not.

Seeded: the same call makes the same photo. `Photo.corners` is where the page's corners went
(top-left, top-right, bottom-right, bottom-left of the page as printed, in the photo as shown).
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

DESKS = ("dark", "light", "checked")
#: A 12-megapixel phone photo.
FRAME = (4000, 3000)


@dataclass(frozen=True)
class Shot:
    desk: str = "dark"
    turn: float = 0.0  # degrees, counter-clockwise; 180 + a little: upside down
    tilt: float = 0.25  # the phone tipped by up to this (radians: 0.25 is 14°; corners move a few percent)
    portrait: bool = True  # the frame
    exif: bool = False  # pixels stored turned, with the EXIF orientation that turns them back
    quality: int = 85
    blur: float = 1.2  # pixels
    shadow: bool = True
    cover: float = 0.72  # the page's height as a share of the frame's height
    finger: bool = False  # a finger over the top-right corner
    off_frame: bool = False  # the bottom-left corner just outside the frame
    page: bool = True  # False: the desk alone
    frame: tuple[int, int] = FRAME  # landscape; a chat app sends 1600 x 1200 when it makes photos smaller


@dataclass(frozen=True)
class Photo:
    data: bytes  # the JPEG as sent
    corners: list[tuple[float, float]]  # the page's corners in the photo as shown
    shot: Shot


def photograph(printed: Image.Image, shot: Shot, *, seed: int) -> Photo:
    rng = random.Random(seed)
    width, height = shot.frame if not shot.portrait else shot.frame[::-1]
    scene = _desk(shot.desk, width, height, rng)
    corners: list[tuple[float, float]] = []
    if shot.page:
        corners = _placed(printed.size, shot, width, height, rng)
        page = cv2.multiply(np.asarray(printed.convert("RGB")), (0.98, 0.96, 0.91, 0), dtype=cv2.CV_8U)  # its tint
        source = np.array([[0, 0], [printed.width, 0], [printed.width, printed.height], [0, printed.height]],
                          dtype=np.float32)
        warp = cv2.getPerspectiveTransform(source, np.array(corners, dtype=np.float32))
        cv2.warpPerspective(page, warp, (width, height), dst=scene, flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_TRANSPARENT)  # laid on the desk
    light = _light(width, height, shot, rng)
    scene = cv2.multiply(scene, cv2.merge([light, light, light]), dtype=cv2.CV_8U)
    if shot.finger:
        _finger(scene, corners[1] if corners else (width * 0.8, height * 0.2), rng)
    if shot.blur:
        scene = cv2.GaussianBlur(scene, (0, 0), shot.blur)
    noise = np.empty(scene.shape, np.int16)
    cv2.setRNGSeed(rng.randrange(2**31))  # OpenCV's own generator, else each call draws other noise
    cv2.randn(noise, 0, 2.5)  # the sensor's
    scene = cv2.add(scene.astype(np.int16), noise).clip(0, 255).astype(np.uint8)
    image = Image.fromarray(scene, "RGB")
    buffer = io.BytesIO()
    if shot.exif:  # stored as the sensor lay: turned a quarter back, Orientation 6 turns it right
        exif = Image.Exif()
        exif[0x0112] = 6
        image.transpose(Image.Transpose.ROTATE_90).save(buffer, "JPEG", quality=shot.quality, exif=exif)
    else:
        image.save(buffer, "JPEG", quality=shot.quality)
    return Photo(buffer.getvalue(), corners, shot)


def _placed(size: tuple[int, int], shot: Shot, width: int, height: int,
            rng: random.Random) -> list[tuple[float, float]]:
    """The page's corners in the frame, through a phone's lens: the page lying turned by `turn`
    on the desk, the phone tipped towards and sideways by up to `tilt` radians, at the distance
    at which the page covers `cover` of the frame, a little off centre."""
    focal = 0.75 * max(width, height)  # a phone's wide lens (about 26 mm equivalent)
    turn, towards, sideways = math.radians(shot.turn), rng.uniform(-1, 1) * shot.tilt, rng.uniform(-1, 1) * shot.tilt
    cos, sin = math.cos(turn), math.sin(turn)
    page = [(x * size[0] / 2, y * size[1] / 2) for x, y in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    flat = [(x * cos + y * sin, -x * sin + y * cos, 0.0) for x, y in page]
    tipped = [_tip(point, towards, sideways) for point in flat]
    span = max(max(abs(p[0]) for p in tipped) * 2 / width, max(abs(p[1]) for p in tipped) * 2 / height)
    distance = focal * span / shot.cover  # where the page covers `cover` of the frame
    off = (rng.uniform(-0.03, 0.03) * width, rng.uniform(-0.03, 0.03) * height)
    corners = [(width / 2 + off[0] + focal * x / (distance + z), height / 2 + off[1] + focal * y / (distance + z))
               for x, y, z in tipped]
    if shot.off_frame:  # the whole page moved until its left-most corner is 2 % outside the frame
        dx = -min(x for x, _y in corners) - 0.02 * width
        corners = [(x + dx, y) for x, y in corners]
    return corners


def _tip(point: tuple[float, float, float], towards: float, sideways: float) -> tuple[float, float, float]:
    """A point of the desk seen from a phone tipped by `towards` (about the frame's across axis)
    and `sideways` (about its down axis)."""
    x, y, z = point
    y, z = y * math.cos(towards) - z * math.sin(towards), y * math.sin(towards) + z * math.cos(towards)
    x, z = x * math.cos(sideways) + z * math.sin(sideways), -x * math.sin(sideways) + z * math.cos(sideways)
    return x, y, z


def _desk(kind: str, width: int, height: int, rng: random.Random) -> np.ndarray:
    noise = np.random.default_rng(rng.randrange(2**32))
    if kind == "dark":  # wood: brown, with grain along it
        grain = cv2.resize(noise.normal(0, 1, (height // 40, 8)).astype(np.float32), (width, height))
        desk = np.array([92, 62, 40], np.float32) + grain[..., None] * np.array([14, 10, 7], np.float32)
    elif kind == "light":  # a pale grey laminate
        speckle = cv2.resize(noise.normal(0, 1, (height // 8, width // 8)).astype(np.float32), (width, height))
        desk = np.array([196, 194, 188], np.float32) + speckle[..., None] * 4
    else:  # a red and white checked cloth, squares of a fifteenth of the frame
        cell = max(width, height) // 15
        check = ((np.arange(height)[:, None] // cell + np.arange(width)[None, :] // cell) % 2).astype(bool)
        desk = np.where(check[..., None], np.array([200, 40, 45], np.uint8), np.array([235, 232, 226], np.uint8))
    return np.ascontiguousarray(np.clip(desk, 0, 255).astype(np.uint8))


def _light(width: int, height: int, shot: Shot, rng: random.Random) -> np.ndarray:
    """How much light reaches each point: a gradient from one side, and the phone's soft shadow."""
    ys, xs = np.mgrid[0:height:8, 0:width:8].astype(np.float32)
    direction = rng.uniform(0, 2 * math.pi)
    along = (xs * math.cos(direction) + ys * math.sin(direction)) / max(width, height)
    light = 1.0 - 0.35 * (along - along.min()) / max(float(np.ptp(along)), 1e-6)
    if shot.shadow:
        shadow = np.zeros_like(light)
        centre = (int(rng.uniform(0.3, 0.7) * width / 8), int(rng.uniform(0.55, 0.95) * height / 8))
        cv2.ellipse(shadow, centre, (width // 8 // 5, height // 8 // 4), rng.uniform(0, 180), 0, 360, 1.0, -1)
        shadow = cv2.GaussianBlur(shadow, (0, 0), max(width, height) / 8 / 25)
        light *= 1 - 0.4 * shadow
    return cv2.resize(light.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)


def _finger(scene: np.ndarray, corner: tuple[float, float], rng: random.Random) -> None:
    """A thumb over `corner`: a skin-coloured blob reaching in from outside, drawn into `scene`."""
    size = max(scene.shape[:2]) / 22
    centre = (int(corner[0] + size * 0.3), int(corner[1] - size * 0.2))
    cv2.ellipse(scene, centre, (int(size * 1.2), int(size * 2.2)), rng.uniform(20, 50), 0, 360, (196, 140, 112), -1,
                lineType=cv2.LINE_AA)


def exif_upright(data: bytes) -> Image.Image:
    """The photo as shown (its EXIF orientation applied)."""
    from PIL import ImageOps

    return ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
