"""A home folder in the state users live in, made once per test session with the real pipeline:
filed batches (from the command line and from the kiosk's queue), an accepted, a returned and a
waiting document, a second version of an entry, "dikecualikan" entries filed and in review,
held pages, a batch in review with corrections and rescans, a failed and an interrupted batch.

Tests copy it (`copy_to`) and open the kiosk over the copy.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from helpers import batches
from helpers.kiosk import PASSWORD, ROLES
from scan_station.accounts import grants
from scan_station.accounts.users import add_user
from scan_station.capture import review
from scan_station.capture.batch_folder import Status
from scan_station.capture.demo import fill_demo_feeder
from scan_station.capture.scanning import scan_pages, start_batch
from scan_station.core.config import load_settings
from scan_station.db.database import Database, Document
from scan_station.filing.ingest import ingest
from scan_station.filing.sources import IngestSource
from scan_station.records import handover
from scan_station.register import add_entry
from scan_station.system import jobs

DEVICE, PROFILE = "pnm:0", "Teks abu-abu 300 dpi, kaca"
#: A word only the "dikecualikan" documents hold: no response to a non-PPID role may carry it.
SECRET = "kriptografi"
SECRET_TEXT = f"Dokumen ini memuat sandi {SECRET} yang tidak boleh dibuka untuk umum."


@dataclass
class LivedIn:
    home: Path
    entries: dict[str, str] = field(default_factory=dict)  # label -> register id
    documents: dict[str, int] = field(default_factory=dict)  # label -> document id
    batches: dict[str, str] = field(default_factory=dict)  # label -> batch id still in scans/
    exempt_pages: dict[str, list[int]] = field(default_factory=dict)  # batch id -> pages of exempt entries

    def save(self, path: Path) -> None:
        """What the home holds besides its files, for another test process to `load`."""
        path.write_text(json.dumps({"home": str(self.home), "entries": self.entries, "documents": self.documents,
                                    "batches": self.batches, "exempt_pages": self.exempt_pages}))

    @classmethod
    def load(cls, path: Path) -> LivedIn:
        data = json.loads(path.read_text())
        return cls(Path(data["home"]), data["entries"], data["documents"], data["batches"], data["exempt_pages"])

    def copy_to(self, home: Path) -> LivedIn:
        shutil.copytree(self.home, home)
        return LivedIn(home, dict(self.entries), dict(self.documents), dict(self.batches),
                       {k: list(v) for k, v in self.exempt_pages.items()})


def _entry(db, settings, title: str, category: str = "berkala", unit: str = "Subbagian Umum") -> str:
    with db.session() as s:
        return add_entry(s, settings, title=title, unit=unit, category=category, created_date="2025-06-01").id


def _scan(settings, db, ids, *, pages=1, extra=None):
    fill_demo_feeder(settings, db, ids, pages=pages, extra=extra)
    folder = start_batch(settings, db, device=DEVICE, profile=PROFILE, user="dok")
    scan_pages(settings, folder)
    return folder


def build(home: Path, work: Path) -> LivedIn:
    home.mkdir(parents=True)
    (home / "scan-station.toml").write_text("demo_feeder = true\nocr_workers = 2\n")
    settings = load_settings(home)
    db = Database(settings)
    lived = LivedIn(settings.home)
    with db.session() as s:
        for username, role in ROLES.items():
            add_user(s, username=username, password=PASSWORD, role=role, name=username.title())
        # access to "dikecualikan": one user confirmed by the Atasan PPID, one new password waiting
        asked = grants.ask(s, "add", "ppid2", role="ppid", name="Petugas PPID Kedua", actor="admin")
        grants.confirm(s, asked.id, password=PASSWORD, actor="atasan", actor_role="atasan")
        grants.ask(s, "password", "ppid", actor="admin")
    e = lived.entries
    e["accepted"] = _entry(db, settings, "Laporan Kegiatan Tahunan")
    e["returned"] = _entry(db, settings, "Surat Edaran Sekretaris", "serta-merta", unit="Subbagian Hukum")
    e["exempt"] = _entry(db, settings, "Nota Dinas Rahasia", "dikecualikan")
    e["exempt_kiosk"] = _entry(db, settings, "Berita Acara Tertutup", "dikecualikan")
    e["unfiled"] = _entry(db, settings, "Daftar Hadir Rapat")

    # the command line files three documents; a page before the first cover is held
    first = [
        batches.content("Lampiran tanpa sampul"),
        batches.cover(e["accepted"]),
        batches.content("Laporan kegiatan", paragraphs=["Laporan kegiatan tahunan."]),
        batches.cover(e["exempt"]),
        batches.content("Nota dinas", paragraphs=[SECRET_TEXT]),
        batches.cover(e["returned"]),
        batches.content("Surat edaran", paragraphs=["Surat edaran kepada unit."]),
    ]
    ingest(IngestSource.batch_file(batches.write_pdf(first, work / "first.pdf")), settings=settings, db=db)
    # a second version of an entry, as a rescan makes it
    again = [batches.cover(e["accepted"]), batches.content("Laporan kegiatan", page_no=1)]
    ingest(IngestSource.batch_file(batches.write_pdf(again, work / "again.pdf"), submitted_by="dok"),
           settings=settings, db=db)
    with db.session() as s:
        docs = {(d.register_id, d.version): d.id for d in s.query(Document)}
        lived.documents |= {
            "accepted_v1": docs[(e["accepted"], 1)],
            "accepted_v2": docs[(e["accepted"], 2)],
            "returned": docs[(e["returned"], 1)],
            "exempt": docs[(e["exempt"], 1)],
        }
        handover.accept(s, lived.documents["accepted_v1"], actor="ppid", storage_dir=settings.storage_dir)
        handover.return_document(s, lived.documents["returned"], actor="ppid", reason="Halaman terpotong",
                                 storage_dir=settings.storage_dir)

    # the kiosk files an exempt document through the job queue
    folder = _scan(settings, db, [e["exempt_kiosk"]], extra=[batches.content("Berita acara", paragraphs=[SECRET_TEXT])])
    review.confirm(settings, db, folder, user="dok")
    jobs.file_batch(settings, folder.id)
    with db.session() as s:
        lived.documents["exempt_kiosk"] = s.query(Document).filter_by(register_id=e["exempt_kiosk"]).one().id

    _in_review(settings, db, lived)
    # filing failed (the pages are kept), and a scan interrupted by an empty feeder
    folder = _scan(settings, db, [e["returned"]])
    review.confirm(settings, db, folder, user="dok")
    folder.update(status=Status.FAILED, error="OCR failed: disk full (test)")
    lived.batches["failed"] = folder.id
    folder = start_batch(settings, db, device=DEVICE, profile=PROFILE, user="dok")
    try:
        scan_pages(settings, folder)
    except Exception:  # noqa: BLE001 - the empty feeder's fault is in the batch state
        pass
    lived.batches["interrupted"] = folder.id
    _softcopy_and_paperwork(settings, db, lived, work)
    db.close()
    return lived


def _softcopy_and_paperwork(settings, db, lived: LivedIn, work: Path) -> None:
    """A signed softcopy handed over, an exempt one through the kiosk's queue, one whose filing
    stopped, a photographed page, a berita acara with the entry for its signed paper, and a copy
    handed out."""
    from test_softcopy import signed_pdf, text_pdf

    from helpers import office_pages, photos
    from scan_station.filing.softcopy import submit
    from scan_station.records import access_copy, berita_acara

    e = lived.entries
    e["softcopy"] = _entry(db, settings, "Keputusan Ketua (softcopy)")
    e["exempt_softcopy"] = _entry(db, settings, "Telaah Staf Tertutup", "dikecualikan")
    signed, _cert = signed_pdf(work)
    submit([signed], entry_id=e["softcopy"], settings=settings, db=db, submitted_by="dok")
    secret = text_pdf(work / "telaah.pdf", [SECRET_TEXT])
    _hand_over(settings, db, e["exempt_softcopy"], secret, file=True)  # through the kiosk's queue
    _hand_over(settings, db, e["softcopy"], text_pdf(work / "lampiran.pdf", ["Lampiran keputusan"]), file=False)
    e["photo"] = _entry(db, settings, "Pengumuman (foto)")
    taken = photos.photograph(office_pages.page("letter", dpi=200, seed=5).image, photos.Shot(desk="dark", turn=5),
                              seed=5)
    (work / "pengumuman.jpg").write_bytes(taken.data)
    submit([work / "pengumuman.jpg"], entry_id=e["photo"], settings=settings, db=db, submitted_by="dok")
    with db.session() as s:
        for key in ("softcopy", "exempt_softcopy", "photo"):
            lived.documents[key] = s.query(Document).filter_by(register_id=e[key]).one().id
        first_batch = s.get(Document, lived.documents["accepted_v1"]).batch_id
    made = berita_acara.make(settings, db, berita_acara.Scope(batch_id=first_batch), by="ppid")
    berita_acara.signed_copy_entry(settings, db, berita_acara.record_id(db, made["number"]))  # paper not yet back
    access_copy.make(settings, db, lived.documents["accepted_v1"], base_url="http://localhost/", by="ppid")


def _hand_over(settings, db, entry_id: str, path: Path, *, file: bool) -> None:
    """A softcopy handed over at the kiosk: filed by the job, or left as a filing whose worker died."""
    import os
    import socket

    from scan_station.filing.uploads import Upload, UploadStatus, file_upload

    upload = Upload.create(settings, entry_id=entry_id, user="dok")
    shutil.copyfile(path, upload.files_dir(1) / path.name)
    upload.accept(settings)
    if file:
        assert file_upload(settings, db, upload.id).status == UploadStatus.FILED
        return
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    upload.update(status=UploadStatus.FILING, owner={"host": socket.gethostname(), "pid": dead})


def _in_review(settings, db, lived: LivedIn) -> None:
    """A batch waiting in review: an exempt document and a public one, corrected the ways an officer
    does (a boundary moved, a page removed and restored, rescans of an exempt and a public page)."""
    e = lived.entries
    folder = _scan(settings, db, [e["exempt"], e["unfiled"]], pages=2, extra=[])  # 1 cover X, 2-3 X, 4 cover U, 5-6 U
    plan, _pages = review.load(settings, db, folder)
    review.move(plan, 3, "next")  # an exempt page moved into the public document
    review.remove(plan, 2)
    review.restore(plan, 2)  # back as held pages
    review.rescan(plan, 5)
    review.save(folder, plan)
    fill_demo_feeder(settings, db, [], extra=[batches.content("Halaman dipindai ulang")])
    scan_pages(settings, folder)  # page 7 replaces page 5
    plan, _pages = review.load(settings, db, folder)
    review.rescan(plan, 3)
    review.save(folder, plan)
    fill_demo_feeder(settings, db, [], extra=[batches.content("Nota dinas", paragraphs=[SECRET_TEXT])])
    scan_pages(settings, folder)  # page 8 replaces the exempt page 3
    review.load(settings, db, folder)
    lived.batches["review"] = folder.id
    pages = folder.read_state().pages
    lived.exempt_pages[folder.id] = [n for n in range(1, pages + 1) if folder.physical_owner(n)[1] == e["exempt"]]
