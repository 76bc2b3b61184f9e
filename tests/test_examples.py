"""Run the examples (posthoc_tensorboard, unstable_training, lightning_example,
transformers_example, range_test) as a user would, each in its own process, and check that what they claim
is true by reading what they wrote independently of them.

``LRDIAG_EXAMPLE_QUICK=1`` shortens them (fewer steps); they still do the real thing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrdiag
from lrdiag.store import read_store, store_files

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def run_example(name: str, *args: str, timeout: float = 600) -> str:
    env = dict(os.environ, LRDIAG_EXAMPLE_QUICK="1", HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1",
               PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=str(REPO))
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


def _tb(run_dir: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    return acc


def _store(run_dir: Path):
    files = store_files(run_dir)
    assert len(files) == 1, files
    return read_store(files[0])


def test_posthoc_tensorboard_finds_the_divergence_in_a_foreign_log(tmp_path):
    out = run_example("posthoc_tensorboard.py", "--out", str(tmp_path / "tb"))
    assert "Verdict: divergence" in out
    # What the example's training really wrote, read with TensorBoard's own reader.
    acc = _tb(tmp_path / "tb")
    loss = np.array([e.value for e in acc.Scalars("train/loss")])
    lr = np.array([e.value for e in acc.Scalars("train/learning_rate")])
    steps = np.array([e.step for e in acc.Scalars("train/loss")])
    assert len(steps) == 40 and steps[0] == 5 and steps[-1] == 200  # quick: 200 steps, logged every 5
    assert not any(t.startswith("lrdiag/") for t in acc.Tags()["scalars"])  # a foreign log indeed
    report = json.loads((tmp_path / "tb" / "report.json").read_text())
    div = sorted((f for f in report["findings"] if f["kind"] == "divergence"), key=lambda f: f["start_step"])
    assert div, report["findings"]
    start = div[0]["start_step"]
    i = int(np.searchsorted(steps, start))
    # True of the log: the run trained at first (the loss halved before the divergence), and
    # from the divergence on it ended far above its best, with the LR past 0.1 by then.
    assert loss[:i].min() < loss[0] / 2
    assert loss[-1] > 100 * loss.min()
    assert div[0]["lr"] == pytest.approx(lr[i], rel=1e-6) and lr[i] > 0.1
    assert report["recommendation"]["params"]["peak_lr"] < lr[i]


def test_unstable_training_is_diagnosed_and_the_fix_works(tmp_path):
    out = run_example("unstable_training.py", "--out", str(tmp_path / "runs"))
    summary = json.loads((tmp_path / "runs" / "summary.json").read_text())
    bad_dir, good_dir = tmp_path / "runs" / "unstable", tmp_path / "runs" / "fixed"
    bad_report = json.loads((bad_dir / "report.json").read_text())
    good_report = json.loads((good_dir / "report.json").read_text())
    assert "divergence" in {f["kind"] for f in bad_report["findings"]}
    assert "the run is unstable: divergence from step" in out
    assert not {"divergence", "spike", "oscillation"} & {f["kind"] for f in good_report["findings"]}
    # The recorded series say the same, read without the example's help.
    bad, good = lrdiag.load(str(bad_dir)), lrdiag.load(str(good_dir))
    assert len(bad) == len(good) == 150
    bad_final, good_final = np.nanmedian(bad.loss[-15:]), np.nanmedian(good.loss[-15:])
    assert not np.isfinite(bad_final) or bad_final > 100 * np.nanmin(bad.loss)  # it blew up and stayed up
    assert good_final < 0.2 and good_final < np.nanmin(bad.loss[-15:])
    # The fixed run followed the recommendation: its LR peaks at the recommended peak (< 1.0).
    peak = summary["recommendation"]["peak_lr"]
    assert np.nanmax(good.lr()) == pytest.approx(peak, rel=1e-6) and peak < 1.0
    assert np.all(bad.lr() == 1.0)
    assert summary["fixed"]["test_loss"] < summary["unstable"]["test_loss"]
    assert summary["fixed"]["accuracy"] > 0.9


def test_lightning_example_writes_into_the_loggers_run(tmp_path):
    out = run_example("lightning_example.py", "--out", str(tmp_path / "tb"))
    log_dir = tmp_path / "tb" / "digits" / "version_0"
    summary = json.loads((log_dir / "example_summary.json").read_text())
    assert f"Everything is in {log_dir}" in out
    report = json.loads((log_dir / "report.json").read_text())
    n = summary["steps"]
    assert report["steps"] == [0, n - 1]
    _, steps, cols = _store(log_dir)
    np.testing.assert_array_equal(steps, np.arange(n))
    # the recommendation from the range test was applied: the LR peaks at its peak_lr
    assert np.nanmax(cols["lrdiag/lr/group0"]) == pytest.approx(summary["peak_lr"], rel=1e-5)
    assert 0 < summary["peak_lr"] <= summary["suggested_lr"] * 1.0001  # scaled for the budget, never up
    acc = _tb(log_dir)
    assert "train_loss" in acc.Tags()["scalars"] and len(acc.Scalars("lrdiag/loss")) == n
    assert summary["val_acc"] > 0.9


def test_transformers_example_records_every_step_while_the_trainer_logs_every_tenth(tmp_path):
    out = run_example("transformers_example.py", "--out", str(tmp_path / "hf"))
    result = json.loads(out[out.rindex("\n{"):])
    run_dir, report_path = Path(result["run_dir"]), Path(result["report_path"])
    assert run_dir.parent == tmp_path / "hf" / "runs" and report_path == tmp_path / "hf" / "lrdiag" / "report.json"
    n = result["steps"]
    assert n == 60 and result["logged"] == 6 and result["recorded"] == 60
    report = json.loads(report_path.read_text())
    assert report["steps"] == [1, n] and report == json.loads((run_dir / "report.json").read_text())
    _, steps, cols = _store(run_dir)
    np.testing.assert_array_equal(steps, np.arange(1, n + 1))
    assert np.all(np.isfinite(cols["lrdiag/loss"]))
    acc = _tb(run_dir)
    hf_loss = {e.step: e.value for e in acc.Scalars("train/loss")}
    assert sorted(hf_loss) == list(range(10, n + 1, 10))
    for step, value in hf_loss.items():  # the Trainer's interval mean == the mean of lrdiag's steps
        np.testing.assert_allclose(cols["lrdiag/loss"][step - 10:step].mean(), value, rtol=1e-5)


def test_range_test_example_beats_the_default_lr(tmp_path):
    """examples/range_test.py: tuning costs at most one training run and the recommended schedule
    ends with a lower test loss than the optimizer's usual default LR."""
    import re

    png = tmp_path / "range_test.png"
    out = run_example("range_test.py", "--out", str(png), timeout=900)
    cost = float(re.search(r"\(([\d.]+) training runs\)", out).group(1))
    default = float(re.search(r"default LR 0\.01, constant : ([\d.]+)", out).group(1))
    tuned = float(re.search(r"lrdiag recommendation\s+: ([\d.]+)", out).group(1))
    assert 0 < cost <= 1.0, out
    assert tuned < default, out
    assert png.read_bytes()[:4] == b"\x89PNG"
