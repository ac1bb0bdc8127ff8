"""Pages photographed instead of scanned, as a phone app such as Microsoft Lens does it: find the
page in the photo (`page_outline.find_page`), flatten it to a rectangle of the paper's real
proportions at the resolution its size gives (`flatten`), even out its light (`even_light`) and
sharpen it (`sharpened`), so that what is read is what a scanner would have given. The photo
itself stays the master; this makes the access copy.

Finding the page is `page_outline.find_page`'s. A page whose outline is doubtful once flattened
(its margin holds some of the desk: `desk_at_edges`) and a photo in which no page was found are
listed to check; the photo with no page is read as it is.

Proportions: the page's width over its height is recovered from the four corners under
perspective (Zhang and He, "Whiteboard scanning and image enhancement", 2007: the focal length
from the quadrilateral, principal point at the photo's centre); within SNAP of A4, F4 or Letter it
is that paper, otherwise (or when the page runs out of the photo) it is kept as found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import pillow_heif
from PIL import Image, ImageOps

from .page_outline import MAX_OUTSIDE, MIN_AREA, Outline, find_page, length, ordered, small_copy
from .source import pillow_limit

pillow_heif.register_heif_opener()  # HEIC, what iPhones send

#: Kinds of softcopy (`filing.softcopy.KINDS`) that may be a photo of a page.
PHOTO_KINDS = frozenset({"jpeg", "png", "webp", "heic"})
class PhotoError(ValueError):
    """A photo that cannot be taken as given; `code`: "corners" (they make no page) or
    "photo_frames" (the file holds several pictures)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


#: What `checked_corners` says of corners that make no page (for the officer who dragged them).
CORNER_PROBLEMS = ("four corners are needed", "a corner is two numbers", "a corner lies far outside the photo",
                   "the corners make no page")
#: What `take` says of a picture holding several (an animated WebP, a HEIC burst).
MORE_THAN_ONE = "the file holds more than one picture"
#: An image recording at least this resolution is a scan (a phone records none, or 72 or 96).
SCAN_DPI = 100

#: Paper sizes a page may be (width, height in mm, portrait).
PAPERS_MM = {"A4": (210.0, 297.0), "F4": (215.0, 330.0), "Letter": (215.9, 279.4)}
#: Proportions within this share of a paper's are that paper's; an image within PAGE_ONLY of them,
#: paper to its edges, is a page already.
SNAP, PAGE_ONLY = 0.06, 0.025
#: The flattened page's resolution: the photo's own, kept within these (below, tesseract reads
#: worse; above, nothing is gained).
MIN_DPI, MAX_DPI = 200, 400
#: The unsharp mask that gives a flattened photo a scan's edges: the blur taken away (its radius,
#: the Gaussian's sigma in mm on the page) and how much of it (`sharpened`).
SHARPEN_MM, SHARPEN_AMOUNT = 0.25, 1.5
#: A phone's focal length as a share of the photo's long side: the least, the usual, the most.
PHONE_FOCAL = (0.5, 0.8, 1.6)
#: The page's outermost margin looked at for the desk (`desk_at_edges`), and how much of any side's may be.
EDGE_MM, MAX_DESK_AT_EDGES = (1.5, 4.5), 0.04



@dataclass(frozen=True)
class FlatPage:
    """The page as a scanner would have given it."""

    image: Image.Image
    dpi: float  # of `image`
    photo_dpi: float  # pixels per inch of paper in the photo itself
    paper: str  # "A4", "F4", "Letter", or "" (proportions as found)
    size_mm: tuple[float, float]
    outline: Outline


@dataclass(frozen=True)
class PhotoPage:
    """A photo handed over, made ready to be read: `path` is the page to read (the flattened page,
    or the photo as it is when no page was found in it); `note` says what was done, for the record."""

    path: Path
    note: dict
    #: "no_page": filed as it is; "outline": the outline found took in some of the desk. Either way
    #: the page is listed to check.
    problem: str = ""


def take(path: Path, work: Path, *, max_megapixels: float, corners: object = None) -> PhotoPage | None:
    """The page photographed in the image at `path`, flattened and evenly lit into `work`; None
    when the image is no photo (it records a scan's resolution): it is read as it is. `corners`
    given (by an officer, in the photo's pixels as shown): the page is there (`checked_corners`)."""
    with pillow_limit(max_megapixels), Image.open(path) as opened:
        if getattr(opened, "n_frames", 1) > 1:  # an animation, a burst: one page each is not ours to guess
            raise PhotoError(MORE_THAN_ONE, "photo_frames")
        dpi = opened.info.get("dpi")
        if corners is None and isinstance(dpi, tuple) and dpi and \
                all(isinstance(v, int | float) and v >= SCAN_DPI for v in dpi):
            return None
        photo = ImageOps.exif_transpose(opened).convert("RGB")  # as the phone showed it
    if corners is not None:
        return page_of(photo, checked_corners(corners, photo.size), work, path)
    outline = find_page(photo)
    if outline is None:
        if _is_page(photo):  # already cut to the page (a scanner app's): even its light only
            return _kept(even_light(photo, 300.0), 300.0, work, path, {"photo": "page_only", "size": list(photo.size)})
        kept = _kept(photo, None, work, path, {"photo": "no_page", "size": list(photo.size)})  # read as any image
        return PhotoPage(kept.path, kept.note, problem="no_page")
    return page_of(photo, outline, work, path)


