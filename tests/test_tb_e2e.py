"""End to end: a real training run recorded by lrdiag, a real ``tensorboard`` process, the LR
Diagnostics tab in headless Chromium.

The helpers here (``tensorboard_server``, ``browser_page``, ``wait_for_tab``) are shared with the
browser tests in ``test_tb_browser.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.timeout(300)]


# -- a real tensorboard ---------------------------------------------------------------------

def _get_json(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 (loopback only)
        return json.loads(r.read().decode("utf-8"))


@contextlib.contextmanager
def tensorboard_server(logdir: Path, expect_runs: set[str], *, extra_args: tuple[str, ...] = (), path_prefix: str = "",
                       timeout: float = 120.0) -> Iterator[str]:
    """Start ``tensorboard --logdir`` on a free loopback port; yield its base URL (with
    ``--path_prefix`` if given) once the plugin lists ``expect_runs``; stop it (and its data
    server) on exit."""
    port = free_port()
    exe = shutil.which("tensorboard")
    cmd = [exe] if exe else [sys.executable, "-m", "tensorboard.main"]
    cmd += ["--logdir", str(logdir), "--host", "127.0.0.1", "--port", str(port), "--reload_interval", "2", *extra_args]
    if path_prefix:
        cmd += ["--path_prefix", path_prefix]
    log = open(logdir.parent / f"tensorboard-{port}.log", "w+b")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}{path_prefix}"
    try:
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"tensorboard exited with {proc.returncode}: {_tail(log)}")
            with contextlib.suppress(OSError, ValueError, urllib.error.URLError):
                seen = {r["run"] for r in _get_json(f"{base}/data/plugin/lrdiag/runs")["runs"]}
                if expect_runs <= seen:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"tensorboard did not list {expect_runs - seen} within {timeout:.0f} s: {_tail(log)}")
            time.sleep(0.5)
        yield base
    finally:
        # The session leader is tensorboard; its Rust data server is in the same group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 9)
            proc.wait(timeout=10)
        log.close()


def _tail(log) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode("utf-8", "replace")[-2000:]


# -- a real browser -----------------------------------------------------------------------

@contextlib.contextmanager
def browser_page(tmp_path: Path, width: int = 1280, height: int = 900):
    """A Playwright page in Debian's headless Chromium; page errors are collected in
    ``page.lrdiag_errors`` (uncaught exceptions and console errors, CSP violations included)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": width, "height": height})
        try:
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
            # Failed loads are reported by URL (the console message lacks it). Not the tab's
            # business: the browser's favicon probe, and TensorBoard's own UI asking for its
            # fonts outside --path_prefix.
            page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" and "Failed to load resource" not in m.text else None)
            page.on("response", lambda r: errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 and not _foreign_miss(r.url) else None)
            page.lrdiag_errors = errors
            yield page
        finally:
            ctx.close()


def _foreign_miss(url: str) -> bool:
    return url.endswith("/favicon.ico") or "/font-roboto/" in url


def wait_for_tab(frame, timeout_ms: float = 60_000) -> None:
    """Wait until the tab finished rendering its charts (``body[data-state=ready]``)."""
    frame.wait_for_selector("body[data-state=ready]", timeout=timeout_ms)
    frame.wait_for_selector("#chart-loss_lr .main-svg", timeout=timeout_ms)


def open_tab_in_tensorboard(page, base: str):
    """Open the whole TensorBoard UI on the LR Diagnostics tab; return the tab's iframe once its
    charts are drawn."""
    page.goto(f"{base}/#lrdiag")
    page.wait_for_selector("iframe", timeout=60_000)
    deadline = time.monotonic() + 60
    while True:
        frame = next((f for f in page.frames if "plugin_entry.html" in f.url), None)
        if frame is not None:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"no plugin_entry.html iframe; frames: {[f.url for f in page.frames]}")
        page.wait_for_timeout(100)
    wait_for_tab(frame)
    return frame


# -- the run ------------------------------------------------------------------------------

def train_digits(logdir: Path, run: str = "digits", steps: int = 300, *, high_lr: float = 1.5, record: str = "lrdiag") -> Path:
    """A small real training: an MLP on scikit-learn's digits with SGD whose LR jumps to
    ``high_lr`` half way. ``record="lrdiag"`` records it with ``lrdiag.Monitor``;
    ``record="plain"`` logs only ``train/loss`` and ``train/learning_rate`` with a plain
    ``SummaryWriter``, as a Hugging Face run does. Returns the run directory."""
    from collections import OrderedDict

    import torch
    from sklearn.datasets import load_digits

    torch.manual_seed(0)
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    model = torch.nn.Sequential(OrderedDict(fc1=torch.nn.Linear(64, 64), act=torch.nn.ReLU(), fc2=torch.nn.Linear(64, 10)))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    run_dir = logdir / run
    gen = torch.Generator().manual_seed(0)

    def one_step(step):
        if step == steps // 2:
            for g in opt.param_groups:
                g["lr"] = high_lr  # too high: the loss blows up or oscillates
        idx = torch.randint(0, x.shape[0], (64,), generator=gen)
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    if record == "plain":
        from torch.utils.tensorboard import SummaryWriter

        with SummaryWriter(str(run_dir)) as w:
            for step in range(steps):
                w.add_scalar("train/loss", float(one_step(step).detach()), step)
                w.add_scalar("train/learning_rate", opt.param_groups[0]["lr"], step)
    else:
        from lrdiag import Monitor

        with Monitor(opt, model, logdir=str(run_dir)) as mon:
            for step in range(steps):
                mon.log_loss(one_step(step))
    return run_dir


