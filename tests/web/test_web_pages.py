"""The web app's pages on an in-process devnet (no browser): every page answers with the security headers, in
English and in Traditional Chinese, from the node's own data; the validators list pages on the server; input is
escaped; the risk page gives the CLI's numbers for the same seed; module pages are found from the module's name."""

from __future__ import annotations

import html
import json
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from web_support import WebNode

from stakework.cli.main import app as cli_app
from stakework.web.app import create_web_app
from stakework.web.i18n import Messages, available_languages
from stakework.web.pages.modules import find_page

PAGES = ["/", "/blocks", "/validators", "/validators/0", "/accounts", "/modules", "/actions", "/risk", "/risk/explain"]


@pytest.mark.parametrize("path", PAGES)
def test_page__node_running__answers_html_with_csp_without_inline_script(web: WebNode, path: str) -> None:
    r = web.http.get(path)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text and "<script " not in r.text.replace('<script src="/static/', "")
    assert "http://" not in r.text and "https://" not in r.text  # nothing loaded from elsewhere


def test_docs__api_docs__load_swagger_ui_from_the_node_not_a_cdn(web: WebNode) -> None:
    r = web.http.get("/docs")
    assert r.status_code == 200
    assert "cdn" not in r.text.lower() and "https://" not in r.text
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text):
        assert web.http.get(src).status_code == 200, src
    assert web.http.get("/openapi.json").status_code == 200


def test_overview__finality__shows_the_checkpoints_the_api_gives(web: WebNode) -> None:
    text = web.http.get("/").text
    api = web.http.get("/eth/v1/beacon/states/head/finality_checkpoints").json()["data"]
    finalized = re.search(r'data-live="finalized-epoch">([0-9,]+)<', text)
    justified = re.search(r'data-live="justified-epoch">([0-9,]+)<', text)
    assert finalized and justified
    assert int(finalized.group(1).replace(",", "")) == int(api["finalized"]["epoch"]) > 0
    assert int(justified.group(1).replace(",", "")) == int(api["current_justified"]["epoch"])
    head = web.http.get("/eth/v1/beacon/headers/head").json()["data"]["header"]["message"]["slot"]
    assert f'data-live="head-slot">{int(head):,}<' in text


