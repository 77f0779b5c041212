"""The web app in a real browser (Playwright driving Debian's Chromium) against a devnet run the way a user runs
it (`stakework devnet`, a subprocess): every page loads without console errors, the overview's finalized epoch is
the API's and advances live over the event stream, the zh-TW page draws Chinese glyphs (not boxes), and a
keyboard-only pass runs the risk analyzer and gets the CLI's numbers for the same seed.

Skipped, with the command to run, when Chromium or Playwright is missing (`.ci/run` installs both)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import launched, playwright_or_skip
from typer.testing import CliRunner

from stakework.cli.main import app as cli_app
from stakework.crypto.ed25519 import devnet_account_key
from support.module_cli import devnet_process

PAGES = [
    "/",
    "/blocks",
    "/validators",
    "/validators/0",
    "/accounts",
    "/modules",
    "/actions",
    "/risk",
    "/risk/explain",
    "/docs",
    "/?lang=zh-TW",
]
WAIT_MS = 60_000
"""Upper bound of a wait for the page (a safety net: each wait ends as soon as its condition holds)."""

sync_api = playwright_or_skip(" (and fonts-noto-cjk for zh-TW)")

pytestmark = pytest.mark.xdist_group("web_browser")


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("devnet")
    with devnet_process(data) as url:
        yield url, data


@pytest.fixture(scope="module")
def node_url(devnet: tuple[str, Path]) -> str:
    return devnet[0]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched(sync_api) as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(WAIT_MS)
    yield pg
    context.close()


def _watch_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return errors


@pytest.mark.parametrize("path", PAGES)
def test_browser__every_page__loads_without_console_errors(page: Any, node_url: str, path: str) -> None:
    errors = _watch_errors(page)
    response = page.goto(node_url + path, wait_until="load")
    assert response is not None and response.status == 200
    if path == "/docs":
        page.wait_for_selector(".swagger-ui .info")  # the vendored Swagger UI ran and read /openapi.json
    page.wait_for_load_state("networkidle") if path != "/" and not path.startswith("/?") else None
    assert errors == [], errors


def _shown(page: Any, name: str) -> int:
    return int(page.locator(f'[data-live="{name}"]').inner_text().replace(",", ""))


def test_browser__overview__finalized_epoch_is_the_apis_and_advances_live(page: Any, node_url: str) -> None:
    errors = _watch_errors(page)
    page.goto(node_url + "/")
    page.wait_for_selector(".live-status.on")  # the event stream is open
    first = _shown(page, "finalized-epoch")
    # The page's figure equals the API's (read at the same moment in the page; finality may move in between, so
    # compare once both are read and equal, waiting for the next event if they are not).
    page.wait_for_function(
        """async () => {
            const r = await fetch('/eth/v1/beacon/states/head/finality_checkpoints');
            const api = Number((await r.json()).data.finalized.epoch);
            const shown = Number(document.querySelector('[data-live="finalized-epoch"]').textContent.replace(/,/g, ''));
            return api === shown;
        }""",
        polling=500,
    )
    # Live: it advances without a reload.
    shown = """Number(document.querySelector('[data-live="finalized-epoch"]').textContent.replace(/,/g, ''))"""
    page.wait_for_function(f"() => {shown} > {first}")
    assert _shown(page, "finalized-epoch") > first
    # The timeline follows: its newest epoch is the head's epoch, without a reload.
    page.wait_for_function(
        """() => document.querySelector('ol.timeline .epoch').textContent.replace(/[^0-9]/g, '')
                 === document.querySelector('[data-live="head-epoch"]').textContent.replace(/[^0-9]/g, '')"""
    )
    slot_time = page.locator('[data-live="slot-time"]').inner_text()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", slot_time), slot_time
    assert errors == [], errors


def test_browser__zh_tw__chinese_glyphs_not_boxes(page: Any, node_url: str) -> None:
    page.goto(node_url + "/?lang=zh-TW")
    assert page.locator("html").get_attribute("lang") == "zh-TW"
    title = page.locator("h1").inner_text()
    assert re.search(r"[\u4e00-\u9fff]", title), title
    # A character no font has is drawn as a box (tofu); a Chinese character with a CJK font is drawn otherwise.
    same_as_box = page.evaluate(
        """() => {
            const font = getComputedStyle(document.querySelector('h1')).fontFamily;
            const draw = (ch) => {
                const c = document.createElement('canvas'); c.width = 40; c.height = 40;
                const g = c.getContext('2d'); g.font = '32px ' + font; g.fillText(ch, 2, 32);
                return Array.from(g.getImageData(0, 0, 40, 40).data).join(',');
            };
            const box = draw('\\u{10FFFD}');
            return ['驗', '證', '質', '押'].map((ch) => draw(ch) === box);
        }"""
    )
    assert same_as_box == [False, False, False, False], "Chinese drawn as boxes: install fonts-noto-cjk"


def test_browser__keyboard_only__risk_run_gives_the_clis_numbers(page: Any, node_url: str) -> None:
    errors = _watch_errors(page)
    page.goto(node_url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"  # the first stop: skip to content
    # Through the navigation to the risk analyzer, by Tab and Enter only.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "/risk":
            break
    else:
        pytest.fail("the risk analyzer's link is not reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/risk")
    # The form, field by field.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "f-amount":
            break
    page.keyboard.press("Control+A")
    page.keyboard.type("32")
    page.keyboard.press("Tab")  # route
    page.keyboard.press("Tab")  # days
    page.keyboard.press("Tab")  # paths
    assert page.evaluate("document.activeElement.id") == "f-paths"
    page.keyboard.press("Control+A")
    page.keyboard.type("400")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results")
    cells = page.locator("[data-metric]").evaluate_all(
        "els => els.map(e => [e.dataset.route, e.dataset.metric, Number(e.dataset.value)])"
    )
    out = CliRunner().invoke(
        cli_app, ["risk", "compare", "--coin", "ETH", "--amount", "32", "--paths", "400", "--seed", "5", "--json"]
    )
    assert out.exit_code == 0, out.output
    cli = {row["route"]: row for row in json.loads(out.output)["routes"]}
    assert {route for route, _, _ in cells} == set(cli)
    for route, metric, value in cells:
        name, _, q = metric.partition(".")
        expected = cli[route][name] if not q else list(cli[route][name].values())[int(q)]
        assert value == pytest.approx(expected, rel=1e-12, abs=1e-12), (route, metric)
    assert errors == [], errors


def test_browser__liquid_stake_signed_in_the_page__position_appears(page: Any, devnet: tuple[str, Path]) -> None:
    url, data = devnet
    key = devnet_account_key(0)
    errors = _watch_errors(page)
    page.goto(url + "/actions")
    page.fill("#seed", "0x" + key.seed.hex())
    page.fill("#token", (data / "api-token").read_text().strip())
    page.click("#load-key")
    page.wait_for_selector("#key-status[data-address]")
    address = page.locator("#key-status").get_attribute("data-address")
    assert address == "0x" + key.address.hex()
    assert page.locator("#seed").input_value() == ""  # the seed is not left in the box
    form = page.locator('form[data-tag="liquid.stake"]')
    form.locator('input[name="amount"]').fill("2.5")
    form.locator("button").click()
    page.wait_for_selector('form[data-tag="liquid.stake"] .result[data-hash]')
    tx_hash = form.locator(".result").get_attribute("data-hash")
    page.wait_for_function(
        f"""async () => {{
            const r = await fetch('/v1/transactions/{tx_hash}');
            const s = (await r.json()).data.status;
            return s === 'included' || s === 'finalized';
        }}""",
        polling=300,
    )
    fetch_balance = f"async () => (await (await fetch('/v1/liquid/accounts/{address}')).json()).data.balance"
    for _ in range(5):  # a rebase between the page and the API's answer changes the balance: read both again
        page.goto(f"{url}/accounts/{address}")
        positions = page.locator("dl.positions").inner_text()
        held = int(page.evaluate(fetch_balance))
        if f"{held // 10**9:,}.{held % 10**9:09d} stSWK" in positions:
            break
    assert 2 * 10**9 < held <= 25 * 10**8  # 2.5 SWK staked: at most 2.5 stSWK (rounded down)
    assert f"{held // 10**9:,}.{held % 10**9:09d} stSWK" in positions, positions
    assert errors == [], errors


@pytest.mark.skipif(not os.environ.get("STAKEWORK_WEB_SCREENSHOTS"), reason="set STAKEWORK_WEB_SCREENSHOTS=DIR")
def test_browser__screenshots__main_pages_in_both_languages(browser: Any, node_url: str) -> None:
    """Not a check: writes the screenshots docs/web.md shows (STAKEWORK_WEB_SCREENSHOTS=docs/web)."""
    out = Path(os.environ["STAKEWORK_WEB_SCREENSHOTS"])
    out.mkdir(parents=True, exist_ok=True)
    shots = {
        "overview": "/",
        "validators": "/validators?per=10",
        "liquid": "/modules/liquid",
        "actions": "/actions",
        "risk": "/risk?coin=ETH&amount=32&route=compare&paths=2000&seed=1",
    }
    for lang in ("en", "zh-TW"):
        context = browser.new_context(viewport={"width": 1100, "height": 800})
        pg = context.new_page()
        for name, path in shots.items():
            sep = "&" if "?" in path else "?"
            pg.goto(f"{node_url}{path}{sep}lang={lang}")
            if name == "overview":  # a chain a few epochs in: finality shown, then the timeline rendered anew
                pg.wait_for_function(
                    """() => Number(document.querySelector('[data-live="finalized-epoch"]').textContent) >= 4"""
                )
                pg.reload()
                pg.wait_for_selector(".live-status.on")
            pg.screenshot(path=str(out / f"{name}.{lang}.png"), full_page=name != "risk")
        context.close()
