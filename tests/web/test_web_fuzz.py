"""Random path segments and query values on every page: an error page with a 4xx status, never a 500 (no
traceback reaches a user for a malformed id or number)."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st
from web_support import WebNode

TEMPLATES = [
    "/",
    "/blocks",
    "/blocks/{}",
    "/tx/{}",
    "/validators",
    "/validators/{}",
    "/accounts/{}",
    "/modules/{}",
    "/modules/pool/{}",
    "/risk",
    "/risk/explain",
]
segments = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-5, max_value=2**70).map(str),
    st.sampled_from(["head", "genesis", "0x", "0x" + "00" * 32, "0x" + "ab" * 48, "0x" + "11" * 20, "nan", "1e400"]),
    st.binary(min_size=0, max_size=48).map(lambda b: "0x" + b.hex()),
)
PARAMS = ["page", "per", "status", "before", "amount", "coin", "route", "days", "seed", "apy", "price_change", "lang",
          "price", "volatility", "drift"]  # fmt: skip


@settings(max_examples=150)
@given(data=st.data())
def test_fuzz_pages__random_ids_and_queries__never_500(web: WebNode, data: st.DataObject) -> None:
    template = data.draw(st.sampled_from(TEMPLATES))
    path = template.replace("{}", quote(data.draw(segments), safe="")) if "{}" in template else template
    params = data.draw(st.dictionaries(st.sampled_from(PARAMS), segments, max_size=4))
    if template == "/risk":
        params["paths"] = "100"  # a run's size is bounded anyway; keep the fuzz quick
    r = web.http.get(path, params=params, follow_redirects=False)
    assert r.status_code < 500, (path, params, r.status_code, r.text[-500:])
