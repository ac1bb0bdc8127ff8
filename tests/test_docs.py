"""Documentation stays true: every setting, command and option is in README.md."""

import re

from conftest import REPO

from scan_station.cli import cli
from scan_station.config import SETTING_NAMES

README = (REPO / "README.md").read_text()


def test_every_setting_is_documented():
    missing = [name for name in SETTING_NAMES if f"`{name}`" not in README]
    assert not missing, f"settings missing from README.md: {missing}"


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
        if f"`{path}" not in README:
            missing.append(path)
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt not in README:
                    missing.append(f"{path} {opt}")
    for param in cli.params:
        for opt in param.opts:
            if opt.startswith("--") and opt not in README:
                missing.append(opt)
    assert not missing, f"missing from README.md: {missing}"


def test_the_two_setup_commands_are_there_and_ci_runs_the_second():
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert "bash scripts/setup.sh && .venv/bin/scan-station serve --demo" in blocks
    assert "bash scripts/test.sh" in blocks
    assert "scripts/test.sh" in (REPO / ".ci" / "run").read_text()


def test_every_marker_is_declared_with_a_description():
    import tomllib

    markers = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["markers"]
    for marker in markers:
        name, _, description = marker.partition(":")
        assert description.strip(), name
        assert f"`{name}`" in README, name


def test_every_web_setting_is_documented(tmp_path):
    from web import DEFAULTS, create_app

    defaults = create_app({"SCAN_STATION_HOME": str(tmp_path), "SECRET_KEY": "x"}).config
    ours = ["SECRET_KEY", *DEFAULTS]
    assert all(name in defaults for name in ours)
    missing = [name for name in ours if f"| `{name}` |" not in README]
    assert not missing, f"web settings missing from README.md: {missing}"
