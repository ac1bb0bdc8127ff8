"""Documentation stays true: every setting is in docs/configuration.md, every kiosk setting in
docs/kiosk.md, every command in docs/commands.md and each of its options in docs/, every test
marker in docs/development.md; the README keeps the two set-up commands; every link between the
documents leads somewhere."""

import re
from pathlib import Path

from conftest import REPO

from scan_station.cli import cli
from scan_station.core.config import SETTING_NAMES

DOCS = REPO / "docs"
README = (REPO / "README.md").read_text()
CONFIGURATION = (DOCS / "configuration.md").read_text()
COMMANDS = (DOCS / "commands.md").read_text()
ALL_DOCS = README + "\n".join(p.read_text() for p in sorted(DOCS.rglob("*.md")))


def test_every_setting_is_documented():
    missing = [name for name in SETTING_NAMES if f"| `{name}` |" not in CONFIGURATION]
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, prefix + (name,))
        else:
            yield " ".join(prefix + (name,)), command


def test_every_command_and_option_is_documented():
    missing = []
    cli.load_plugins()  # the kiosk's `serve` too
    for path, command in _commands(cli):
        if f"`{path}" not in COMMANDS:
            missing.append(path)
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt not in ALL_DOCS:
                    missing.append(f"{path} {opt}")
    for param in cli.params:
        for opt in param.opts:
            if opt.startswith("--") and opt not in ALL_DOCS:
                missing.append(opt)
    assert not missing, f"missing from docs/commands.md (commands) or docs/ (options): {missing}"


def test_the_two_setup_commands_are_there_and_ci_runs_the_second():
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert "bash scripts/setup.sh && .venv/bin/scan-station serve --demo" in blocks
    assert "bash scripts/test.sh" in blocks
    assert "scripts/test.sh" in (REPO / ".ci" / "run").read_text()


def test_the_readme_is_for_the_first_hour():
    """What it is, the two commands, the first filing, where to read next: the rest is in docs/."""
    assert len(README.splitlines()) < 150
    assert "## Where to read next" in README


def test_every_marker_is_declared_with_a_description():
    import tomllib

    development = (DOCS / "development.md").read_text()
    markers = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["markers"]
    for marker in markers:
        name, _, description = marker.partition(":")
        assert description.strip(), name
        assert f"`{name}`" in development, name


def test_every_web_setting_is_documented(tmp_path):
    from web import DEFAULTS, create_app

    kiosk = (DOCS / "kiosk.md").read_text()
    defaults = create_app({"SCAN_STATION_HOME": str(tmp_path), "SECRET_KEY": "x"}).config
    ours = ["SECRET_KEY", *DEFAULTS]
    assert all(name in defaults for name in ours)
    missing = [name for name in ours if f"| `{name}` |" not in kiosk]
    assert not missing, f"web settings missing from docs/kiosk.md: {missing}"


def _anchors(text: str) -> set[str]:
    """GitHub's anchors for a document's headings."""
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


def test_every_link_between_the_documents_leads_somewhere():
    broken = []
    for doc in [REPO / "README.md", *sorted(DOCS.rglob("*.md")), REPO / "bench" / "README.md"]:
        text = doc.read_text()
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # another site
            path, _, anchor = target.partition("#")
            found = (doc.parent / path).resolve() if path else doc
            if not found.exists():
                broken.append(f"{doc.relative_to(REPO)}: {target}")
            elif anchor and found.is_file() and anchor not in _anchors(found.read_text()):
                broken.append(f"{doc.relative_to(REPO)}: {target} (no such heading)")
    assert not broken, broken


def test_the_documents_are_where_the_readme_says():
    for link in re.findall(r"\]\((docs/[^)#]+)", README):
        assert (REPO / link).exists(), link
    assert Path(REPO / "docs" / "staff-guide" / "README.md").is_file()


def _package_paragraphs(text: str) -> dict[str, str]:
    """The code map's paragraph for each package of the service: "  - `core/`, ..." to the next one."""
    found = re.split(r"^  - `(\w+)/`", text, flags=re.MULTILINE)
    return {name: body.split("\n- ")[0] for name, body in zip(found[1::2], found[2::2], strict=True)}


def test_every_module_is_in_the_code_map():
    """The code map in docs/development.md names every package of the service, every module in its
    package's paragraph, and every module of the kiosk."""
    development = (DOCS / "development.md").read_text()
    paragraphs = _package_paragraphs(development)
    missing = []
    for path in sorted((REPO / "scan_station").rglob("*.py")):
        if path.name == "__init__.py" or "migrations" in path.parts:
            continue
        folder = path.parent.relative_to(REPO / "scan_station").parts
        where = paragraphs.get(folder[0], "") if folder else development
        if f"`{path.name}`" not in where:
            missing.append(str(path.relative_to(REPO)))
    missing += [str(p.relative_to(REPO)) for p in sorted((REPO / "web").rglob("*.py"))
                if p.name != "__init__.py" and f"`{p.name}`" not in development and f"`{p.stem}`" not in development]
    assert not missing, f"modules missing from the code map in docs/development.md: {missing}"
