"""Whole batches as offices scan them, with the truth about every page: stacks of cover sheets and
documents (`office_pages`) fed through a duplex or simplex feeder (`office.scan`) — sheets put in
upside down at random (covers, content and backs alike, so content lies otherwise than its cover
as often as not), each side skewed its own way by up to 5°, grey recycled or thin paper, light
toner, the scanner's JPEG at quality 35–60, 200 or 300 dpi.

Each scanned page knows what it is (cover, content, blank back), which entry it belongs to, how it
was printed (`Printed`, upright) and how it lies. Seeded: the same call makes the same batch.
"""

from __future__ import annotations

import dataclasses
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import img2pdf
from PIL import Image

from helpers import office, office_pages
from helpers.office_pages import Printed

COVER, CONTENT, BLANK = "cover", "content", "blank"


@dataclass(frozen=True)
class Profile:
    """How harsh a batch is."""

    name: str
    papers: tuple[office.Paper, ...]
    max_skew: float  # degrees, either way, each side its own
    upside_down: float  # share of sheets fed upside down
    jpeg: tuple[int, int] | None  # scanner JPEG quality range, None: lossless
    dpi: tuple[int, ...] = (300,)


HARSH_THIN = dataclasses.replace(office.THIN_PAPER, show_through=0.22, blur_mm=0.35)
HARSH_GREY = dataclasses.replace(office.GREY_RECYCLED, toner=90.0, show_through=0.16)
PROFILES = {
    "clean": Profile("clean", (dataclasses.replace(office.OFFICE, show_through=0.03, noise=2.0, specks=0),),
                     max_skew=0.5, upside_down=0.0, jpeg=None),
    "office": Profile("office", (office.OFFICE, office.THIN_PAPER, office.GREY_RECYCLED), max_skew=2.0,
                      upside_down=0.25, jpeg=(50, 60), dpi=(300, 200)),
    "harsh": Profile("harsh", (HARSH_THIN, HARSH_GREY, office.LIGHT_TONER), max_skew=5.0, upside_down=0.5,
                     jpeg=(35, 60), dpi=(200, 300)),
}


@dataclass(frozen=True)
class Scanned:
    """One page of a batch as scanned, and the truth about it."""

    image: Image.Image
    kind: str  # COVER, CONTENT or BLANK
    register_id: str | None  # the entry whose cover or document this is
    printed: Printed | None  # what is printed on this side (content), upright
    turned: int  # clockwise degrees the side lies turned as scanned (180: fed upside down)
    skew: float
    jpeg: int | None  # the scanner's JPEG quality


@dataclass(frozen=True)
class Batch:
    pages: list[Scanned]
    dpi: int

    def write_pdf(self, out: Path) -> Path:
        """The batch as a scanner's scan-to-PDF makes it: one JPEG (or PNG) per page."""
        blobs = []
        for page in self.pages:
            buffer = io.BytesIO()
            if page.jpeg:
                page.image.save(buffer, "JPEG", quality=page.jpeg, dpi=(self.dpi, self.dpi))
            else:
                page.image.save(buffer, "PNG", compress_level=1, dpi=(self.dpi, self.dpi))
            blobs.append(buffer.getvalue())
        out.write_bytes(img2pdf.convert(blobs))
        return out

    def content(self) -> list[tuple[int, Scanned]]:
        return [(n, p) for n, p in enumerate(self.pages, start=1) if p.kind == CONTENT]


def documents(register_ids: Sequence[str], rng: random.Random, *, dpi: int, pages: tuple[int, int] = (1, 4),
              layouts: Sequence[str] = office_pages.LAYOUTS) -> list[tuple[str, list[Printed]]]:
    """Each entry's document: 1-4 pages of the given layouts, numbered in one style."""
    found = []
    for register_id in register_ids:
        count, style = rng.randint(*pages), rng.choice([0, 1, 2, None])
        printed = [office_pages.page(rng.choice(layouts), dpi=dpi, seed=rng.randrange(10**6), page_no=n, of=count,
                                     numbering=style) for n in range(1, count + 1)]
        found.append((register_id, printed))
    return found


def feed(docs: Sequence[tuple[str, list[Printed]]], profile: Profile, *, seed: int, duplex: bool = True,
         dpi: int | None = None, turns: Sequence[int] | None = None) -> Batch:
    """The stack scanned: each document behind its cover sheet, one side printed per sheet, every
    sheet fed upside down with the profile's odds (or as `turns` says, sheet by sheet: 0 or 180)
    and each side skewed its own way."""
    rng = random.Random(seed)
    dpi = dpi or rng.choice(profile.dpi)
    pages: list[Scanned] = []
    told = iter(turns) if turns is not None else None

    def sheet(front: Image.Image, kind: str, register_id: str, printed: Printed | None) -> None:
        paper = rng.choice(profile.papers)
        upside_down = rng.random() < profile.upside_down
        turn = next(told) if told is not None else 180 if upside_down else 0
        sides = [(front, None, kind, printed), (office.a4(dpi), front, BLANK, None)] if duplex else \
                [(front, None, kind, printed)]
        for ink, through, side_kind, side_printed in sides:
            skew = round(rng.uniform(-profile.max_skew, profile.max_skew), 2)
            quality = rng.randint(*profile.jpeg) if profile.jpeg else None
            image = office.scan(ink, through, paper, dpi=dpi, seed=rng.randrange(10**6), skew=skew, turn=turn)
            pages.append(Scanned(image, side_kind, register_id, side_printed, turn, skew, quality))

    for register_id, printed in docs:
        sheet(office.cover_print(register_id, dpi=dpi, skew=0), COVER, register_id, None)
        for one in printed:
            sheet(one.image, CONTENT, register_id, one)
    return Batch(pages, dpi)
