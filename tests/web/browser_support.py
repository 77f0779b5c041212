"""What the browser tests share: Debian's Chromium driven by Playwright, and the module-level skip (with the
command to run) when either is missing (`.ci/run` installs both)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def playwright_or_skip(extra_packages: str = "") -> Any:
    """`playwright.sync_api`, or skip the calling test module, naming what to install."""
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium`{extra_packages} to run the "
            "browser tests",
            allow_module_level=True,
        )
    return pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright for Python is missing: pip install -e '.[dev]' (or pip install playwright)",
    )


@contextmanager
def launched(sync_api: Any) -> Iterator[Any]:
    """A Chromium browser for the duration of the block."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
