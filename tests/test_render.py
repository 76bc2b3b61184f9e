"""Report renderings: text, Markdown, JSON, and the self-contained HTML page (safe, offline)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import lrdiag
from lrdiag import names
from lrdiag.errors import LRDiagError
from lrdiag.history import History
from lrdiag.render import json_for_script, render_report, to_html, to_markdown, to_text
from lrdiag.report import Finding, Report

from conftest import CHROMIUM, CHROMIUM_ARGS, require_chromium

HOSTILE = [
    "<script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=2">',
    "</script><script>window.__pwned=3</script>",
    "x|y`z` **bold** [link](javascript:window.__pwned=4)",
    "ünïcødé ✓ \u2028 line-sep",
    "A" * 10_000,
]


def _history(run="run-1", layers=("enc.0", "dec.1"), n=3000, spike=True):
    rng = np.random.default_rng(0)
    t = np.arange(n)
    loss = (0.1 + 2 * (1 + t / 50) ** -0.6) * np.exp(0.08 * rng.standard_normal(n))
    if spike:
        loss[2000:2004] *= 8
    series = {names.LOSS: loss, names.lr("group0"): np.full(n, 0.1)}
    for i, layer in enumerate(layers):
        series[names.update_ratio(layer)] = (1e-5 if i == 0 else 2e-3) * np.exp(0.2 * rng.standard_normal(n))
    return History(t, series, {"run": run, "optimizer": "SGD"})


@pytest.fixture(scope="module")
def analysed():
    h = _history()
    return lrdiag.analyze(h), h


def test_text(analysed):
    rep, _ = analysed
    txt = render_report(rep, "text")
    assert txt.startswith("lrdiag report: run-1 (steps 0..2999)")
    assert f"verdict: {rep.verdict}" in txt and rep.summary in txt
    assert "spike" in txt and "steps 2000-" in txt and "lr 0.1" in txt
    assert txt == rep.to_text()


def test_markdown_has_summary_table_and_code(analysed):
    rep, _ = analysed
    md = to_markdown(rep)
    assert md == rep.to_markdown()
    assert "| severity | kind | steps | LR | confidence | what happened |" in md
    assert md.count("\n| ") >= 1 + len(rep.findings)
    if rep.recommendation and rep.recommendation.get("code"):
        assert "```python\n" in md and rep.recommendation["code"].strip().splitlines()[0] in md


def test_json_is_only_the_report(analysed):
    rep, _ = analysed
    d = json.loads(render_report(rep, "json"))
    assert d["schema"] == "lrdiag.report/1" and d == rep.to_dict()


def test_unknown_format():
    with pytest.raises(LRDiagError, match="unknown report format"):
        render_report(Report("r", None), "pdf")


def _hostile_report():
    name = " ".join(HOSTILE[:4])
    f = Finding("spike", 1, 2, "warning", 0.9, 0.1, HOSTILE[1] + " " + HOSTILE[0], {"layer": HOSTILE[2]})
    rec = {"kind": "<b>cosine</b>", "rationale": HOSTILE[0], "code": "x = 1  # </script><script>window.__pwned=5</script>\n```\n"}
    return Report(name, (0, 10), [f], recommendation=rec, summary=HOSTILE[1] + HOSTILE[4])


def test_markdown_escapes_run_strings():
    md = to_markdown(_hostile_report())
    assert "<script>" not in md.split("```python")[0] and "<img" not in md
    assert "&lt;script&gt;" in md
    table = [line for line in md.splitlines() if line.startswith("| warning")]
    assert table and table[0].count(" | ") == 5  # a pipe in the message did not add a column
    assert md.count("```") == 2  # the code's own fence cannot close ours early


def test_html_escapes_everything():
    h = _history(run=HOSTILE[0], layers=(HOSTILE[1], HOSTILE[5]))
    page = to_html(_hostile_report(), h)
    # outside <script> elements no run string appears raw
    outside = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S)
    for bad in ("<img", "<script>window", "<b>cosine"):
        assert bad not in outside
    # the figure data can never close its <script> element
    data = re.search(r'<script type="application/json" id="lrdiag-figures">(.*?)</script>', page, re.S).group(1)
    assert "<" not in data and ">" not in data
    figs = json.loads(data)
    assert {f["id"] for f in figs} >= {"loss_lr", "ratios"}
    # exactly the page's own three script elements
    assert len(re.findall(r"<script\b", page)) == 3
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_html_needs_no_network(analysed):
    rep, h = analysed
    page = to_html(rep, h)
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S)  # plotly.js mentions URLs in strings
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup)
    assert not re.search(r"<script[^>]*\bsrc=", page)  # every script is inline
    assert len(page) > 3_000_000  # plotly.js is inlined


def test_json_for_script():
    s = json_for_script({"a": "</script><!--", "b": "\u2028", "c": float("nan")})
    assert "<" not in s and ">" not in s and "\u2028" not in s
    assert json.loads(s) == {"a": "</script><!--", "b": "\u2028", "c": None}


@pytest.mark.browser
def test_html_in_chromium_renders_figures_and_runs_no_injected_script(tmp_path, artifacts_dir):
    """Open report.html from disk in headless Chromium: plots draw, nothing injected runs,
    no request leaves the page."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    h = _history(run=HOSTILE[0], layers=(HOSTILE[1], HOSTILE[2]))
    rep = lrdiag.analyze(h)
    rep.run = " ".join(HOSTILE[:3])
    rep.findings[0].message = HOSTILE[1] + HOSTILE[2]
    page_file = tmp_path / "report.html"
    page_file.write_text(to_html(rep, h), encoding="utf-8")
    requests, dialogs, errors = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)  # a fresh temporary profile
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            page.wait_for_selector("body[data-figures-rendered]", timeout=30_000)
            n = int(page.get_attribute("body", "data-figures-rendered"))
            assert n >= 2
            assert page.locator("#fig-loss_lr .main-svg").count() >= 1
            assert page.locator("#fig-ratios .main-svg").count() >= 1
            assert page.evaluate("window.__pwned") is None
            assert page.locator("img").count() == 0
            # the hostile strings are visible as text
            assert HOSTILE[0] in page.inner_text("h1")
            assert HOSTILE[1] in page.inner_text("table")
            page.screenshot(path=str(artifacts_dir / "report_html.png"), full_page=False)
        finally:
            browser.close()
    assert dialogs == [] and errors == []
    assert all(u.startswith(("file://", "data:", "blob:")) for u in requests), requests
