"""`scan-station` commands started as real processes without importing the service each time, as
multiprocessing's forkserver does: one launcher process imports the command line once, then forks
a child for each command. The child is a process of its own — it is killed by SIGKILL at a crash
point as a command started from the shell is, and its exit code, stdout and stderr come back the
same — but it starts in milliseconds, not the second an import of everything takes (the crash
tests start about 120 commands).

The child takes the environment it is given (`SCAN_STATION_KILL_AT` among it) and arms the crash
points again, since `core.crash_points` reads that variable when it is imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

_CHILD = """
import json, os, signal, sys, tempfile, time
import importlib
sys.argv = ["scan-station"]
from scan_station import cli
from scan_station.core import crash_points
import scipy.ndimage, scipy.fft  # what the commands import when they need it
import scan_station.system.jobs, scan_station.capture.review, scan_station.capture.scanning
import scan_station.archive.verify, scan_station.filing.softcopy, scan_station.system.doctor
for line in sys.stdin:
    job = json.loads(line)
    (o, out), (e, err) = tempfile.mkstemp(), tempfile.mkstemp()
    os.close(o)
    os.close(e)
    pid = os.fork()
    if pid == 0:
        nothing = os.open(os.devnull, os.O_RDONLY)
        os.dup2(nothing, 0)  # the launcher's own input is not the command's
        os.environ.clear()
        os.environ.update(job["env"])
        importlib.reload(crash_points)
        with open(out, "w") as o, open(err, "w") as e:
            os.dup2(o.fileno(), 1)
            os.dup2(e.fileno(), 2)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        try:
            code = cli.main(job["args"])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code or 0)
    deadline, status = time.monotonic() + job["timeout"], None
    while status is None:
        done, waited = os.waitpid(pid, os.WNOHANG)
        if done:
            status = waited
        elif time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
        else:
            time.sleep(0.01)
    with open(out) as o, open(err) as e:
        reply = {"code": os.waitstatus_to_exitcode(status), "stdout": o.read(), "stderr": e.read()}
    os.unlink(out)
    os.unlink(err)
    print(json.dumps(reply), flush=True)
"""


class Launcher:
    """One launcher process; `run` a command in a child forked from it."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, cwd=tempfile.gettempdir())

    def run(self, args: list[str], *, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"args": args, "env": env, "timeout": timeout}) + "\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline())
        return subprocess.CompletedProcess(["scan-station", *args], reply["code"], reply["stdout"], reply["stderr"])

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)
