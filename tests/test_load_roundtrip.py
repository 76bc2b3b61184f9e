"""Monitor -> run directory -> lrdiag.load: what a real training recorded reads back identically."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import torch

import lrdiag
from lrdiag import names
from lrdiag.store import read_store


def _train(logdir, steps=80):
    from sklearn.datasets import load_digits

    torch.manual_seed(1)
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))
    opt = torch.optim.SGD([{"params": model[0].parameters(), "name": "body"},
                           {"params": model[2].parameters(), "name": "head", "lr": 0.05}], lr=0.2, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[0.4, 0.1], total_steps=steps)
    losses = []
    with lrdiag.Monitor(opt, model, logdir=logdir, analyze_on_close=False) as mon:
        for _ in range(steps):
            idx = torch.randint(0, len(x), (64,))
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            mon.log_loss(loss)
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
    return np.asarray(losses)


def test_monitor_run_loads_back_identically(tmp_path):
    run = tmp_path / "run"
    losses = _train(run)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = lrdiag.load(run)
    meta, steps, series = read_store(run)
    assert h.meta["source_format"] == "lrdiag-store" and h.meta["source"] == str(run)
    assert len(h) == 80 and np.array_equal(h.steps, steps)
    assert set(h.series) == set(series)
    for k, v in series.items():
        np.testing.assert_array_equal(h.series[k], v, err_msg=k)
    np.testing.assert_allclose(h.loss, losses, rtol=1e-6)  # float32 storage
    assert sorted(h.groups) == ["body", "head"]
    assert sorted(h.layers) == ["0", "2"]
    assert h.meta.get("optimizer") == "SGD"
    # OneCycle: the head's LR rises to 0.1 and falls back.
    lr = h.lr("head")
    assert abs(np.nanmax(lr) - 0.1) < 1e-6 and lr[0] < 0.01 and lr[-1] < 0.001


def test_monitor_event_files_alone_load_the_same_series(tmp_path):
    run = tmp_path / "run"
    _train(run, steps=40)
    only_events = tmp_path / "events"
    only_events.mkdir()
    for f in run.glob("*tfevents*"):
        shutil.copy(f, only_events / f.name)
    full = lrdiag.load(run)
    ev = lrdiag.load(only_events)
    assert ev.meta["source_format"] == "tensorboard"
    for k in (names.LOSS, names.lr("body"), names.lr("head"), names.update_ratio("0")):
        s_full, v_full = full.observed(k)
        s_ev, v_ev = ev.observed(k)
        assert np.array_equal(s_full, s_ev), k
        np.testing.assert_allclose(v_ev, v_full, rtol=1e-6, err_msg=k)
