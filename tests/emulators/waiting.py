"""Waiting without sleeping blindly: poll a condition every 10 ms, fail the test after a timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 5.0) -> T:
    """Poll ``predicate`` until truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout}s: {predicate!r}")
        time.sleep(0.01)  # the poll interval, not a wait for something


async def wait_for(predicate: Callable[[], T], timeout: float = 5.0) -> T:
    """Async twin of ``wait_until``: yields to the event loop while polling."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout}s: {predicate!r}")
        await asyncio.sleep(0.01)  # the poll interval; yields to the loop so the awaited work can run
