"""Every screen as every role after a lived-in week (tests/helpers/lived_in.py: filed, returned, rescanned,
exempt, softcopies, copies), in a real browser against `scan-station serve`: at the kiosk's
1280×800, and the citizen's pages at a phone's 390×844 and 360 px. On each: no sideways
scrolling, every control at least 44 px high, no English sentence or raw code in the Indonesian
UI (issue 24). The screenshots are the staff guide's (docs/staff-guide/, `GUIDE`)."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from helpers.browser import ARTIFACTS, KIOSK, PHONE, REPO, SMALL_PHONE, chromium, english_lines, measure, served
from helpers.kiosk import PASSWORD, make_app, real_values, routes, urls_for

pytestmark = [pytest.mark.browser, pytest.mark.ocr, pytest.mark.scanner, pytest.mark.slow]
#: Not screens: files, streams, exports, switches.
NOT_SCREENS = re.compile(r"\.(pdf|png|jpg|csv|xlsx|json)$|/events$|^/lang/|^/static/|/salinan")
#: Screens the staff guide shows, by role: endpoint -> picture name.
GUIDE = {"dok": {"scan.index": "pindai", "register.index": "daftar", "register.show": "entri",
                 "review.show": "tinjau", "scan.live": "pindai-langsung", "softcopy.upload": "unggah-softcopy"},
         "ppid": {"handover.index": "serah-terima", "handover.show": "dokumen", "search.index": "cari"},
         "atasan": {"report.index": "laporan", "audit.index": "log-audit", "access.index": "permintaan-akses"}}
GUIDE_DIR = ARTIFACTS / "guide"


@pytest.fixture(scope="module")
def world(lived_in_template, tmp_path_factory):
    lived = lived_in_template.copy_to(tmp_path_factory.mktemp("walk") / "home")
    app = make_app(lived.home, users=False)
    values = real_values(app, lived) | {"sha256": real_values(app, lived)["sha256"][:2]}
    screens = []
    for rule in routes(app, method="GET", skip=("auth.login",)):
        if NOT_SCREENS.search(rule.rule):
            continue
        for url in urls_for(app, rule, values)[:3]:
            screens.append((rule.endpoint, url + ("?q=laporan" if rule.endpoint == "search.index" else "")))
    with served(lived.home) as url, chromium() as browser:
        yield {"url": url, "browser": browser, "screens": screens, "lived": lived}


def _log_in(page, url: str, username: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.big")
    page.wait_for_selector("header nav")


def _check(page, where: str, problems: list[str]) -> None:
    found = measure(page)
    if found["overflow"] > 1:
        problems.append(f"{where}: {found['overflow']} px wider than the screen")
    problems += [f"{where}: control under 44 px: {s}" for s in found["small"]]
    problems += [f"{where}: English: {line}" for line in english_lines(found["text"])]


@pytest.mark.parametrize("username", ["dok", "ppid", "atasan", "admin"])
def test_every_screen_fits_a_finger_and_speaks_indonesian(world, username):
    context = world["browser"].new_context(viewport=KIOSK, locale="id-ID")
    page = context.new_page()
    _log_in(page, world["url"], username)
    problems, opened, guide = [], 0, dict(GUIDE.get(username, {}))
    for endpoint, path in world["screens"]:
        response = page.goto(world["url"] + path)  # "load": its stylesheet applied
        if response is None or not response.headers.get("content-type", "").startswith("text/html"):
            continue
        opened += 1
        _check(page, f"{username} {path}", problems)
        if endpoint in guide and response.status == 200:
            GUIDE_DIR.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=GUIDE_DIR / f"{guide.pop(endpoint)}.png")
    context.close()
    assert opened > 25
    assert not problems, "\n".join(problems[:60])


@pytest.mark.parametrize("viewport", [PHONE, SMALL_PHONE], ids=["390px", "360px"])
def test_the_citizens_pages_fit_a_phone(world, viewport):
    context = world["browser"].new_context(viewport=viewport, locale="id-ID", is_mobile=True, has_touch=True)
    page = context.new_page()
    lived, problems = world["lived"], []
    paths = ["/verifikasi/", "/login", "/verifikasi/" + "0" * 64,
             *[p for e, p in world["screens"] if e == "verify.by_hash"]]
    for path in paths:
        page.goto(world["url"] + path)
        _check(page, path, problems)
    assert lived.home.exists()
    if viewport == PHONE:
        page.goto(world["url"] + paths[-1])
        GUIDE_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=GUIDE_DIR / "verifikasi-ponsel.png", full_page=True)
    context.close()
    assert not problems, "\n".join(problems)


def test_the_guide_shows_what_the_walk_saw(world):
    """Every picture the staff guide names is one the walk takes (run with
    SCAN_STATION_REFRESH_GUIDE=1 to copy the walk's pictures into docs/staff-guide/img/)."""
    pictures = REPO / "docs" / "staff-guide" / "img"
    guide = (REPO / "docs" / "staff-guide" / "README.md").read_text()
    named = set(re.findall(r"img/([a-z-]+)\.png", guide))
    wanted = {name for screens in GUIDE.values() for name in screens.values()} | {"verifikasi-ponsel"}
    assert named and named <= wanted, named - wanted
    for name in sorted(named):
        taken = GUIDE_DIR / f"{name}.png"
        if os.environ.get("SCAN_STATION_REFRESH_GUIDE") and taken.is_file():
            shutil.copyfile(taken, pictures / f"{name}.png")
        assert (pictures / f"{name}.png").is_file(), name


def test_a_photographed_pages_corners_are_dragged_by_finger(world):
    """On the handover screen of a photographed page, a corner dragged (a touch screen's pointer)
    moves its handle, the outline and the corner the form sends, in the photo's own pixels."""
    context = world["browser"].new_context(viewport=KIOSK, locale="id-ID", has_touch=True)
    page = context.new_page()
    _log_in(page, world["url"], "ppid")
    page.goto(f"{world['url']}/handover/{world['lived'].documents['photo']}")
    handle = page.locator('figure.photo-page circle.handle[data-corner="1"]')
    before = float(page.input_value('figure.photo-page input[name="x1"]')), \
        float(page.input_value('figure.photo-page input[name="y1"]'))
    outline = page.get_attribute("figure.photo-page polygon.outline", "points")
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y + 20, steps=5)
    page.mouse.up()
    after = float(page.input_value('figure.photo-page input[name="x1"]')), \
        float(page.input_value('figure.photo-page input[name="y1"]'))
    shown = page.locator("figure.photo-page svg.corners").bounding_box()
    scale = float(page.get_attribute("figure.photo-page svg.corners", "data-width")) / shown["width"]
    assert after[0] - before[0] == pytest.approx(30 * scale, rel=0.15)
    assert after[1] - before[1] == pytest.approx(20 * scale, rel=0.15)
    assert page.get_attribute("figure.photo-page polygon.outline", "points") != outline
    context.close()