def test_lang__zh_tw_query__chinese_page_and_choice_remembered(web: WebNode) -> None:
    client = TestClient(web.http.app)
    r = client.get("/?lang=zh-TW")
    assert '<html lang="zh-TW">' in r.text and "最終" in r.text and "驗證者" in r.text
    assert r.cookies.get("stakework_lang") == "zh-TW"
    again = client.get("/validators")  # no ?lang: the cookie decides
    assert '<html lang="zh-TW">' in again.text and "驗證者" in again.text
    assert '<html lang="en">' in client.get("/?lang=en").text
    web.view.seconds_per_slot = 1.0  # a clock within the calendar: the head slot's start is shown as a date
    try:
        zh_date = re.search(r'data-live="slot-time"[^>]*>([^<]+)<', client.get("/?lang=zh-TW").text)
        en_date = re.search(r'data-live="slot-time"[^>]*>([^<]+)<', client.get("/?lang=en").text)
    finally:
        web.view.seconds_per_slot = 1e9
    assert zh_date and re.fullmatch(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \(UTC\)", zh_date.group(1))
    assert en_date and re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", en_date.group(1))


def test_lang__unknown_language__400_naming_the_choices(web: WebNode) -> None:
    r = web.http.get("/?lang=klingon")
    assert r.status_code == 400 and "zh-TW" in r.text


def test_lang__accept_language_zh_hant__chinese_by_default(web: WebNode) -> None:
    client = TestClient(web.http.app)
    assert '<html lang="zh-TW">' in client.get("/", headers={"Accept-Language": "zh-Hant-TW,zh;q=0.9"}).text


def test_catalogs__every_language__has_every_english_key() -> None:
    english = Messages("en").keys()
    for lang in available_languages():
        missing = english - Messages(lang).keys()
        assert not missing, f"{lang} lacks {sorted(missing)}"


def test_validators__paging__one_page_of_rows_and_links_onward(web: WebNode) -> None:
    text = web.http.get("/validators?per=5&page=2").text
    rows = re.findall(r'<a href="/validators/(\d+)">', text)
    assert rows == ["5", "6", "7", "8", "9"]
    assert 'href="/validators?page=1&amp;per=5"' in text and 'href="/validators?page=3&amp;per=5"' in text


def test_validators__status_filter__only_that_status(web: WebNode) -> None:
    assert len(re.findall(r'<a href="/validators/\d+">', web.http.get("/validators?status=active").text)) == 16
    assert re.findall(r'<a href="/validators/\d+">', web.http.get("/validators?status=exited").text) == []
    assert web.http.get("/validators?status=bogus").status_code == 400


def test_validators__page_past_the_end__400_not_an_empty_page(web: WebNode) -> None:
    assert web.http.get("/validators?page=99").status_code == 400


def test_validators__search_by_pubkey__leads_to_the_validator(web: WebNode) -> None:
    pubkey = web.http.get("/eth/v1/beacon/states/head/validators/3").json()["data"]["validator"]["pubkey"]
    r = web.http.get(f"/validators?q={pubkey}", follow_redirects=True)
    assert r.status_code == 200 and "<h1>Validator 3</h1>" in r.text
    assert web.http.get("/validators/99").status_code == 404


def test_validator__history__balance_chart_with_the_api_reward_history(web: WebNode) -> None:
    text = web.http.get("/validators/2").text
    history = web.http.get("/v1/validators/2/rewards").json()["data"]
    assert '<svg class="chart"' in text
    last = history[-1]
    assert f"{int(last['balance']) // 10**9:,}.{int(last['balance']) % 10**9:09d} SWK" in text


def test_blocks__recent__newest_first_and_a_block_lists_its_transactions(web: WebNode) -> None:
    text = web.http.get("/blocks").text
    slots = [int(s.replace(",", "")) for s in re.findall(r'href="/blocks/0x[0-9a-f]{64}">([0-9,]+)<', text)]
    assert slots and slots == sorted(slots, reverse=True) and slots[0] == web.slot
    root = re.search(r'href="(/blocks/0x[0-9a-f]{64})"', text)
    assert root and web.http.get(root.group(1)).status_code == 200
    assert web.http.get(f"/blocks/{web.slot}").status_code == 200


def test_input__markup_in_a_path__escaped_not_rendered(web: WebNode) -> None:
    r = web.http.get("/validators/<img src=x onerror=alert(1)>")
    assert r.status_code == 400
    assert "<img src=x" not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text


def test_static__path_outside_the_folder__404(web: WebNode) -> None:
    assert web.http.get("/static/..%2Fapp.py").status_code == 404
    assert web.http.get("/static/.hidden").status_code == 404
    assert web.http.get("/static/app.css").headers["content-type"].startswith("text/css")


def test_account__funded_devnet_account__balance_as_the_api_gives(web: WebNode) -> None:
    listing = web.http.get("/accounts").text
    address = re.search(r'href="/accounts/(0x[0-9a-f]{40})"', listing)
    assert address
    text = web.http.get(f"/accounts/{address.group(1)}").text
    api = web.http.get(f"/v1/accounts/{address.group(1)}").json()["data"]
    assert f'data-balance="{api["balance"]}"' in text
    assert web.http.get("/accounts/0x12").status_code == 400


def test_modules__enabled_modules__each_has_its_page_by_convention(web: WebNode) -> None:
    enabled = web.view.chain.head_state.modules.enabled()
    listing = web.http.get("/modules").text
    for name in enabled:
        assert find_page(name) is not None
        assert f'href="/modules/{name}"' in listing
        assert web.http.get(f"/modules/{name}").status_code == 200
    assert web.http.get("/modules/nosuch").status_code == 404


def test_risk__same_seed__the_clis_numbers(web: WebNode) -> None:
    r = web.http.get("/risk?coin=ETH&amount=32&route=liquid&days=365&paths=400&seed=11")
    assert r.status_code == 200
    shown = {
        (route, metric): float(value)
        for route, metric, value in re.findall(
            r'data-route="(\w+)" data-metric="([\w.]+)" data-value="([^"]+)"', r.text
        )
    }
    out = CliRunner().invoke(
        cli_app,
        ["risk", "--coin", "ETH", "--amount", "32", "--route", "liquid", "--paths", "400", "--seed", "11", "--json"],
    )
    assert out.exit_code == 0, out.output
    cli = {row["route"]: row for row in json.loads(out.output)["routes"]}
    assert {route for route, _ in shown} == set(cli) == {"liquid", "hold"}
    for (route, metric), value in shown.items():
        name, _, q = metric.partition(".")
        expected = cli[route][name]
        if q:
            expected = list(expected.values())[int(q)]
        assert value == pytest.approx(expected, rel=1e-12, abs=1e-12), (route, metric)


def test_risk__seed_example__one_click_gives_the_halving_walkthrough(web: WebNode) -> None:
    page = web.http.get("/risk").text
    link = re.search(r'href="([^"]+)" id="seed-example"', page)
    assert link
    text = html.unescape(web.http.get(html.unescape(link.group(1))).text)
    assert "20.0%" in text and "-50.0%" in text and "a loss of 40.0%" in text


def test_risk__bad_amount__400_with_the_reason(web: WebNode) -> None:
    r = web.http.get("/risk?amount=-3")
    assert r.status_code == 400 and "amount" in r.text


def test_standalone__stakework_web__risk_pages_only() -> None:
    client = TestClient(create_web_app())
    assert client.get("/", follow_redirects=False).headers["location"] == "/risk"
    assert client.get("/risk?lang=zh-TW").status_code == 200
    assert "風險分析器" in client.get("/risk?lang=zh-TW").text
    assert client.get("/validators").status_code == 404


def test_blocks__below_the_nodes_memory__read_from_its_store(web: WebNode) -> None:
    in_memory = min(int(b.message.slot) for b in web.view.chain.blocks.values())
    assert in_memory > 1  # finality pruned the first blocks from memory: they are in the store only
    text = web.http.get(f"/blocks?before={in_memory - 1}").text
    slots = [int(s.replace(",", "")) for s in re.findall(r'href="/blocks/0x[0-9a-f]{64}">([0-9,]+)<', text)]
    assert slots and max(slots) < in_memory and slots == sorted(slots, reverse=True)
    page = web.http.get(f"/blocks/{slots[0]}")
    assert page.status_code == 200 and f"Block at slot {slots[0]:,}" in page.text
    overview = web.http.get("/").text
    assert "Epoch 1</span>" in overview and "0 of 8 slots with a block" not in overview


def test_risk__run_too_large_for_a_page__400_pointing_to_the_cli(web: WebNode) -> None:
    r = web.http.get("/risk?amount=32&paths=50000&days=3650")
    assert r.status_code == 400 and "stakework risk" in r.text
