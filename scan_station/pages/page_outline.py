"""Where the page lies in a photo (`find_page`), for `pages.photo`.

The photo is looked at about WORK_PX pixels long. Several masks of "what could be paper" are made
— bright and colourless (Otsu, as found and after opening away a desk's pattern), and the region
around the photo's centre that no edge of brightness or colour crosses — and the outline of each
is cut to a quadrilateral: the four longest sides of its convex hull, extended until they meet,
so that a corner hidden by a finger or lying just outside the frame is where its two sides meet.
Each side is then moved onto the page's edge (the line along which the colour steps from the
page's paper to something else), and the moved outline is kept unless it separates clearly less
(a side a few pixels inside the page, where a mask rounded a corner off, separates as well as the
edge itself). The outline kept is the one whose sides separate most clearly what is inside from
what is outside (in Lab colour; one side along the frame's edge not counted, more are no page),
times the root of its area; an outline whose weakest side separates less than
MIN_CONTRAST is none: the photo has no page we can trust. When none separates clearly (a desk
whose pattern the masks joined to the page), each outline's sides are looked for further inside
it as well (`SHRINK_BELOW`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

#: Long side, in pixels, of the copy of the photo the page is looked for in.
WORK_PX = 800
#: A page covers at least this share of the photo; an outline covering more is the photo's frame.
MIN_AREA, MAX_AREA = 0.10, 0.985
#: How far outside the frame a corner may be found, as a share of the photo's side.
MAX_OUTSIDE = 0.15
#: How far from a rough side its edge is looked for: as a share of the photo's long side, and turned.
#: Inwards only a little: a page's lines of text lie further in than its margin, and the rough
#: outline is seldom inside the page. Turned up to 8°: a rough side cut from a patterned desk's
#: mask can be that far off (with STEP_CAP, 5° found 53 of 80 checked-cloth outlines right and 2
#: wrong and not flagged; 8° 62 right, none wrong and not flagged).
REFINE_BAND, REFINE_INWARD, REFINE_DEGREES = 0.06, 0.015, 8
#: When no outline separates even this clearly, each one's sides are also looked for up to
#: SHRINK_INWARD of the photo inside it. On a checked cloth whose white squares are the paper's
#: white, the masks join the page to the squares beside it, and their outline runs along the
#: cloth's grid, 3-15 % outside the page (separating 20-55; the page's own edge 55-80). Measured on
#: 104 checked-cloth shots: 91 outlines right instead of 82, none wrong and unlisted; on dark and
#: light desks no change. 0.34 s a photo instead of 0.30.
SHRINK_BELOW, SHRINK_INWARD = 55.0, 0.12
#: An outline at least RIVAL[0] as good as the best, with a corner RIVAL[1] of the photo away, is a rival.
RIVAL = (0.9, 0.02)
#: Weakest side's separation (mean Lab difference across it, 0-255 scale) for a page to be found.
MIN_CONTRAST = 8.0
#: The refined outline is kept when it separates at least this share of what the rough one does.
KEEP_REFINED = 0.9
#: How much one point's step in colour counts, at most, when a side is moved onto the edge (Lab,
#: 0-255 scale, summed). Along a page lying on a checked cloth, the edge steps a little where it
#: meets a white square (the paper's white against the cloth's) and a lot where it meets a red
#: one; a line of the cloth itself steps a lot along half its length (white square inside, red
#: outside). Uncapped (80), the cloth's line won: 37 of 80 outlines right; capped, 62. Only while
#: the line is chosen: placed finely about it, a capped step is as high a pixel either side of the
#: edge, and the first of equals lies inwards (a corner 0.3 % of the photo inside the page).
STEP_CAP, FINE_STEP_CAP = 16, 80

Point = tuple[float, float]


@dataclass(frozen=True)
class Outline:
    """Where the page lies in the photo: its corners in photo pixels (the photo turned upright by
    its EXIF orientation), top-left, top-right, bottom-right, bottom-left."""

    corners: tuple[Point, Point, Point, Point]
    contrast: float = 0.0  # its weakest side's separation; 0 for corners given by hand
    cut: bool = False  # a side lies along the photo's edge: some of the page is outside the photo
    doubtful: bool = False  # another outline, nearly as good, lies elsewhere (`find_page`)

    def as_list(self) -> list[list[float]]:
        return [[round(x, 1), round(y, 1)] for x, y in self.corners]


def find_page(photo: Image.Image) -> Outline | None:
    """The page's outline in `photo` (turned upright already), or None when no page stands out.
    `doubtful` when another outline nearly as good lies elsewhere (`RIVAL`): two pages' worth of
    evidence, such as a patterned desk gives, is no answer to file on without a look."""
    small, scale = small_copy(photo)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB)
    found, quads = [], []
    for mask in _masks(lab):
        for rough in _quads(mask):
            contrast, quad = choose(rough, lab)
            found.append(_candidate(contrast, quad, lab))
            quads.append(quad)
    if max((contrast for _score, contrast, _quad in found), default=0.0) < SHRINK_BELOW:
        image = lab.astype(np.float32)
        for quad in quads:
            inner = _refined(quad, image, inward=SHRINK_INWARD)
            if _area(inner) >= MIN_AREA * lab[..., 0].size:  # not a block of the page's text
                found.append(_candidate(_contrast(inner, lab), inner, lab))
    found = [candidate for candidate in found if candidate[1] >= MIN_CONTRAST]
    if not found:
        return None
    score, contrast, quad = max(found, key=lambda candidate: candidate[0])
    corners = np.array(ordered(quad))
    doubtful = any(other >= RIVAL[0] * score and max(
        min(math.dist(c, o) for o in ordered(rival)) for c in corners) > RIVAL[1] * max(lab.shape[:2])
        for other, _contrast_, rival in found)
    return Outline(ordered(quad / scale), round(contrast, 1), _cut(quad, lab.shape), doubtful)


def _candidate(contrast: float, quad: np.ndarray, lab: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(score, contrast, quad): how clearly the outline separates, times the root of its area."""
    return contrast * math.sqrt(_area(quad) / lab[..., 0].size), contrast, quad


