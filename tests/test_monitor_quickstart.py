"""The README's quick start, run as a user runs it: every step's LR, loss and per-layer ratios
land in TensorBoard's scalars and in the local store, and ``lrdiag.load`` reads them back."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lrdiag import names
from lrdiag.store import read_store

from test_monitor import tb_scalars

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "quickstart.py"
STEPS = 300


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("quickstart")
    out = subprocess.run([sys.executable, str(EXAMPLE), "--steps", str(STEPS)], cwd=cwd,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return cwd, out.stdout


def test_quickstart_writes_every_step_to_tensorboard_and_the_store(quickstart_run):
    cwd, stdout = quickstart_run
    run_dir = cwd / "runs" / "quickstart"
    assert f"trained {STEPS} steps" in stdout and "tensorboard --logdir" in stdout
    meta, steps, series = read_store(run_dir)
    assert steps.tolist() == list(range(STEPS))
    assert meta["optimizer"] == "AdamW" and meta["layers"] == ["0", "2", "4"]
    keys = [names.LOSS, names.lr("group0")] + [names.update_ratio(n) for n in meta["layers"]]
    tb = tb_scalars(run_dir)
    for key in keys:
        assert np.all(np.isfinite(series[key])), key
        assert sorted(tb[key]) == list(range(STEPS)), key  # every step, not a sample
        np.testing.assert_array_equal(np.array([tb[key][s] for s in range(STEPS)], dtype=np.float32), series[key])
    # OneCycleLR: the recorded LR rises then falls
    lr = series[names.lr("group0")]
    assert lr.argmax() not in (0, STEPS - 1)
    report = json.loads((run_dir / "report.json").read_text())
    assert report["schema"] == "lrdiag.report/1" and report["steps"] == [0, STEPS - 1]


def test_lrdiag_load_reads_the_quickstart_run_back_identically(quickstart_run):
    pytest.importorskip("lrdiag.sources")
    import lrdiag

    cwd, _ = quickstart_run
    run_dir = cwd / "runs" / "quickstart"
    _, steps, series = read_store(run_dir)
    h = lrdiag.load(run_dir)
    assert h.steps.tolist() == steps.tolist()
    for key in [names.LOSS, names.lr("group0"), names.update_ratio("0"), names.update_ratio("4")]:
        np.testing.assert_array_equal(np.asarray(h.series[key], dtype=np.float32), series[key], err_msg=key)


def test_quickstart_logs_to_mlflow_default_store(quickstart_run):
    if importlib.util.find_spec("mlflow") is None:
        pytest.skip("mlflow is not installed")
    cwd, stdout = quickstart_run
    assert "mlflow ui" in stdout
    assert (cwd / "mlflow.db").exists() or (cwd / "mlruns").exists()
