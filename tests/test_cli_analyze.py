"""`lrdiag analyze` end to end: real runs written by the Monitor, every format, exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

from lrdiag.cli import main


def _csv(path, n=2500, blowup_at=None, lr=0.1):
    rng = np.random.default_rng(0)
    t = np.arange(n)
    loss = (0.1 + 2 * (1 + t / 50) ** -0.6) * np.exp(0.08 * rng.standard_normal(n))
    if blowup_at is not None:
        loss[blowup_at:] *= np.exp(0.05 * (t[blowup_at:] - blowup_at))
    path.write_text("step,lr,loss\n" + "".join(f"{s},{lr},{v:.6g}\n" for s, v in zip(t, loss)))
    return path


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def monitored_runs(tmp_path_factory):
    """Two real trainings recorded by lrdiag.Monitor: one with a 100x too high LR, one healthy."""
    torch = pytest.importorskip("torch")
    from _train_helpers import digits_setup, train

    from lrdiag import Monitor

    runs = {}
    assert torch is not None
    for name, opt, lr, steps in (("unstable", "sgd", 5.0, 200), ("healthy", "adam", 1e-3, 300)):
        logdir = tmp_path_factory.mktemp(name)
        model, optimizer, X, y = digits_setup(opt, lr=lr, seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mon = Monitor(optimizer, model, logdir=str(logdir))
            train(model, optimizer, X, y, steps=steps, batch=32, monitor=mon)
            mon.close()
        runs[name] = logdir
    return runs


def test_unstable_monitored_run_names_step_and_lr(monitored_runs, capsys):
    code, out, err = _run(capsys, "analyze", str(monitored_runs["unstable"]), "--format", "json")
    assert code == 0
    rep = json.loads(out)
    top = rep["findings"][0]
    assert top["kind"] in ("divergence", "oscillation"), rep["summary"]
    assert top["lr"] == pytest.approx(5.0) and top["start_step"] < 50
    code, out, _ = _run(capsys, "analyze", str(monitored_runs["unstable"]))
    assert code == 0 and f"step {top['start_step']}" in out and "LR 5" in out


def test_healthy_monitored_run_reports_no_problem(monitored_runs, capsys):
    code, out, _ = _run(capsys, "analyze", str(monitored_runs["healthy"]))
    assert code == 0
    assert "verdict: healthy" in out, out


def test_formats(tmp_path, capsys):
    src = _csv(tmp_path / "run.csv", blowup_at=1800)
    code, out, err = _run(capsys, "analyze", str(src), "--format", "json")
    assert code == 0
    rep = json.loads(out)  # stdout holds only the JSON
    assert rep["findings"][0]["kind"] == "divergence" and rep["findings"][0]["lr"] == pytest.approx(0.1)
    code, out, _ = _run(capsys, "analyze", str(src), "--format", "md")
    assert code == 0 and out.startswith("## lrdiag: divergence") and "| critical | divergence |" in out
    code, out, _ = _run(capsys, "analyze", str(src))
    assert code == 0 and "verdict: divergence" in out
    html_path = tmp_path / "report.html"
    code, out, err = _run(capsys, "analyze", str(src), "--format", "html", "--out", str(html_path))
    assert code == 0 and out == "" and "wrote" in err
    page = html_path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "divergence" in page


def test_json_subprocess_stdout_is_pure_json(tmp_path):
    src = _csv(tmp_path / "run.csv")
    proc = subprocess.run([sys.executable, "-m", "lrdiag.cli", "analyze", str(src), "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["schema"] == "lrdiag.report/1"


def test_tag_overrides(tmp_path, capsys):
    p = tmp_path / "odd.csv"
    rng = np.random.default_rng(1)
    p.write_text("step,objective,eta\n" + "".join(f"{s},{2 * (1 + s / 50) ** -0.5 * np.exp(0.05 * rng.standard_normal()):.5g},0.01\n"
                                                  for s in range(1000)))
    code, out, err = _run(capsys, "analyze", str(p), "--loss-tag", "objective", "--lr-tag", "eta", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["steps"] == [0, 999]


@pytest.mark.parametrize("content,expect", [
    (None, "does not exist|no such file|not found"),
    (b"\x00\x01\x02garbage\xff" * 100, ""),
    (b"step,lr\n1,0.1\n2,0.1\n3,0.1\n", "loss"),
    (b"", ""),
])
def test_unusable_input_exit_2_one_line(tmp_path, capsys, content, expect):
    p = tmp_path / "input.csv"
    if content is not None:
        p.write_bytes(content)
    code, out, err = _run(capsys, "analyze", str(p), "--format", "json")
    assert code == 2
    assert out == ""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("lrdiag: ")
    if expect:
        assert re.search(expect, lines[0], re.I), lines[0]
