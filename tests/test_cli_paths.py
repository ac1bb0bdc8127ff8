"""Paths the system cannot use, given to every command that takes one (issue 23, item 9): a link
that points at itself, a name longer than a file system allows, a path deeper than one allows, a
file where a folder should be, a named pipe, a device. Each gets a documented exit code and one
line that names the path — never exit 15 ("unexpected"), never a hang. And `serve` on an address
it cannot listen on says why."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from scan_station.core.errors import ExitCode

FINE = {ExitCode.bad_args, ExitCode.input_file, ExitCode.not_found, ExitCode.storage, ExitCode.config}


@pytest.fixture
def hostile(tmp_path) -> dict[str, str]:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "file").write_text("not a folder")
    return {
        "self loop": str(tmp_path / "loop"),
        "two links round": str(tmp_path / "a" / "x.pdf"),
        "long name": str(tmp_path / ("a" * 300 + ".pdf")),
        "deep path": str(tmp_path / "/".join(["d" * 200] * 25) / "x.pdf"),
        "under a file": str(tmp_path / "file" / "x.pdf"),
        "named pipe": str(tmp_path / "fifo"),
        "device": "/dev/zero",
    }


COMMANDS = [["ingest"], ["submit", "--entry", "{entry}"], ["register", "import"], ["import-bag"], ["restore"],
            ["backup"], ["export", "--entry", "{entry}"], ["coversheet", "{entry}", "--output"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_every_path_the_system_cannot_use_is_a_clear_refusal(run, hostile, command):
    entry = run("register", "add", "--title", "Laporan", "--unit", "Umum", "--category", "berkala",
                "--json").json["id"]
    for kind, path in hostile.items():
        args = [a.format(entry=entry) for a in command] + [path]
        result = run(*args)
        assert result.code in FINE, (kind, args, result.code, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert "unexpected" not in result.stderr and "Traceback" not in result.stderr, (kind, result.stderr)
        assert lines[-1].startswith(("scan-station: error:", "Error:")), (kind, result.stderr)


@pytest.mark.parametrize("kind", ["self loop", "long name", "named pipe", "device", "under a file"])
def test_a_home_the_system_cannot_use_is_exit_9(hostile, kind):
    from scan_station.cli import main

    path = hostile[kind].removesuffix("/x.pdf").removesuffix(".pdf") if kind != "long name" else hostile[kind]
    assert main(["--home", path, "doctor"]) == ExitCode.config


def _serve(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scan_station", "--home", str(tmp_path / "home"), "serve",
                           "--no-worker", *args], capture_output=True, text=True, timeout=120)


def test_serve_on_a_port_in_use_or_an_address_not_ours_says_so(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = _serve(tmp_path, "--port", str(taken.getsockname()[1]))
    assert busy.returncode == ExitCode.bad_args and "is in use by another program" in busy.stderr
    for host, said in (("203.0.113.9", "is not an address of this machine"),
                       ("no such host..", "not an address or a name of this machine")):
        refused = _serve(tmp_path, "--host", host, "--port", "8123")
        assert refused.returncode == ExitCode.bad_args and said in refused.stderr, refused.stderr
        assert "unexpected" not in refused.stderr


def test_the_server_refuses_a_body_larger_than_any_page_takes_before_reading_it(tmp_path):
    """Waitress reads a request's body whole before the kiosk sees it: it is told the largest any
    page takes (a softcopy hand-over), and refuses a larger one from its Content-Length alone,
    with nothing sent after the headers — no logged-in user, no disk filled."""
    import json
    import time

    home = tmp_path / "home"
    home.mkdir()
    (home / "scan-station.toml").write_text("softcopy_max_mb = 1\nverify_upload_max_mb = 1\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "scan_station", "--home", str(home), "serve", "--no-worker",
                               "--port", str(port), "--json"], stdout=subprocess.PIPE, text=True)
    try:
        json.loads(server.stdout.readline())
        for path in ("/verifikasi/", "/login", "/register/new"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
                started = time.monotonic()
                client.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
                               f"boundary=x\r\nContent-Length: {300 * 1024 * 1024}\r\n\r\n".encode())
                answer = client.recv(200).decode("latin-1")
            assert answer.startswith("HTTP/1.1 413"), (path, answer)
            assert time.monotonic() - started < 5
    finally:
        server.terminate()
        server.wait(timeout=30)