def choose(rough: np.ndarray, lab: np.ndarray) -> tuple[float, np.ndarray]:
    """(contrast, quad): `rough` with its sides moved onto the page's edge (`_refined`), unless that
    separates clearly less than `rough` itself. Contrast, measured a few pixels either side,
    cannot tell a side on the edge from one a few pixels inside it (where a mask rounded the
    page's corners off): refining can."""
    refined = _refined(rough, lab.astype(np.float32))
    sharp, blunt = _contrast(refined, lab), _contrast(rough, lab)
    return (sharp, refined) if sharp >= KEEP_REFINED * blunt else (blunt, rough)


# -- finding the page ------------------------------------------------------------------------------


def small_copy(photo: Image.Image) -> tuple[np.ndarray, float]:
    scale = min(1.0, WORK_PX / max(photo.size))
    size = (max(1, round(photo.width * scale)), max(1, round(photo.height * scale)))
    return np.asarray(photo.convert("RGB").resize(size, Image.Resampling.BOX)), scale


def _masks(lab: np.ndarray) -> list[np.ndarray]:
    """Masks of what could be the page: bright and colourless, as found and with a desk's pattern
    opened away; and the region around the centre that no edge crosses."""
    light = lab[..., 0].astype(np.float32)
    colour = np.hypot(lab[..., 1].astype(np.float32) - 128, lab[..., 2].astype(np.float32) - 128)
    paper = cv2.GaussianBlur(np.clip(light - 2 * colour, 0, 255).astype(np.uint8), (5, 5), 0)
    side = max(lab.shape[:2])
    _level, bright = cv2.threshold(paper, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    closed = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, _disc(side // 60))  # the text's holes filled
    masks = [closed]
    for opening in (side // 40, side // 15, side // 7):  # a desk's pattern, a cable, a keyboard's edge gone
        masks.append(cv2.morphologyEx(closed, cv2.MORPH_OPEN, _disc(opening)))
    masks.append(_unbroken_centre(lab, side))
    return masks


def _unbroken_centre(lab: np.ndarray, side: int) -> np.ndarray:
    """The region around the photo's centre reached without crossing an edge of brightness or of
    colour: the page, when its edge against the desk is clear but its brightness is not (a light
    desk, uneven light; a thumb as light as the paper but not its colour). A region that reaches
    three sides of the frame got out through a gap in the page's edge: none."""
    smooth = cv2.medianBlur(lab, 2 * (side // 120) + 1)  # the text smoothed away
    edges = cv2.bitwise_or(cv2.Canny(smooth[..., 0], 20, 50),
                           cv2.bitwise_or(cv2.Canny(smooth[..., 1], 10, 25), cv2.Canny(smooth[..., 2], 10, 25)))
    edges = cv2.dilate(edges, _disc(5))
    h, w = edges.shape
    found = np.zeros((h, w), np.uint8)
    for x, y in [(w // 2, h // 2), (w // 2, h // 3), (w // 2, 2 * h // 3), (w // 3, h // 2), (2 * w // 3, h // 2)]:
        if edges[y, x] or found[y, x]:
            continue
        region = np.zeros((h + 2, w + 2), np.uint8)
        cv2.floodFill(edges.copy(), region, (x, y), 255, flags=4 | cv2.FLOODFILL_MASK_ONLY | (255 << 8))
        region = region[1:-1, 1:-1]
        if sum(bool(edge.any()) for edge in (region[0], region[-1], region[:, 0], region[:, -1])) < 3:
            found |= region
    return cv2.dilate(found, _disc(5))  # back out to the edge


def _cut(quad: np.ndarray, shape: tuple[int, ...]) -> bool:
    """Whether a side of the outline lies along the photo's edge (the page runs out of the photo)."""
    h, w = shape[:2]
    return any(abs(a[0] - b[0]) < 0.02 * w and min(a[0], b[0]) < 0.01 * w + 1 or
               abs(a[0] - b[0]) < 0.02 * w and max(a[0], b[0]) > 0.99 * w - 2 or
               abs(a[1] - b[1]) < 0.02 * h and min(a[1], b[1]) < 0.01 * h + 1 or
               abs(a[1] - b[1]) < 0.02 * h and max(a[1], b[1]) > 0.99 * h - 2
               for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True))


def _disc(size: int) -> np.ndarray:
    size = max(3, size | 1)
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def _quads(mask: np.ndarray) -> list[np.ndarray]:
    """Quadrilaterals cut from the largest outlines of `mask`."""
    contours, _hierarchy = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        hull = cv2.convexHull(contour)
        if not MIN_AREA <= cv2.contourArea(hull) / mask.size <= MAX_AREA:
            continue
        quad = _four_sides(hull.reshape(-1, 2).astype(np.float64), mask.shape)
        if quad is not None:
            found.append(quad)
    return found


def _four_sides(hull: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """The hull's four longest sides (after simplifying it) extended until they meet: its corners."""
    perimeter = cv2.arcLength(hull.astype(np.float32), True)
    poly = cv2.approxPolyDP(hull.astype(np.float32), 0.015 * perimeter, True).reshape(-1, 2).astype(np.float64)
    if not 4 <= len(poly) <= 10:
        return None
    sides = [(poly[i], poly[(i + 1) % len(poly)]) for i in range(len(poly))]
    longest = sorted(sorted(range(len(sides)), key=lambda i: -length(*sides[i]))[:4])
    corners = []
    for a, b in zip(longest, longest[1:] + longest[:1], strict=True):
        point = _meet(sides[a], sides[b])
        if point is None:
            return None
        corners.append(point)
    quad = np.array(corners)
    h, w = shape[:2]
    inside = (quad[:, 0] > -MAX_OUTSIDE * w) & (quad[:, 0] < (1 + MAX_OUTSIDE) * w) \
        & (quad[:, 1] > -MAX_OUTSIDE * h) & (quad[:, 1] < (1 + MAX_OUTSIDE) * h)
    if not inside.all() or not cv2.isContourConvex(quad.astype(np.float32)):
        return None
    return quad


def _meet(one: tuple[np.ndarray, np.ndarray], other: tuple[np.ndarray, np.ndarray]) -> np.ndarray | None:
    (p, p2), (q, q2) = one, other
    r, s = p2 - p, q2 - q
    cross = r[0] * s[1] - r[1] * s[0]
    if abs(cross) < 1e-9 * (np.hypot(*r) * np.hypot(*s)) or abs(cross) < 1e-6:
        return None
    if abs(cross) / (np.hypot(*r) * np.hypot(*s)) < math.sin(math.radians(30)):
        return None  # sides that meet at less than 30 degrees are no corner of a page
    t = ((q[0] - p[0]) * s[1] - (q[1] - p[1]) * s[0]) / cross
    return p + t * r


def _refined(quad: np.ndarray, image: np.ndarray, *, inward: float = REFINE_INWARD) -> np.ndarray:
    """Each side moved onto the page's edge (`_edge_line`, looked for up to `inward` of the photo
    inside it); the corners where the new sides meet."""
    centre = quad.mean(axis=0)
    sides = [_edge_line(a, b, centre, image, inward) for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True)]
    corners = [_meet(sides[i - 1], sides[i]) for i in range(4)]
    if any(c is None for c in corners):
        return quad
    refined = np.array(corners)
    return refined if cv2.isContourConvex(refined.astype(np.float32)) else quad


def _edge_line(a: np.ndarray, b: np.ndarray, centre: np.ndarray, image: np.ndarray,
               reach_in: float) -> tuple[np.ndarray, np.ndarray]:
    """The line near side a-b (within REFINE_BAND of the photo outside it and `reach_in` inside,
    turned up to REFINE_DEGREES) along which the colour steps most from the page's paper on its
    inner side to something else on its outer side: the page's edge. Only points whose inner side
    has the paper's colour count, so that a line of a patterned desk, with the pattern on both
    sides, does not. Looked for coarsely (whole pixels and degrees), then finely about the best."""
    h, w = image.shape[:2]
    size = max(length(a, b), 1e-9)
    along, normal = (b - a) / size, np.array([b[1] - a[1], a[0] - b[0]]) / size
    if np.dot(normal, (a + b) / 2 - centre) < 0:
        normal = -normal  # pointing out of the page
    if _within(a + np.linspace(0, 1, 20)[:, None] * (b - a) + normal * max(h, w) * 0.01, w, h).mean() < 0.5:
        return a, b  # along the frame's edge: the page runs out of the photo here
    inward = a + np.linspace(0.2, 0.8, 15)[:, None] * (b - a) - normal * max(h, w) * 0.05
    paper = np.median(_sample(image, _clipped(inward, w, h))[:, 1:], axis=0)  # its colour (a*, b*)
    band = REFINE_BAND * max(h, w)
    middle, turn = (a + b) / 2, 0.0
    coarse = max(2.0, max(h, w) / 250)
    for turns, shifts, reach, cap in ((np.linspace(-REFINE_DEGREES, REFINE_DEGREES, 2 * REFINE_DEGREES + 1),
                                       np.arange(-reach_in * max(h, w), band + 1, 1.0), coarse, STEP_CAP),
                                      (np.linspace(-1, 1, 21), np.arange(-2, 2.1, 0.25), 1.0, FINE_STEP_CAP)):
        turn, shift = _best_step(image, paper, middle, along, normal, size, turn + turns, shifts, reach, cap)
        middle = middle + shift * _turned(normal, turn)
    return middle, middle + _turned(along, turn)


def _best_step(image: np.ndarray, paper: np.ndarray, middle: np.ndarray, along: np.ndarray, normal: np.ndarray,
               side: float, turns: np.ndarray, shifts: np.ndarray, reach: float, cap: float) -> tuple[float, float]:
    """(turn in degrees, shift in pixels) of the line through `middle` with the most paper-to-else
    steps between points `reach` inside and outside it."""
    h, w = image.shape[:2]
    spots = np.linspace(-0.42, 0.42, 40) * side
    u = np.array([_turned(along, t) for t in turns])[:, None, None, :]  # turns, 1, 1, 2
    n = np.array([_turned(normal, t) for t in turns])[:, None, None, :]
    points = middle + shifts[None, :, None, None] * n + spots[None, None, :, None] * u  # turns, shifts, spots, 2
    inner, outer = (points - reach * n).reshape(-1, 2), (points + reach * n).reshape(-1, 2)
    keep = _within(inner, w, h) & _within(outer, w, h)
    inside, outside = _sample(image, _clipped(inner, w, h)), _sample(image, _clipped(outer, w, h))
    paperlike = np.abs(inside[:, 1:] - paper).sum(axis=1) < 16
    step = np.minimum(np.abs(inside - outside).sum(axis=1), cap) * paperlike * keep
    score = step.reshape(points.shape[:3]).mean(axis=2)
    t, s = np.unravel_index(int(np.argmax(score)), score.shape)
    return float(turns[t]), float(shifts[s])


def _turned(vector: np.ndarray, degrees: float) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([vector[0] * c - vector[1] * s, vector[0] * s + vector[1] * c])


def _clipped(points: np.ndarray, w: int, h: int) -> np.ndarray:
    return np.stack([np.clip(points[:, 0], 0, w - 1), np.clip(points[:, 1], 0, h - 1)], axis=1)


def _contrast(quad: np.ndarray, lab: np.ndarray) -> float:
    """The weakest side's separation: the mean Lab difference between points just inside and just
    outside it, less twice how much the inside changes from point to point along it (a page's
    margin is one paper, if unevenly lit; a line across a patterned desk is not), times the square
    of the share of the inside that has the paper's colour (the colour of the middle of the page:
    an outline taking in some of the desk has the desk inside). A side along the frame's edge (the
    page runs out of the photo) is not counted."""
    h, w = lab.shape[:2]
    centre, reach = quad.mean(axis=0), max(2.0, max(h, w) / 80)
    image = lab.astype(np.float32)
    grid = np.linspace(0.3, 0.7, 7)
    middle = np.array([quad[0] + u * (quad[1] - quad[0]) + v * (quad[3] - quad[0]) for u in grid for v in grid])
    paper = np.median(_sample(image, _clipped(middle, w, h))[:, 1:], axis=0)  # its colour (a*, b*)
    weakest, counted = math.inf, 0
    for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True):
        along = np.linspace(0.1, 0.9, 40)[:, None]
        points = a + along * (b - a)
        normal = np.array([b[1] - a[1], a[0] - b[0]]) / max(length(a, b), 1e-9)
        if np.dot(normal, (a + b) / 2 - centre) < 0:
            normal = -normal  # pointing out of the page
        inner, outer = points - normal * reach, points + normal * reach
        keep = _within(inner, w, h) & _within(outer, w, h)
        if keep.sum() < len(keep) / 2:
            continue  # along the frame's edge: the page runs out of the photo here
        inside, outside = _sample(image, inner[keep]), _sample(image, outer[keep])
        varies = float(np.abs(np.diff(inside, axis=0)).sum(axis=1).mean())
        share = float((np.abs(inside[:, 1:] - paper).sum(axis=1) < 16).mean())
        separation = (float(np.abs(inside - outside).sum(axis=1).mean()) - 2 * varies) * share ** 2
        weakest, counted = min(weakest, separation), counted + 1
    return weakest if counted >= 3 else 0.0  # a page has at most one side out of the photo


def _within(points: np.ndarray, w: int, h: int) -> np.ndarray:
    return (points[:, 0] >= 0) & (points[:, 0] <= w - 1) & (points[:, 1] >= 0) & (points[:, 1] <= h - 1)


def _sample(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    x, y = np.round(points[:, 0]).astype(int), np.round(points[:, 1]).astype(int)
    return image[y, x]


def _area(quad: np.ndarray) -> float:
    return float(cv2.contourArea(quad.astype(np.float32)))


def length(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.hypot(*(np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64))))


def ordered(quad: np.ndarray) -> tuple[Point, Point, Point, Point]:
    """Corners clockwise from the top-left, the page portrait: its first side a short one (a page
    photographed sideways is turned here, and the right way up by the page's own orientation)."""
    centre = quad.mean(axis=0)
    angles = np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0])
    clockwise = quad[np.argsort(angles)]  # image y points down: increasing angle is clockwise
    start = int(np.argmin(clockwise.sum(axis=1)))  # nearest the top-left
    clockwise = np.roll(clockwise, -start, axis=0)
    if length(clockwise[0], clockwise[1]) + length(clockwise[3], clockwise[2]) > \
            length(clockwise[0], clockwise[3]) + length(clockwise[1], clockwise[2]):
        clockwise = np.roll(clockwise, -1, axis=0)  # lying sideways: start at the top-right instead
    return tuple((float(x), float(y)) for x, y in clockwise)  # type: ignore[return-value]
