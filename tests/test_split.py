"""The splitting rules, on classified pages (no images needed)."""

from scan_station.core.model import BLANK, CONTENT, COVER, PageClass
from scan_station.pages.split import split


def pages(*spec):
    out = []
    for n, item in enumerate(spec, start=1):
        if item == "-":
            out.append(PageClass(n, CONTENT))
        elif item == "_":
            out.append(PageClass(n, BLANK))
        elif item == "?":
            out.append(PageClass(n, COVER, problem="cover sheet barcode misread"))
        else:
            out.append(PageClass(n, COVER, register_id=item))
    return out


def test_clean_batch():
    result = split(pages("A", "-", "-", "B", "-"), {"A", "B"})
    assert [(d.register_id, d.batch_pages) for d in result.documents] == [("A", [2, 3]), ("B", [5])]
    assert result.held == [] and result.blank_pages == []


def test_blank_pages_are_dropped_and_listed():
    result = split(pages("A", "-", "_", "-", "_"), {"A"})
    assert result.documents[0].batch_pages == [2, 4]
    assert result.blank_pages == [3, 5]


def test_pages_before_the_first_cover_are_held():
    result = split(pages("-", "-", "A", "-"), {"A"})
    assert [(h.batch_pages, h.reason) for h in result.held] == [([1, 2], "pages before the first cover sheet")]
    assert result.documents[0].batch_pages == [4]


def test_unknown_and_misread_covers_hold_their_pages():
    result = split(pages("A", "-", "X", "-", "?", "-", "-"), {"A"})
    assert [d.register_id for d in result.documents] == ["A"]
    assert [h.batch_pages for h in result.held] == [[4], [6, 7]]
    assert "X is not in the register" in result.held[0].reason
    assert "misread" in result.held[1].reason


def test_an_id_twice_in_one_batch_holds_both_never_merges():
    result = split(pages("A", "-", "B", "-", "A", "-"), {"A", "B"})
    assert [d.register_id for d in result.documents] == ["B"]
    assert [h.batch_pages for h in result.held] == [[2], [6]]
    assert all("2 cover sheets" in h.reason for h in result.held)


def test_a_cover_with_no_pages_is_reported():
    result = split(pages("A", "B", "-"), {"A", "B"})
    assert [d.register_id for d in result.documents] == ["B"]
    assert result.held[0].batch_pages == [] and result.held[0].cover_page == 1


def test_a_turned_cover_turns_its_document():
    covers = [PageClass(1, COVER, register_id="A", orientation="DOWN"), PageClass(2, CONTENT),
              PageClass(3, COVER, register_id="B", orientation="LEFT"), PageClass(4, CONTENT),
              PageClass(5, COVER, register_id="C", orientation="UP"), PageClass(6, CONTENT)]
    result = split(covers, {"A", "B", "C"})
    assert [d.rotate for d in result.documents] == [180, 90, 0]
