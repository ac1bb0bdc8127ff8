"""OCR on OCRmyPDF's scanned pages, filed behind our cover sheets: the indexed text holds the
phrases the manifest names, whatever the page's orientation or skew."""

from __future__ import annotations

import json

import pytest
from helpers import batches
from PIL import Image, ImageChops

pytestmark = [pytest.mark.ocr, pytest.mark.slow, pytest.mark.corpus]

SAMPLES = {  # key -> corpus PDF whose every page goes behind one cover sheet
    "cardinal": "ocrmypdf/cardinal.pdf",  # four pages: 0, 90, 180, 270 degrees
    "skew": "ocrmypdf/skew.pdf",  # skewed: pdftotext scrambles it, the OCR engine's text does not
    "c02": "ocrmypdf/c02-22.pdf",
    "epson": "ocrmypdf/epson.pdf",
}


def register(run, key):
    result = run(
        "register", "add", "--title", f"Contoh {key}", "--unit", "Subbagian Umum", "--category", "berkala", "--json"
    )
    return result.json["id"]


@pytest.fixture(scope="module")
def filed(tmp_path_factory, corpus, manifest):
    import contextlib
    import io

    from scan_station.cli import main

    home = tmp_path_factory.mktemp("ocrhome")
    # These pages are English (the manifest says so, and its phrases were found with -l eng);
    # an office with English documents sets the language in its config file the same way.
    (home / "scan-station.toml").write_text('ocr_languages = "eng"\n')

    def run(*args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--home", str(home), *map(str, args)])
        assert code == 0, err.getvalue()
        return type("R", (), {"json": json.loads(out.getvalue())})

    ids = {key: register(run, key) for key in SAMPLES}
    parts = []
    for key, rel in SAMPLES.items():
        parts.append(batches.cover(ids[key]))
        parts += [(corpus / rel, n) for n in range(1, manifest[rel]["pages"] + 1)]
    batch = batches.mix_pdf(parts, tmp_path_factory.mktemp("in") / "corpus-batch.pdf")
    result = run("ingest", batch, "--json").json
    texts = {}
    for d in result["documents"]:
        sidecar = json.loads((home / d["path"]).with_suffix(".json").read_text())
        key = next(k for k, v in ids.items() if v == d["register_id"])
        texts[key] = [p["text"] for p in sidecar["pages"]]
    return {"home": home, "ids": ids, "result": result, "texts": texts, "run": run}


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("key", SAMPLES)
def test_must_contain_phrases(filed, manifest, key):
    expected = manifest[SAMPLES[key]]["expected"]["must_contain"]
    texts = filed["texts"][key]
    for page_text in texts if key == "cardinal" else ["\n".join(texts)]:
        for phrase in expected:
            assert phrase in _squash(page_text), (key, phrase)


def ink(image):
    return image.point(lambda v: 255 if v < 128 else 0).convert("1")


def test_every_cardinal_page_is_upright(filed, manifest):
    """Each page was read (above); and the filed page shows upright, like page 1."""
    home, result = filed["home"], filed["result"]
    path = home / next(d["path"] for d in result["documents"] if d["register_id"] == filed["ids"]["cardinal"])
    first = batches.render(path, 1, dpi=40)
    for n in range(2, 5):
        page = batches.render(path, n, dpi=40).resize(first.size)
        differ = ImageChops.logical_xor(ink(first), ink(page)).histogram()[255]
        assert differ / (first.width * first.height) < 0.1, n


def test_skewed_page_is_searchable_by_its_phrases(filed):
    hits = filed["run"]("search", "Composition Without Compromise", "--json").json["hits"]
    assert filed["ids"]["skew"] in {h["register_id"] for h in hits}


def test_folder_of_images_without_dpi_and_with_palette(tmp_path, corpus, run):
    entry_id = register(run, "folder")
    folder = tmp_path / "scan"
    folder.mkdir()
    batches.cover(entry_id).save(folder / "page-1.png", dpi=(300, 300))
    Image.open(corpus / "ocrmypdf" / "linn.png").save(folder / "page-2.png")  # palette, no dpi
    result = run("ingest", folder, "--json").json
    (doc,) = result["documents"]
    assert doc["register_id"] == entry_id and doc["batch_pages"] == [2]
    hits = run("search", "LinnSequencer", "--json").json["hits"]
    assert hits and hits[0]["register_id"] == entry_id


def test_multi_page_tiff(tmp_path, run):
    entry_id = register(run, "tiff")
    frames = [
        batches.cover(entry_id),
        batches.content("Berkas TIFF", paragraphs=["Pemutakhiran data pemilih berkelanjutan."]),
    ]
    tiff = tmp_path / "scan.tiff"
    frames[0].save(tiff, save_all=True, append_images=frames[1:], dpi=(300, 300), compression="tiff_lzw")
    result = run("ingest", tiff, "--json").json
    assert [d["batch_pages"] for d in result["documents"]] == [[2]]
    assert run("search", "pemutakhiran", "--json").json["hits"][0]["register_id"] == entry_id