# -- the test -----------------------------------------------------------------------------

def test_tab_in_real_tensorboard(tmp_path, artifacts_dir):
    require_chromium()
    logdir = tmp_path / "runs"
    train_digits(logdir)
    train_digits(logdir, "hf_style", record="plain")
    with tensorboard_server(logdir, {"digits", "hf_style"}) as base:
        report = _get_json(f"{base}/data/plugin/lrdiag/report?run=digits")["report"]
        assert report is not None, "the Monitor wrote no report summary"
        with browser_page(tmp_path, height=1300) as page:  # tall enough for the README screenshot
            page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
            # 1. the plugin's own page, as TensorBoard's iframe loads it
            page.goto(f"{base}/data/plugin_entry.html?name=lrdiag")
            wait_for_tab(page)
            _check_content(page, report)
            page.screenshot(path=str(artifacts_dir / "tb_plugin_entry.png"), full_page=True)
            _check_interactions(page, report)
            _check_analyse_button(page, base)
            # 2. the whole TensorBoard UI with the tab selected
            frame = open_tab_in_tensorboard(page, base)
            assert frame.locator("#run-select").input_value() == "digits"  # a run with a report first
            assert page.get_by_text("LR Diagnostics").first.is_visible()
            page.wait_for_timeout(500)  # let Plotly finish its resize to the iframe
            page.screenshot(path=str(artifacts_dir / "tb_tab.png"))
            assert not page.lrdiag_errors, page.lrdiag_errors


def _check_interactions(page, report: dict) -> None:
    """Clicking a finding zooms the loss chart to it; the copy button copies the code."""
    first = page.locator(".finding").first
    first.click()
    assert "selected" in first.get_attribute("class")
    x_range = page.evaluate("document.getElementById('chart-loss_lr').layout.xaxis.range")
    top = sorted(report["findings"], key=lambda f: (-{"info": 0, "warning": 1, "critical": 2}[f["severity"]], -f["confidence"], f["start_step"]))[0]
    assert x_range[0] <= top["start_step"] and x_range[1] >= top["end_step"]
    assert top["message"] in page.inner_text("#finding-detail")
    page.uncheck("text=log LR")
    assert page.evaluate("document.getElementById('chart-loss_lr').layout.yaxis2.type") == "linear"
    page.check("text=log loss")
    assert page.evaluate("document.getElementById('chart-loss_lr').layout.yaxis.type") == "log"
    if (report.get("recommendation") or {}).get("code"):
        page.click("#copy-code")
        page.wait_for_function("document.getElementById('copy-code').textContent === 'Copied'")
        assert page.evaluate("navigator.clipboard.readText()") == report["recommendation"]["code"]


def _check_analyse_button(page, base: str) -> None:
    """A run with only train/loss and train/learning_rate is analysed from the tab, once."""
    page.select_option("#run-select", value="hf_style")
    wait_for_tab(page)
    assert "no lrdiag report" in page.inner_text("#summary")
    assert page.locator(".finding").count() == 0
    page.click("#analyze")
    page.wait_for_selector("#status:has-text('analysed in the tab')", timeout=60_000)
    wait_for_tab(page)
    served = _get_json(f"{base}/data/plugin/lrdiag/report?run=hf_style")
    assert served["source"] == "analysis" and served["report"]["findings"]
    shown = page.locator(".finding .message").all_inner_texts()
    assert sorted(shown) == sorted(f["message"] for f in served["report"]["findings"])
    assert page.locator("#analyze").count() == 0
    page.select_option("#run-select", value="digits")
    wait_for_tab(page)
    assert page.url.endswith("/data/plugin_entry.html?name=lrdiag#run=digits")  # a link to this run
    page.reload()
    wait_for_tab(page)
    assert page.locator("#run-select").input_value() == "digits"
    # A link to a run that is gone: the run with a report is shown instead, with no error; the
    # only trace is the link's own figures request, answered 404.
    page.evaluate("location.hash = 'run=gone'")
    page.reload()
    wait_for_tab(page)
    assert page.locator("#run-select").input_value() == "digits"
    assert "error" not in (page.get_attribute("#status", "class") or "") and page.locator(".finding").count() > 0
    stale = [e for e in page.lrdiag_errors if "figures?run=gone" in e]
    assert stale and all(e.startswith("HTTP 404") for e in stale), page.lrdiag_errors
    page.lrdiag_errors[:] = [e for e in page.lrdiag_errors if e not in stale]


def _check_content(page, report: dict) -> None:
    """Findings (sorted by severity) and the recommendation are on the page, as text."""
    charts = page.locator(".chart .main-svg")
    assert charts.count() >= 2  # loss/LR and per-layer ratios at least
    findings = report["findings"]
    assert findings, "the too-high LR half way should produce findings"
    shown = page.locator(".finding .message").all_inner_texts()
    assert sorted(shown) == sorted(f["message"] for f in findings)
    ranks = {"info": 0, "warning": 1, "critical": 2}
    severities = [ranks.get(s.strip().lower(), 0) for s in page.locator(".finding .badge").all_inner_texts()]
    assert severities == sorted(severities, reverse=True)
    if report.get("recommendation"):
        rec = report["recommendation"]
        card = page.locator("#recommendation")
        assert card.is_visible()
        if rec.get("code"):
            assert page.locator("#recommendation pre code").inner_text().strip() == rec["code"].strip()
        if rec.get("rationale"):
            assert rec["rationale"].strip() in card.inner_text()
    assert report["summary"].strip() in page.locator("#summary").inner_text()
    assert not page.lrdiag_errors, page.lrdiag_errors
