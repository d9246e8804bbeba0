"""Playwright drives Debian's Chromium (no browser download); see DESIGN.md §6."""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # The QA journey plays audio: playback must not hang on the autoplay policy's timing under load.
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session", autouse=True)
def allow_orm_beside_playwright():
    # The sync Playwright API keeps an event loop in the main thread from its first use to the end
    # of the session, database teardown included; our ORM calls there are plain sync calls.
    # Browser tests run last (tests/conftest.py), so no other test runs with this set.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