def checked_corners(corners: object, size: tuple[int, int]) -> Outline:
    """Four corners given by hand as an outline: four pairs of finite numbers, within MAX_OUTSIDE of
    the photo, making a convex quadrilateral of at least MIN_AREA of it; PhotoError otherwise."""
    if not isinstance(corners, list | tuple) or len(corners) != 4:
        raise PhotoError("four corners are needed", "corners")
    points = []
    for corner in corners:
        if not isinstance(corner, list | tuple) or len(corner) != 2 or \
                not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in corner):
            raise PhotoError("a corner is two numbers", "corners")
        x, y = float(corner[0]), float(corner[1])
        if not (-MAX_OUTSIDE * size[0] <= x <= (1 + MAX_OUTSIDE) * size[0]
                and -MAX_OUTSIDE * size[1] <= y <= (1 + MAX_OUTSIDE) * size[1]):
            raise PhotoError("a corner lies far outside the photo", "corners")
        points.append((x, y))
    quad = np.array(points, dtype=np.float32)
    if not cv2.isContourConvex(quad) or cv2.contourArea(quad) < MIN_AREA * size[0] * size[1]:
        raise PhotoError("the corners make no page", "corners")
    return Outline(ordered(np.array(points)))


def page_of(photo: Image.Image, outline: Outline, work: Path, path: Path) -> PhotoPage:
    """The page inside `outline` (found, or corrected by hand), flattened, evenly lit and sharpened."""
    flat = flatten(photo, outline)
    page = sharpened(even_light(flat.image, flat.dpi), flat.dpi)
    desk = desk_at_edges(page, flat.dpi)
    note = {"photo": "flattened", "size": list(photo.size), "outline": outline.as_list(),
            "by_hand": outline.contrast == 0, "paper": flat.paper, "size_mm": list(flat.size_mm), "dpi": flat.dpi,
            "photo_dpi": flat.photo_dpi, "desk_at_edges": round(desk, 3), "doubtful": outline.doubtful}
    kept = _kept(page, flat.dpi, work, path, note)
    return replace(kept, problem="outline") if desk > MAX_DESK_AT_EDGES or outline.doubtful else kept


def desk_at_edges(page: Image.Image, dpi: float) -> float:
    """The most, of any side, of a strip of the flattened page's margin (EDGE_MM from its edge, the
    outermost part left out: an outline a pixel or two off is no desk) that is not paper: dark
    (under 60 % of the paper's white once the light is even) or coloured. A page cut out right has
    its blank margin there; an outline that took in some of the desk has the desk — often along one
    side only, or a wedge of it where a side is turned, which the page's other three sides would
    hide in a share of all four."""
    pixels = np.asarray(page.convert("RGB"))
    start, end = (max(1, round(mm / 25.4 * dpi)) for mm in EDGE_MM)
    strips = [pixels[start:end], pixels[-end:-start], pixels[:, start:end], pixels[:, -end:-start]]
    return max(_not_paper(strip) for strip in strips)


def _not_paper(strip: np.ndarray) -> float:
    lab = cv2.cvtColor(strip.reshape(1, -1, 3), cv2.COLOR_RGB2LAB)[0].astype(np.float32)
    coloured = np.hypot(lab[:, 1] - 128, lab[:, 2] - 128) > 25
    return float(((lab[:, 0] < 0.6 * 255) | coloured).mean())


def _kept(page: Image.Image, dpi: float | None, work: Path, path: Path, note: dict) -> PhotoPage:
    work.mkdir(parents=True, exist_ok=True)
    made = work / f"{path.stem}.page.png"
    page.save(made, format="PNG", compress_level=1, **({"dpi": (dpi, dpi)} if dpi else {}))
    return PhotoPage(made, note)


def _is_page(photo: Image.Image) -> bool:
    """The whole image is a page already (a scanner app's): a paper's proportions within PAGE_ONLY
    (a phone's 4:3 frame is not Letter's), its edges paper: bright, colourless, as bright as the
    brightest of it."""
    ratio = min(photo.size) / max(photo.size)
    if not any(abs(math.log(ratio * h / w)) <= PAGE_ONLY for w, h in PAPERS_MM.values()):
        return False
    small, _scale = small_copy(photo)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    edge = np.concatenate([lab[:4].reshape(-1, 3), lab[-4:].reshape(-1, 3), lab[:, :4].reshape(-1, 3),
                           lab[:, -4:].reshape(-1, 3)])
    light, colour = float(np.median(edge[:, 0])), float(np.median(np.hypot(edge[:, 1] - 128, edge[:, 2] - 128)))
    return light >= 170 and colour < 20 and light >= 0.85 * float(np.percentile(lab[..., 0], 95))


