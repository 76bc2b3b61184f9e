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

import numpy as np
import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.timeout(300)]


# -- a real tensorboard ---------------------------------------------------------------------

def _get_json(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 (loopback only)
        return json.loads(r.read().decode("utf-8"))


@contextlib.contextmanager
def tensorboard_server(logdir: Path, expect_runs: set[str], *, extra_args: tuple[str, ...] = (), timeout: float = 120.0) -> Iterator[str]:
    """Start ``tensorboard --logdir`` on a free loopback port; yield its base URL once the
    plugin lists ``expect_runs``; stop it (and its data server) on exit."""
    port = free_port()
    exe = shutil.which("tensorboard")
    cmd = [exe] if exe else [sys.executable, "-m", "tensorboard.main"]
    cmd += ["--logdir", str(logdir), "--host", "127.0.0.1", "--port", str(port), "--reload_interval", "2", *extra_args]
    log = open(logdir.parent / f"tensorboard-{port}.log", "w+b")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
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
            # Failed loads are reported by URL (the console message lacks it); the browser's own
            # favicon probe is not the tab's business.
            page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" and "Failed to load resource" not in m.text else None)
            page.on("response", lambda r: errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
            page.lrdiag_errors = errors
            yield page
        finally:
            ctx.close()


def wait_for_tab(frame, timeout_ms: float = 60_000) -> None:
    """Wait until the tab finished rendering its charts (``body[data-state=ready]``)."""
    frame.wait_for_selector("body[data-state=ready]", timeout=timeout_ms)
    frame.wait_for_selector("#chart-loss_lr .main-svg", timeout=timeout_ms)


# -- the run ------------------------------------------------------------------------------

def train_digits(logdir: Path, run: str = "digits", steps: int = 300) -> Path:
    """A small real training: an MLP on scikit-learn's digits with SGD whose LR jumps too high
    half way, recorded by lrdiag. Returns the run directory."""
    import torch
    from sklearn.datasets import load_digits

    torch.manual_seed(0)
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    run_dir = logdir / run
    gen = torch.Generator().manual_seed(0)

    def one_step(step):
        if step == steps // 2:
            for g in opt.param_groups:
                g["lr"] = 1.5  # far too high: the loss blows up / oscillates
        idx = torch.randint(0, x.shape[0], (64,), generator=gen)
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    if _monitor_available():
        from lrdiag import Monitor

        with Monitor(opt, model, logdir=str(run_dir)) as mon:
            for step in range(steps):
                mon.log_loss(one_step(step))
    else:  # until lrdiag.Monitor lands: the same series through SummaryWriter
        _record_by_hand(run_dir, model, opt, one_step, steps)
    return run_dir


def _record_by_hand(run_dir, model, opt, one_step, steps) -> None:
    import torch
    from torch.utils.tensorboard import SummaryWriter

    from lrdiag import names
    from lrdiag.history import History
    from test_tensorboard_plugin import report_summary, sample_report

    layers = {n: m for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    cols: dict[str, list] = {}
    with SummaryWriter(str(run_dir)) as w:
        for step in range(steps):
            before = {n: m.weight.detach().clone() for n, m in layers.items()}
            loss = float(one_step(step).detach())
            row = {names.LOSS: loss, names.lr("group0"): opt.param_groups[0]["lr"]}
            for n, m in layers.items():
                row[names.update_ratio(n)] = float((m.weight.detach() - before[n]).norm() / m.weight.detach().norm())
            for tag, v in row.items():
                w.add_scalar(tag, v, step)
                cols.setdefault(tag, []).append(v)
        history = History(np.arange(steps), cols, {"run": "digits"})
        try:
            from lrdiag import analyze

            report = analyze(history)
        except (ImportError, AttributeError):
            report = sample_report("digits", steps)
        w._get_file_writer().add_summary(report_summary(report.to_json(indent=None)), steps - 1)


def _monitor_available() -> bool:
    try:
        from lrdiag import Monitor  # noqa: F401
    except (ImportError, AttributeError):
        return False
    return True


# -- the test -----------------------------------------------------------------------------

def test_tab_in_real_tensorboard(tmp_path, artifacts_dir):
    require_chromium()
    logdir = tmp_path / "runs"
    train_digits(logdir)
    with tensorboard_server(logdir, {"digits"}) as base:
        report = _get_json(f"{base}/data/plugin/lrdiag/report?run=digits")["report"]
        assert report is not None, "the Monitor wrote no report summary"
        with browser_page(tmp_path) as page:
            # 1. the plugin's own page, as TensorBoard's iframe loads it
            page.goto(f"{base}/data/plugin_entry.html?name=lrdiag")
            wait_for_tab(page)
            _check_content(page, report)
            page.screenshot(path=str(artifacts_dir / "tb_plugin_entry.png"), full_page=True)
            # 2. the whole TensorBoard UI with the tab selected
            page.goto(f"{base}/#lrdiag")
            page.wait_for_selector("iframe", timeout=60_000)
            frame = page.frame_locator("iframe").first
            frame.locator("body[data-state=ready]").wait_for(timeout=60_000)
            frame.locator("#chart-loss_lr .main-svg").first.wait_for(timeout=60_000)
            assert page.get_by_text("LR Diagnostics").first.is_visible()
            page.wait_for_timeout(500)  # let Plotly finish its resize to the iframe
            page.screenshot(path=str(artifacts_dir / "tb_tab.png"))
            assert not page.lrdiag_errors, page.lrdiag_errors


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
