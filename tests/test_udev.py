"""udev rules and systemd units, checked as far as a machine without USB scanners allows:
syntax with our own reader and with udevadm itself, and the units with systemd-analyze."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

RULES = REPO / "udev" / "60-scan-station.rules"
UNITS = sorted((REPO / "udev").glob("*.service"))
TOKEN = re.compile(r'\s*([A-Z_]+)(\{[^}]*\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(,|$)')
MATCH_KEYS = {"ACTION", "SUBSYSTEM", "ENV", "ATTR", "ATTRS", "KERNEL", "DRIVERS", "TAG"}
ASSIGN_KEYS = {"GROUP", "MODE", "RUN", "ENV", "TAG", "GOTO", "LABEL", "OWNER"}


def rule_lines():
    for number, line in enumerate(RULES.read_text().splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, line


def test_every_rule_parses_into_known_keys_and_operators():
    labels, gotos = set(), set()
    for number, line in rule_lines():
        pos, tokens = 0, []
        while pos < len(line):
            match = TOKEN.match(line, pos)
            assert match, f"line {number}: cannot parse from {line[pos:]!r}"
            tokens.append(match.groups()[:4])
            pos = match.end()
        for key, _attr, op, value in tokens:
            if op in ("==", "!="):
                assert key in MATCH_KEYS, f"line {number}: {key} cannot be matched"
            else:
                assert key in ASSIGN_KEYS, f"line {number}: {key} cannot be assigned"
            if key == "LABEL":
                labels.add(value)
            if key == "GOTO":
                gotos.add(value)
    assert gotos <= labels, f"GOTO without LABEL: {gotos - labels}"


@pytest.fixture
def installed_rules():
    if os.geteuid() != 0 or not shutil.which("udevadm"):
        pytest.skip("needs root and udevadm")
    folder = Path("/run/udev/rules.d")
    folder.mkdir(parents=True, exist_ok=True)
    placed = []

    def install(text: str, name: str = RULES.name) -> None:
        (folder / name).write_text(text)
        placed.append(folder / name)

    yield install
    for path in placed:
        path.unlink(missing_ok=True)


def _udevadm_test() -> str:
    done = subprocess.run(["udevadm", "test", "--action=add", "/sys/class/net/lo"], capture_output=True, text=True)
    return done.stdout + done.stderr


@pytest.mark.needs_root
def test_udevadm_reads_the_rules_without_complaint(installed_rules):
    installed_rules(RULES.read_text())
    out = _udevadm_test()
    ours = [line for line in out.splitlines() if RULES.name in line]
    assert ours and all("Reading rules file" in line for line in ours), ours
    assert "scan-station-rediscover" not in out  # a network device is no scanner: nothing of ours runs


@pytest.mark.needs_root
def test_udevadm_would_complain_about_a_broken_rule(installed_rules):
    """The check above is worth something: the same udevadm flags a broken copy."""
    installed_rules(RULES.read_text().replace('GROUP="scanner"', 'GROUPS="scanner"'), "60-scan-station-broken.rules")
    complaints = [line for line in _udevadm_test().splitlines() if "60-scan-station-broken.rules" in line]
    assert any("Invalid key 'GROUPS'" in line for line in complaints), complaints


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_systemd_units_verify(unit, tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    text = unit.read_text()
    assert "User=scan-station" in text and "SupplementaryGroups=scanner" in text
    # verify against this checkout's own executable, which exists here
    local = tmp_path / unit.name
    local.write_text(
        text.replace("/opt/scan-station/.venv/bin/scan-station", str(Path(sys.prefix) / "bin" / "scan-station"))
    )
    done = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
