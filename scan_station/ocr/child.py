"""How an OCR child process starts (the initializer of `ocr_pool.OcrPool`): light, so that a child
imports only what its work needs (a page child never loads ocrmypdf).

The parent reports errors, so the children keep stderr clean — the engine's libraries write
their own complaints there (leptonica: "Error in boxClipToRectangle" on a noisy sparse page),
so a child's stderr is /dev/null; they die with the parent (a kill,
the OOM killer: no child goes on working for nobody, holding the parent's output open); and they
run at a lower priority than the kiosk and the scanner, so that scanning and the screens stay
quick while pages are read.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal

PR_SET_PDEATHSIG = 1  # prctl(2)
#: OCR children are this much nicer than the kiosk and the scanner (see os.nice).
NICENESS = 10


def start() -> None:
    _die_with_parent()
    _quiet_stderr()
    for name in ("ocrmypdf", "pikepdf", "PIL", "pypdfium2", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    os.nice(NICENESS)


def _quiet_stderr() -> None:
    """Messages C libraries write straight to file descriptor 2 go nowhere: what went wrong comes
    back to the parent as an exception, and is said there in words a person can act on."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def _die_with_parent() -> None:
    """On Linux, the kernel kills this child when the process that started it dies."""
    parent = multiprocessing.parent_process()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own checks end the child later
        return
    if parent is not None and os.getppid() != parent.pid:  # the parent died before the wish was made
        os._exit(1)
