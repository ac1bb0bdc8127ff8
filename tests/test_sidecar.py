"""The sidecar as a typed value: what filing writes reads back the same; an older sidecar, or one
from a bag whose unchecked fields are of another type, reads with those fields left out."""

from scan_station.core import stored_shapes
from scan_station.core.sidecar import Sidecar, SidecarBatch, SidecarPage


def _sidecar(**changes) -> Sidecar:
    values = dict(
        register_id="IP-2026-0001", version=2, file="IP-2026-0001_v2.pdf", sha256="a" * 64, page_count=1,
        register={"title": "Laporan", "unit": "Umum", "category": "berkala"},
        batch=SidecarBatch("B20261207-101010-ABCD", [2], "batches/2026/B20261207-101010-ABCD", 1),
        pages=[SidecarPage(1, 2, "Laporan kegiatan", {"verdict": "readable"}, ["low_confidence"])],
        filed_at="2026-12-07T10:10:10+00:00", document_id=7, bytes=1234, submitted_by="dok",
        pages_to_check=[{"page": 2, "code": "low_confidence", "params": {}, "detail": ""}],
    )
    return Sidecar(**values | changes)


def test_what_filing_writes_reads_back_the_same_and_has_its_shape():
    written = _sidecar().to_json()
    assert stored_shapes.problem(written, stored_shapes.SIDECAR) == ""
    assert Sidecar.from_json(written) == _sidecar()


def test_a_sidecar_written_before_a_field_existed_reads_with_its_default():
    old = _sidecar().to_json()
    for name in ("document_id", "bytes", "pdfa", "tools", "submitted_by", "origin", "pages_to_check",
                 "registered_at", "updated_at"):
        old.pop(name, None)
    del old["batch"]["raw_dir"], old["batch"]["cover_page"], old["pages"][0]["readability"], old["pages"][0]["checks"]
    assert stored_shapes.problem(old, stored_shapes.SIDECAR) == ""
    read = Sidecar.from_json(old)
    assert (read.document_id, read.pages_to_check, read.batch.raw_dir, read.pages[0].checks) == (None, None, None, [])


def test_fields_the_shape_does_not_check_are_taken_only_of_their_type():
    foreign = _sidecar().to_json()
    foreign |= {"bytes": "1234", "pdfa": ["x"], "tools": 3, "pages_to_check": {"page": 1}}
    foreign["batch"]["cover_page"] = "1"
    foreign["pages"][0] |= {"readability": 5, "checks": "low_confidence"}
    assert stored_shapes.problem(foreign, stored_shapes.SIDECAR) == ""
    read = Sidecar.from_json(foreign)
    assert (read.bytes, read.pdfa, read.tools, read.pages_to_check, read.batch.cover_page) == (None,) * 5
    assert (read.pages[0].readability, read.pages[0].checks) == (None, [])