def flatten(photo: Image.Image, outline: Outline) -> FlatPage:
    """The page inside `outline`, as a rectangle of its paper's proportions, at its own resolution;
    a page cut by the photo's edge as found (its paper's proportions would stretch what is seen)."""
    corners = np.array(outline.corners, dtype=np.float64)
    ratio = _proportions(corners, photo.size)
    paper = min(PAPERS_MM, key=lambda p: abs(math.log(PAPERS_MM[p][0] / PAPERS_MM[p][1] / ratio)))
    if outline.cut or abs(math.log(PAPERS_MM[paper][0] / PAPERS_MM[paper][1] / ratio)) > SNAP:
        paper = ""
    width_mm, height_mm = PAPERS_MM[paper] if paper else (210.0, 210.0 / ratio)
    across = (length(corners[0], corners[1]) + length(corners[3], corners[2])) / 2
    down = (length(corners[0], corners[3]) + length(corners[1], corners[2])) / 2
    photo_dpi = (across / width_mm + down / height_mm) / 2 * 25.4
    dpi = float(min(MAX_DPI, max(MIN_DPI, round(photo_dpi))))
    size = (round(width_mm / 25.4 * dpi), round(height_mm / 25.4 * dpi))
    target = np.array([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]], dtype=np.float32)
    warp = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    pixels = np.asarray(photo.convert("RGB"))
    flat = cv2.warpPerspective(pixels, warp, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return FlatPage(Image.fromarray(flat), dpi, round(photo_dpi, 1), paper, (width_mm, round(height_mm, 1)),
                    outline)


def even_light(image: Image.Image, dpi: float) -> Image.Image:
    """The page with its light made even: the paper's brightness estimated everywhere (the
    brightest nearby, text taken away, then smoothed) and divided out, channel by channel, so the
    gradient, the shadow and the paper's tint go and the paper becomes white. Grey stays grey."""
    pixels = np.asarray(image.convert("RGB") if image.mode not in ("L", "RGB") else image)
    factor = max(1, round(dpi / 50))  # the light changes slowly: estimated at about 50 dpi
    small = cv2.resize(pixels, (pixels.shape[1] // factor, pixels.shape[0] // factor), interpolation=cv2.INTER_AREA)
    reach = max(3, round(dpi / factor * 4 / 25.4) | 1)  # 4 mm: wider than any stroke of text
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
    paper = cv2.GaussianBlur(cv2.medianBlur(paper, reach), (0, 0), reach)
    paper = cv2.resize(paper, (pixels.shape[1], pixels.shape[0]), interpolation=cv2.INTER_LINEAR)
    even = cv2.divide(pixels, np.maximum(paper, 1), scale=255)
    return Image.fromarray(even)


def sharpened(image: Image.Image, dpi: float) -> Image.Image:
    """The page with its edges made crisp again (an unsharp mask, as a scanner app's "enhance"): a
    phone's photo is soft — its lens, its focus, the warp's resampling — and tesseract reads a
    letter blurred into a table's ruling as one glyph ("Irangka" for "rangka", "ls" for "6").
    Measured in bench/README.md (photographed pages)."""
    pixels = np.asarray(image)
    blurred = cv2.GaussianBlur(pixels, (0, 0), SHARPEN_MM / 25.4 * dpi)
    return Image.fromarray(cv2.addWeighted(pixels, 1 + SHARPEN_AMOUNT, blurred, -SHARPEN_AMOUNT, 0))


# -- proportions -----------------------------------------------------------------------------------


def _proportions(corners: np.ndarray, size: tuple[int, int]) -> float:
    """Width over height of the rectangle the four corners are a photograph of (Zhang and He), the
    principal point at the photo's centre. Where the perspective is too slight to tell the focal
    length (it comes out beyond a phone's), a phone's usual one (PHONE_FOCAL) is taken."""
    u0, v0 = size[0] / 2, size[1] / 2
    m1, m2, m4, m3 = (np.array([x, y, 1.0]) for x, y in corners)  # TL, TR, BR, BL as in the paper
    k2 = np.dot(np.cross(m1, m4), m3) / np.dot(np.cross(m2, m4), m3)
    k3 = np.dot(np.cross(m1, m4), m2) / np.dot(np.cross(m3, m4), m2)
    n2, n3 = k2 * m2 - m1, k3 * m3 - m1
    focal = PHONE_FOCAL[1] * max(size)
    if abs(n2[2] * n3[2]) > 1e-12:
        f2 = -((n2[0] * n3[0] - (n2[0] * n3[2] + n2[2] * n3[0]) * u0 + n2[2] * n3[2] * u0 * u0)
               + (n2[1] * n3[1] - (n2[1] * n3[2] + n2[2] * n3[1]) * v0 + n2[2] * n3[2] * v0 * v0)) / (n2[2] * n3[2])
        if f2 > 0 and PHONE_FOCAL[0] <= math.sqrt(f2) / max(size) <= PHONE_FOCAL[2]:
            focal = math.sqrt(f2)
    a_inv = np.linalg.inv(np.array([[focal, 0, u0], [0, focal, v0], [0, 0, 1]]))
    metric = a_inv.T @ a_inv
    return math.sqrt(float(n2 @ metric @ n2) / float(n3 @ metric @ n3))
