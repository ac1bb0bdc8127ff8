"""Waiting for something another thread or process does: one `wait_until` for every test."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_until(condition: Callable[[], T], seconds: float, what: str = "", *, every: float = 0.1) -> T:
    """`condition()` as soon as it is truthy, checked every `every` seconds; the test fails when it
    is not within `seconds` (saying `what` did not happen), or, without `what`, the last value is
    given back for the test to assert on."""
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        if time.monotonic() > deadline:
            if what:
                pytest.fail(f"{what} did not happen within {seconds} s")
            return value
        time.sleep(every)
    return value
