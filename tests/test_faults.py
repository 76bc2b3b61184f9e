"""Training never dies because of lrdiag: inject each fault into a real training run.

Each test checks three things: the user's training ran every optimizer step (its parameters
changed as plain training would change them), the fault was reported by exactly one message, and
the values that could be kept were kept.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch import nn

import lrdiag
from lrdiag import names
from lrdiag.monitor import MonitorWarning
from lrdiag.sinks.base import Sink
from lrdiag.store import read_store

from conftest import free_port
from _train_helpers import digits_setup, train


def run(tmp_logdir, steps=12, setup=("sgd",), setup_kwargs=None, **monitor_kwargs):
    """Train with a Monitor, capturing lrdiag's messages. Returns (model, opt, mon, messages, losses)."""
    model, opt, X, y = digits_setup(*setup, **(setup_kwargs or dict(lr=0.05, momentum=0.9)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mon = lrdiag.Monitor(opt, model, logdir=tmp_logdir, **monitor_kwargs)
        losses = train(model, opt, X, y, steps, monitor=mon)
        mon.close()
    msgs = [str(w.message) for w in caught if issubclass(w.category, MonitorWarning)]
    return model, opt, mon, msgs, losses


def reference_losses(steps=12):
    model, opt, X, y = digits_setup("sgd", lr=0.05, momentum=0.9)
    return train(model, opt, X, y, steps)


def test_unwritable_logdir_keeps_values_in_memory(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    model, opt, mon, msgs, losses = run(blocker / "run", analyze_on_close=True)
    np.testing.assert_allclose(losses, reference_losses(), rtol=1e-6)  # training unaffected
    store_msgs = [m for m in msgs if m.startswith("lrdiag: the local store")]
    assert len(store_msgs) == 1 and "keeping values in memory" in store_msgs[0]
    assert len(msgs) == len(set(msgs)) <= 2  # store + tensorboard, each once
    h = mon.history()
    assert h.steps.tolist() == list(range(12))
    np.testing.assert_allclose(h.series[names.LOSS], losses, rtol=1e-5)
    assert np.all(h.series[names.update_ratio("0")] > 0)


class FullDiskSink(Sink):
    """A real disk-full error: every write goes to /dev/full."""

    name = "full-disk"

    def __init__(self):
        self.calls = 0

    def write(self, steps, columns):
        self.calls += 1
        with open("/dev/full", "wb", buffering=0) as f:
            f.write(b"x" * 4096)


class RaisingReportSink(Sink):
    name = "bad-report"

    def __init__(self):
        self.rows = 0

    def write(self, steps, columns):
        self.rows += len(steps)

    def write_report(self, report, history):
        raise ValueError("cannot render")


@pytest.mark.skipif(not __import__("os").path.exists("/dev/full"), reason="needs /dev/full")
def test_a_sink_that_raises_is_dropped_after_one_message(tmp_path):
    full, bad = FullDiskSink(), RaisingReportSink()
    model, opt, mon, msgs, losses = run(tmp_path, steps=12, sinks=[full, bad], flush_rows=4)
    np.testing.assert_allclose(losses, reference_losses(), rtol=1e-6)
    assert full.calls == 1  # dropped after its first failure
    assert bad.rows == 12  # the other sink kept receiving everything
    assert [m for m in msgs if "full-disk" in m] and len([m for m in msgs if "full-disk" in m]) == 1
    assert "No space left" in [m for m in msgs if "full-disk" in m][0]
    _, steps, _ = read_store(tmp_path)
    assert steps.tolist() == list(range(12))  # the local store keeps every value


def test_nan_and_inf_losses_are_recorded_not_fatal(tmp_path):
    model, opt, X, y = digits_setup("sgd", lr=0.05)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mon = lrdiag.Monitor(opt, model, logdir=tmp_path, analyze_on_close=True)
        for i in range(8):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(X[:64]), y[:64])
            if i == 5:
                loss = loss * float("nan")  # NaN gradients: the parameters become NaN too
            loss.backward()
            mon.log_loss(loss)
            opt.step()
        mon.close()
    assert not [w for w in caught if issubclass(w.category, MonitorWarning) and "failed" in str(w.message) and "analysis" not in str(w.message)]
    _, steps, series = read_store(tmp_path)
    assert steps.tolist() == list(range(8))
    assert np.isnan(series[names.LOSS][5]) and np.all(np.isfinite(series[names.LOSS][:5]))
    assert np.all(np.isfinite(series[names.update_ratio("0")][:5]))


def test_parameter_replaced_and_group_added_mid_run(tmp_path):
    model, opt, X, y = digits_setup("adam", lr=1e-2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mon = lrdiag.Monitor(opt, model, logdir=tmp_path, tensorboard=False, analyze_on_close=False)
        train(model, opt, X, y, 4, monitor=mon)
        # replace layer 0's weight in the model and in the optimizer (a re-initialisation)
        new_w = nn.Parameter(torch.randn_like(model[0].weight) * 0.05)
        model[0].weight = new_w
        opt.param_groups[0]["params"][0] = new_w
        train(model, opt, X, y, 4, monitor=mon)
        # a new head and a new param group with its own name and LR
        extra = nn.Linear(10, 10)
        opt.add_param_group({"params": list(extra.parameters()), "lr": 1e-3, "name": "extra"})
        old_forward = model.forward
        for _ in range(4):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(extra(old_forward(X[:64])), y[:64])
            loss.backward()
            mon.log_loss(loss)
            opt.step()
        mon.close()
    assert not [w for w in caught if issubclass(w.category, MonitorWarning)]
    meta, steps, series = read_store(tmp_path)
    assert steps.tolist() == list(range(12))
    assert meta["groups"] == ["group0", "extra"]  # the latest META describes the new layout
    assert np.all(np.isnan(series[names.lr("extra")][:8])) and np.allclose(series[names.lr("extra")][8:], 1e-3)
    assert np.all(series[names.update_ratio("0")] > 0)  # layer 0 recorded before and after
    assert np.all(series[names.update_ratio("extra.p0")][8:] > 0)


def test_exception_inside_a_hook_is_reported_once_and_the_step_still_runs(tmp_path):
    model, opt, X, y = digits_setup("sgd", lr=0.05, momentum=0.9)
    mon = lrdiag.Monitor(opt, model, logdir=tmp_path, tensorboard=False, analyze_on_close=False)

    def broken(*a, **k):
        raise RuntimeError("injected fault")

    mon._plan.after = broken  # every ratio computation now fails
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses = train(model, opt, X, y, 12, monitor=mon)
        mon.close()
    np.testing.assert_allclose(losses, reference_losses(), rtol=1e-6)  # every step ran
    msgs = [str(w.message) for w in caught if issubclass(w.category, MonitorWarning)]
    assert len([m for m in msgs if "injected fault" in m]) == 1
    _, steps, series = read_store(tmp_path)
    assert steps.tolist() == list(range(12))  # LR and loss kept for every step
    assert np.all(np.isfinite(series[names.LOSS])) and np.all(np.isfinite(series[names.lr("group0")]))


def test_warnings_made_errors_do_not_stop_training(tmp_path, caplog):
    """Under ``-W error`` (or pytest's ``filterwarnings = error``) lrdiag's one warning about a
    fault would itself be raised inside the optimizer's hook, and training died of it (round 46).
    The step runs; the message still reaches the ``lrdiag`` logger."""
    model, opt, X, y = digits_setup("sgd", lr=0.05, momentum=0.9)
    mon = lrdiag.Monitor(opt, model, logdir=tmp_path, tensorboard=False, analyze_on_close=False)

    def broken(*a, **k):
        raise RuntimeError("injected fault")

    mon._plan.after = broken
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with caplog.at_level("WARNING", logger="lrdiag"):
            losses = train(model, opt, X, y, 12, monitor=mon)
            mon.close()
    np.testing.assert_allclose(losses, reference_losses(), rtol=1e-6)
    assert len([r for r in caplog.records if "injected fault" in r.getMessage()]) == 1
    _, steps, _ = read_store(tmp_path)
    assert steps.tolist() == list(range(12))


def test_lrdiag_warnings_never_raise_into_training(caplog):
    """``lrdiag.errors.warn`` (every warning an integration, a sink or the range test gives while
    training runs): a warning where warnings are errors goes to the ``lrdiag`` logger instead."""
    from lrdiag.errors import warn

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with caplog.at_level("WARNING", logger="lrdiag"):
            warn("lrdiag: a side channel failed", RuntimeWarning)
    assert [r.getMessage() for r in caplog.records] == ["lrdiag: a side channel failed"]
    with pytest.warns(RuntimeWarning, match="side channel"):  # where warnings are warnings, a warning
        warn("lrdiag: a side channel failed", RuntimeWarning)


@pytest.mark.parametrize("fused", [True, False])
def test_a_non_finite_norm_stays_in_its_own_layer(tmp_path, fused):
    """One parameter's infinite gradient makes its layer's update (and so its ratio) non-finite
    at that step; the other layers' ratios stay what they are. On the CPU path the segment sums
    were one matrix product, whose 0 * inf = NaN made every layer's ratio NaN, with a numpy
    "invalid value" warning (round 46)."""
    if fused:
        from lrdiag import fused as fused_mod

        if fused_mod.wait(timeout=300) is None:
            pytest.skip(f"no fused kernel here: {fused_mod.status()}")
    model, opt, X, y = digits_setup("adam", lr=1e-3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with lrdiag.Monitor(opt, model, logdir=tmp_path, tensorboard=False, analyze_on_close=False, fused=fused) as mon:
            for i in range(6):
                opt.zero_grad()
                loss = nn.functional.cross_entropy(model(X[:64]), y[:64])
                loss.backward()
                if i == 4:
                    model[0].weight.grad[0, 0] = float("inf")
                mon.log_loss(loss)
                opt.step()
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in caught]
    assert mon.norm_paths["fused" if fused else "foreach"] == 6
    _, _, series = read_store(tmp_path)
    assert not np.isfinite(series[names.update_ratio("0")][4])
    for layer in ("2", "4"):
        assert np.all(np.isfinite(series[names.update_ratio(layer)][:5])), layer


def test_mlflow_server_down_does_not_stop_training(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    pytest.importorskip("lrdiag.sinks.mlflow_sink")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    model, opt, mon, msgs, losses = run(tmp_path, steps=10, mlflow=uri, analyze_on_close=False, close_timeout=60)
    np.testing.assert_allclose(losses, reference_losses(10), rtol=1e-6)
    _, steps, _ = read_store(tmp_path)
    assert steps.tolist() == list(range(10))
    assert len(msgs) == len(set(msgs))


def test_a_monitor_never_closed_still_writes_its_rows_at_exit(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "import torch; from _train_helpers import digits_setup, train\n"
        "import lrdiag\n"
        "model, opt, X, y = digits_setup('sgd', lr=0.05)\n"
        "mon = lrdiag.Monitor(opt, model, logdir=%r, flush_secs=3600)\n"
        "train(model, opt, X, y, 7, monitor=mon)\n"  # no close(): rows are still on the device buffer
    ) % (str(Path(__file__).parent), str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    _, steps, series = read_store(tmp_path)
    assert steps.tolist() == list(range(7)) and np.all(np.isfinite(series[names.LOSS]))
