"""A filed document's sidecar: `<id>_v<N>.json` beside its PDF in storage, written by filing
(`filing.store`) and read back by `rebuild` and `import-bag` (`archive`), which record the
document again from it alone.

What a sidecar read from storage or a bag may hold is checked first against its shape
(`stored_shapes.SIDECAR`); `Sidecar.from_json` reads only a sidecar that passed. Sidecars written
before a field existed lack it: such fields have defaults.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class SidecarBatch:
    """The scan batch a document came from: its raw batch folder and the batch pages it holds."""

    id: str
    batch_pages: list[int]
    raw_dir: str | None = None  # None in a sidecar that does not say
    cover_page: int | None = None


@dataclass(frozen=True)
class SidecarPage:
    page: int  # in the document
    batch_page: int
    text: str
    readability: dict | None = None  # the verdict of a page read on its own (`ocr.readability`)
    checks: list[str] = field(default_factory=list)  # the codes of the page checks it fails


@dataclass(frozen=True)
class Sidecar:
    register_id: str
    version: int
    file: str  # the PDF's name, in the sidecar's folder
    sha256: str
    page_count: int
    register: dict  # the entry's fields as they were when filed
    batch: SidecarBatch
    pages: list[SidecarPage]
    filed_at: str  # ISO 8601
    document_id: int | None = None  # so that `rebuild` gives the document the same id again
    bytes: int | None = None
    registered_at: str | None = None
    updated_at: str | None = None
    pdfa: dict | None = None  # {"flavour", "validation_passed", "findings"}
    tools: dict | None = None  # the versions of the tools that made it
    submitted_by: str | None = None
    origin: dict | None = None  # a softcopy's originals (`filing.softcopy`)
    pages_to_check: list[dict] | None = None  # `PageCheck.as_dict()` each; None before pages were checked

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Sidecar:
        """A sidecar whose shape was checked (`stored_shapes.problem(data, SIDECAR) == ""`)."""
        known = set(cls.__dataclass_fields__)
        batch = data["batch"]
        cover = batch.get("cover_page")
        return cls(**{k: v for k, v in data.items() if k in known} | {
            "batch": SidecarBatch(batch["id"], list(batch["batch_pages"]), batch.get("raw_dir"),
                                  cover if isinstance(cover, int) else None),
            "pages": [SidecarPage(p["page"], p["batch_page"], p["text"], _a(dict, p.get("readability")),
                                  [c for c in _a(list, p.get("checks")) or [] if isinstance(c, str)])
                      for p in data["pages"]],
            # what the shape does not check is taken only when it is of its type
            "bytes": _a(int, data.get("bytes")), "pdfa": _a(dict, data.get("pdfa")),
            "tools": _a(dict, data.get("tools")), "pages_to_check": _a(list, data.get("pages_to_check")),
        })


def _a(kind: type, value: object):
    return value if isinstance(value, kind) and not isinstance(value, bool) else None
