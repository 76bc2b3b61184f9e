"""lrdiag.range_test on small real trainings: restoration, NaN, negative loss, group ratios, AMP, accumulation."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lrdiag
from lrdiag import names
from lrdiag.analysis.range_test import RangeTestResult, lowess
from lrdiag.errors import LRDiagError


def _digits(n_batches=20, batch=32, seed=0):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    g = np.random.default_rng(seed)
    idx = g.permutation(len(X))
    X, y = torch.tensor(X[idx] / 16.0, dtype=torch.float32), torch.tensor(y[idx])
    train = [(X[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]) for i in range(n_batches)]
    val = [(X[-300:], y[-300:])]
    return train, val


def _mlp(seed=0, bn=False, dropout=0.0):
    torch.manual_seed(seed)
    layers = [torch.nn.Linear(64, 32)]
    if bn:
        layers.append(torch.nn.BatchNorm1d(32))
    layers += [torch.nn.ReLU(), torch.nn.Dropout(dropout), torch.nn.Linear(32, 10)]
    return torch.nn.Sequential(*layers)


def _regression(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 8, generator=g)
    y = X @ torch.randn(8, 1, generator=g) + 0.1 * torch.randn(n, 1, generator=g)
    return [(X[i:i + 32], y[i:i + 32]) for i in range(0, n, 32)]


def _state_equal(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_state_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_state_equal(x, y) for x, y in zip(a, b))
    return a == b


def test_restores_model_optimizer_and_rng_exactly():
    train, val = _digits()
    model = _mlp(bn=True, dropout=0.2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for x, y in train[:3]:  # the optimizer has state (moments, step counts) before the test
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    model_before = {k: v.clone() for k, v in model.state_dict().items()}
    import copy

    opt_before = copy.deepcopy(opt.state_dict())
    torch.manual_seed(123)
    np.random.seed(5)
    random.seed(7)
    rng = torch.get_rng_state()
    expected = (torch.rand(3), np.random.rand(), random.random())
    torch.set_rng_state(rng)
    np.random.seed(5)
    random.seed(7)

    res = lrdiag.range_test(model, opt, F.cross_entropy, train, val_data=val, num_steps=60, confirm_steps=10,
                            progress=False)

    assert res.suggested_lr is not None and res.cost_steps > 60
    assert _state_equal(model.state_dict(), model_before)
    assert _state_equal(opt.state_dict(), opt_before)
    assert opt.param_groups[0]["lr"] == 1e-3 and model.training
    assert torch.equal(torch.rand(3), expected[0])
    assert np.random.rand() == expected[1] and random.random() == expected[2]


def test_snapshot_lives_in_host_memory():
    from lrdiag.analysis.range_test import _Snapshot

    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    snap = _Snapshot(model, opt)
    tensors = list(snap.model_state.values())
    assert all(t.device.type == "cpu" for t in tensors)
    assert all(t.data_ptr() != p.data_ptr() for t, p in zip(tensors, model.state_dict().values()))


def test_state_is_restored_when_the_loss_function_raises():
    train, _ = _digits(5)
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    calls = {"n": 0}

    def bad_loss(out, y):
        calls["n"] += 1
        if calls["n"] > 20:
            raise RuntimeError("boom")
        return F.cross_entropy(out, y)

    with pytest.raises(RuntimeError, match="boom"):
        lrdiag.range_test(model, opt, bad_loss, train, progress=False)
    assert _state_equal(model.state_dict(), before) and opt.param_groups[0]["lr"] == 0.05


def test_nan_loss_stops_the_sweep_and_the_suggestion_is_below_it():
    data = _regression()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    res = lrdiag.range_test(model, opt, F.mse_loss, data, end_lr=1e6, num_steps=150, diverge_th=math.inf,
                            progress=False)  # diverge_th huge: only the non-finite rule can stop it
    assert res.stop_reason == "non-finite loss"
    assert not math.isfinite(res.losses[-1]) and np.all(np.isfinite(res.losses[:-1]))
    assert res.lrs.size < 150
    assert res.suggested_lr is not None and res.suggested_lr < res.lrs[-1] / 10
    json.dumps(res.to_dict(), allow_nan=False)  # NaN/inf become null


def test_negative_losses_work_and_the_result_does_not_depend_on_a_shift():
    data = _regression()

    def run(shift):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        return lrdiag.range_test(model, opt, lambda o, y: F.mse_loss(o, y) + shift, data, confirm_steps=15,
                                 progress=False)

    base, neg = run(0.0), run(-100.0)
    assert np.all(neg.losses[: int(0.8 * neg.losses.size)] < 0)
    assert neg.stop_reason == base.stop_reason == "loss diverged"
    np.testing.assert_allclose(neg.lrs, base.lrs)
    np.testing.assert_allclose(neg.smoothed - neg.smoothed[0], base.smoothed - base.smoothed[0], atol=1e-4)
    assert neg.suggested_lr == pytest.approx(base.suggested_lr, rel=1e-3)
    assert neg.lr_range == pytest.approx(base.lr_range, rel=1e-3)


def test_every_param_group_is_scaled_by_the_same_factor():
    train, _ = _digits(10)
    model = _mlp()
    opt = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.01},
                           {"params": model[3].parameters(), "lr": 0.1, "name": "head"}], momentum=0.9)
    res = lrdiag.range_test(model, opt, F.cross_entropy, train, confirm=False, progress=False)
    g = np.asarray(res.curve["group_lrs"])
    np.testing.assert_allclose(g[:, 1] / g[:, 0], 10.0)
    np.testing.assert_allclose(g[:, 0], res.lrs)
    assert res.group_ratios == [1.0, 10.0]
    assert [grp["lr"] for grp in opt.param_groups] == [0.01, 0.1]
    assert np.all(np.isfinite(res.update_ratios[:10])) and np.all(res.update_ratios[:10] > 0)
    # the update ratio grows with the LR (SGD: ||Δθ|| ∝ lr early in the sweep)
    assert res.update_ratios[20] > 10 * res.update_ratios[0]


def test_steps_skipped_by_the_grad_scaler_are_not_counted():
    data = _regression(512)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    assert scaler.is_enabled()
    backward = {"n": 0}
    poison = {4, 9, 10, 30}  # overflow on these backward passes, as fp16 would

    def hook(grad):
        backward["n"] += 1
        return torch.full_like(grad, float("inf")) if backward["n"] in poison else grad

    model[0].weight.register_hook(hook)
    scale_before = scaler.get_scale()
    res = lrdiag.range_test(model, opt, F.mse_loss, data, start_lr=1e-5, end_lr=1e-1, num_steps=40,
                            scaler=scaler, confirm=False, progress=False)
    assert res.skipped_steps == len(poison)
    assert res.lrs.size == 40 and np.all(np.diff(res.lrs) > 0)  # no LR repeated, none missing
    np.testing.assert_allclose(res.lrs, 1e-5 * 1e4 ** (np.arange(40) / 39))
    assert scaler.get_scale() == scale_before  # the scaler's state is restored too


def test_gradient_accumulation_matches_the_full_batch():
    data = _regression()
    halves = [h for x, y in data for h in ((x[:16], y[:16]), (x[16:], y[16:]))]

    def run(batches, k):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        return lrdiag.range_test(model, opt, F.mse_loss, batches, accumulation_steps=k, confirm=False,
                                 progress=False)

    full, acc = run(data, 1), run(halves, 2)
    assert acc.lrs.size == full.lrs.size
    np.testing.assert_allclose(acc.losses, full.losses, rtol=1e-4, atol=1e-6)
    assert acc.suggested_lr == pytest.approx(full.suggested_lr, rel=1e-6)


def test_step_fn_form_equals_the_data_form():
    data = _regression()

    def model_opt():
        torch.manual_seed(0)
        m = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
        return m, torch.optim.SGD(m.parameters(), lr=0.01)

    m1, o1 = model_opt()
    ref = lrdiag.range_test(m1, o1, F.mse_loss, data, confirm=False, progress=False)
    m2, o2 = model_opt()
    it = iter(lambda: None, 1)  # placeholder, replaced below

    def cycle():
        while True:
            yield from data

    it = cycle()

    def step_fn():
        x, y = next(it)
        loss = F.mse_loss(m2(x), y)
        loss.backward()
        return loss

    res = lrdiag.range_test(m2, o2, step_fn=step_fn, confirm=False, progress=False)
    np.testing.assert_allclose(res.losses, ref.losses, rtol=1e-6)
    assert res.suggested_lr == pytest.approx(ref.suggested_lr)


def test_curve_goes_to_the_local_store_and_tensorboard(tmp_path):
    from lrdiag.store import read_store

    train, _ = _digits(10)
    model = _mlp()
    res = lrdiag.range_test(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy, train,
                            confirm=False, logdir=str(tmp_path), progress=False)
    meta, steps, series = read_store(tmp_path)
    assert meta["kind"] == "range_test"
    np.testing.assert_allclose(series[names.RANGE_TEST_LR], res.lrs, rtol=1e-6)
    np.testing.assert_allclose(series[names.RANGE_TEST_LOSS], res.losses, rtol=1e-5)
    assert list(steps) == list(range(res.lrs.size))
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert {names.RANGE_TEST_LR, names.RANGE_TEST_LOSS, names.RANGE_TEST_SMOOTHED} <= set(tags)
    assert len(acc.Scalars(names.RANGE_TEST_LOSS)) == res.lrs.size


def test_suggestion_trains_well_and_result_round_trips(tmp_path):
    train, val = _digits(30)
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    res = lrdiag.range_test(model, opt, F.cross_entropy, train, val_data=val, confirm_steps=20, progress=False)
    lo, hi = res.lr_range
    assert lo <= res.suggested_lr <= hi and 0 <= res.confidence <= 1
    assert 1e-3 < res.suggested_lr < 10 and res.candidates and res.method.startswith("confirmed")
    assert res.lr_min is not None and res.lr_steepest is not None
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    back = RangeTestResult.from_dict(d)
    assert back.suggested_lr == res.suggested_lr and back.lr_range == res.lr_range
    np.testing.assert_allclose(back.losses, res.losses)

    def final_val(lr):
        m = _mlp()
        o = torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9)
        s = torch.optim.lr_scheduler.OneCycleLR(o, max_lr=lr, total_steps=150)
        for t in range(150):
            x, y = train[t % len(train)]
            o.zero_grad()
            F.cross_entropy(m(x), y).backward()
            o.step()
            s.step()
        with torch.no_grad():
            return float(F.cross_entropy(m(val[0][0]), val[0][1]))

    # the suggestion trains clearly better than LRs 30x away from it on either side
    assert final_val(res.suggested_lr) < min(final_val(res.suggested_lr / 30), final_val(res.suggested_lr * 30))

    import matplotlib

    matplotlib.use("Agg")
    ax = res.plot()
    ax.figure.savefig(tmp_path / "rt.png")
    assert (tmp_path / "rt.png").stat().st_size > 5000


def test_lowess_has_no_lag():
    x = np.arange(200.0)
    y = np.where(x < 120, 10 - x / 20, 4 + (x - 120) ** 2 / 50)  # minimum at 120
    y = y + np.random.default_rng(0).normal(0, 0.3, x.size)
    s = lowess(y, 0.15)
    assert abs(int(np.argmin(s)) - 120) <= 5
    ema, v = [], y[0]
    for val in y:
        v = 0.98 * v + 0.02 * val
        ema.append(v)
    assert int(np.argmin(ema)) >= 128  # what an EMA does to the same curve: its minimum comes late


def test_bad_arguments_raise_one_clear_error():
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(LRDiagError, match="start_lr < end_lr"):
        lrdiag.range_test(model, opt, F.cross_entropy, [(torch.zeros(2, 64), torch.zeros(2, dtype=torch.long))],
                          start_lr=1.0, end_lr=0.1)
    with pytest.raises(LRDiagError, match="no batches"):
        lrdiag.range_test(model, opt, F.cross_entropy, [], progress=False)
    with pytest.raises(LRDiagError, match="needs model, loss_fn and data"):
        lrdiag.range_test(model, opt)


def test_curve_goes_to_the_active_mlflow_run(tmp_path):
    mlflow = pytest.importorskip("mlflow")
    pytest.importorskip("lrdiag.sinks.mlflow_sink")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        data = _regression()
        model = torch.nn.Linear(8, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        with mlflow.start_run() as run:
            res = lrdiag.range_test(model, opt, F.mse_loss, data, confirm=False, mlflow=True, progress=False)
        hist = mlflow.tracking.MlflowClient().get_metric_history(run.info.run_id, names.RANGE_TEST_LOSS)
        assert len(hist) == res.lrs.size
        np.testing.assert_allclose(sorted((h.step, h.value) for h in hist)[-1][1], res.losses[-1], rtol=1e-5)
        client = mlflow.tracking.MlflowClient()
        tags = client.get_run(run.info.run_id).data.tags
        assert float(tags["lrdiag.suggested_lr"]) == pytest.approx(res.suggested_lr, rel=1e-2)
        assert "LR range test" in tags["mlflow.note.content"]
        arts = {a.path for a in client.list_artifacts(run.info.run_id, "lrdiag")}
        assert {"lrdiag/report.json", "lrdiag/report.html"} <= arts
    finally:
        mlflow.set_tracking_uri(None)


def test_max_cost_steps_caps_the_whole_test():
    train, val = _digits(10)
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    res = lrdiag.range_test(model, opt, F.cross_entropy, train, val_data=val, num_steps=50, confirm_steps=20,
                            max_extend=3, max_cost_steps=150, progress=False)
    assert 50 + 4 * 5 + 3 * 20 <= res.cost_steps <= 150
    assert sum(c["horizon"] for c in res.candidates) == res.cost_steps - res.lrs.size - res.skipped_steps
    assert res.curve["horizon"] == 20 and 0.0 <= res.curve["horizon_exponent"] <= 1.0


def test_a_lazy_model_is_materialised_by_one_forward_pass_and_restored():
    """Round 49. A model of lazy modules (``nn.LazyLinear``, ``nn.LazyBatchNorm1d``) whose first
    forward pass has not run yet: the test snapshots the model's state before its first step, and a
    shapeless parameter has none (it used to raise ``Attempted to use an uninitialized parameter``).
    lrdiag runs one forward pass on the first batch, without gradients and in eval mode, and restores
    the model to the state that pass gave it: the initial weights, BatchNorm's statistics unmoved.
    With ``step_fn=`` it cannot run a forward pass itself: one clear error, the model untouched."""
    from torch.nn.parameter import is_lazy

    train, val = _digits()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.LazyLinear(32), torch.nn.LazyBatchNorm1d(), torch.nn.ReLU(),
                                torch.nn.LazyLinear(10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    with pytest.raises(LRDiagError, match="lazy parameters"):
        lrdiag.range_test(model, opt, step_fn=lambda: None, confirm=False, progress=False)
    assert all(is_lazy(p) for p in model.parameters())

    first = {}

    def keep_first(m, inputs, output):  # after the first forward pass: the initial weights
        if not first:
            first.update({k: v.clone() for k, v in m.state_dict().items()})

    model.register_forward_hook(keep_first)
    res = lrdiag.range_test(model, opt, F.cross_entropy, train, val_data=val, num_steps=60, confirm_steps=10,
                            progress=False)
    assert res.suggested_lr is not None and res.lr_min is not None
    assert first and _state_equal(model.state_dict(), first) and model.training
    assert int(model[1].num_batches_tracked) == 0 and float(model[1].running_mean.abs().max()) == 0.0
    assert opt.param_groups[0]["lr"] == 1e-3 and opt.state_dict()["state"] == {}


def test_adafactors_relative_step_is_swept_as_the_lr_it_takes_when_switched_off():
    """Round 49. transformers' Adafactor with its defaults (``lr=None, relative_step=True``) ignores
    the LR a sweep sets (and ``float(None)`` stopped the test). The test sweeps the LR the optimizer
    takes with the relative step off, puts the groups back as they were, and says so in the result,
    so that the advice switches the relative step off too."""
    from transformers.optimization import Adafactor

    train, val = _digits()
    model = _mlp()
    opt = Adafactor(model.parameters(), lr=None)
    before = {k: v for k, v in opt.param_groups[0].items() if k != "params"}
    res = lrdiag.range_test(model, opt, F.cross_entropy, train, val_data=val, num_steps=60, confirm_steps=10,
                            progress=False)
    assert res.suggested_lr is not None and res.optimizer["hparams"]["relative_step"] is True
    assert {k: v for k, v in opt.param_groups[0].items() if k != "params"} == before
    # the sweep moved the weights: the LR it set was applied (a relative step would ignore it)
    assert np.nanmax(res.update_ratios) > 100 * np.nanmin(res.update_ratios[res.update_ratios > 0])
    rec = lrdiag.recommend(res, total_steps=200, optimizer=opt)
    assert rec.params["switch_off_relative_step"] is True and "relative_step=False" in rec.code
    rec.scheduler(opt)
    assert opt.param_groups[0]["relative_step"] is False and opt.param_groups[0]["lr"] > 0


def test_torch_adafactors_sweep_stops_where_its_cap_binds():
    """Round 50. ``torch.optim.Adafactor`` steps with ``min(lr, 1/sqrt(t))``: a 100-step sweep to
    LR 10 had its last quarter applied as about 0.1 (the curve's minimum read at LR 10, which no
    step took). The sweep ends at the first step the cap binds, and says so; the result names the
    optimizer's cap, so advice over it says where the schedule is capped."""
    train, val = _digits()
    model = _mlp()
    opt = torch.optim.Adafactor(model.parameters(), lr=0.1)
    res = lrdiag.range_test(model, opt, F.cross_entropy, train, val_data=val, num_steps=100, confirm_steps=10,
                            progress=False)
    n = res.lrs.size
    assert 60 < n < 100 and "caps its LR at 1/sqrt(t)" in res.stop_reason
    assert np.all(res.lrs <= 1.01 / np.sqrt(np.arange(1, n + 1)))  # every LR on the curve is one a step took (1%)
    assert res.lr_min is not None and res.lr_min <= res.lrs.max()
    assert res.optimizer["hparams"]["beta2_decay"] == -0.8
    rec = lrdiag.recommend(res, total_steps=2000)
    assert "this schedule is over that cap from step" in rec.rationale
