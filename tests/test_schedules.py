"""The schedule simulator against real schedulers driving a real training loop, and its CLI."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from lrdiag import schedules
from lrdiag.errors import LRDiagError

SPECS = [
    ("StepLR(step_size=7, gamma=0.5)", lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5)),
    ("MultiStepLR(milestones=[5, 20], gamma=0.1)",
     lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[5, 20], gamma=0.1)),
    ("ExponentialLR(gamma=0.95)", lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.95)),
    ("PolynomialLR(total_iters=30, power=2.0)", lambda o: torch.optim.lr_scheduler.PolynomialLR(o, total_iters=30, power=2.0)),
    ("CosineAnnealingLR(T_max=25, eta_min=0.001)",
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=25, eta_min=0.001)),
    ("CosineAnnealingWarmRestarts(T_0=5, T_mult=2)",
     lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2)),
    ("CyclicLR(base_lr=0.01, max_lr=0.2, step_size_up=6, mode='triangular')",
     lambda o: torch.optim.lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=6)),
    ("CyclicLR(base_lr=0.01, max_lr=0.2, step_size_up=6, mode='triangular2')",
     lambda o: torch.optim.lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=6, mode="triangular2")),
    ("CyclicLR(base_lr=0.01, max_lr=0.2, step_size_up=6, mode='exp_range', gamma=0.97)",
     lambda o: torch.optim.lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=6, mode="exp_range", gamma=0.97)),
    ("OneCycleLR(max_lr=0.3, total_steps=61)", lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.3, total_steps=61)),
    ("LinearLR(start_factor=0.1, total_iters=10)",
     lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=10)),
    ("ConstantLR(factor=0.25, total_iters=8)", lambda o: torch.optim.lr_scheduler.ConstantLR(o, factor=0.25, total_iters=8)),
    ("LambdaLR(lr_lambda=lambda s: 0.9 ** s if s < 20 else 0.1)",
     lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda s: 0.9 ** s if s < 20 else 0.1)),
    ("SequentialLR(schedulers=[LinearLR(start_factor=0.01, total_iters=10), CosineAnnealingLR(T_max=30)], milestones=[10])",
     lambda o: torch.optim.lr_scheduler.SequentialLR(o, [torch.optim.lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=10),
                                                         torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=30)], milestones=[10])),
    ("ChainedScheduler([StepLR(step_size=5, gamma=0.5), ExponentialLR(gamma=0.98)])",
     lambda o: torch.optim.lr_scheduler.ChainedScheduler([torch.optim.lr_scheduler.StepLR(o, step_size=5, gamma=0.5),
                                                          torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.98)])),
]


def _real_training_lrs(factory, steps: int, lr: float = 0.1, metrics=None) -> np.ndarray:
    """Train a real model for ``steps`` steps and record the LR each optimizer step used."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    sched = factory(opt)
    x, y = torch.randn(32, 4), torch.randn(32, 1)
    seen = []
    for t in range(steps):
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step(metrics[t]) if metrics is not None else sched.step()
    return np.array(seen)


@pytest.mark.parametrize("spec,factory", SPECS, ids=[s.split("(")[0] + str(i) for i, (s, _) in enumerate(SPECS)])
def test_simulator_matches_real_scheduler_in_training(spec, factory):
    sim = schedules.simulate_spec(spec, steps=60)
    real = _real_training_lrs(factory, 60)
    np.testing.assert_allclose(sim, real, rtol=1e-9, atol=1e-15)
    assert np.ptp(sim) > 0  # every spec above really changes the LR within 60 steps


def test_closed_forms():
    cos = schedules.simulate_spec("CosineAnnealingLR(T_max=20, lr=1.0)", steps=21)
    expected = [0.5 * (1 + math.cos(math.pi * t / 20)) for t in range(21)]
    np.testing.assert_allclose(cos, expected, atol=1e-12)
    step = schedules.simulate_spec("StepLR(step_size=3, gamma=0.1, lr=2.0)", steps=10)
    np.testing.assert_allclose(step, [2.0 * 0.1 ** (t // 3) for t in range(10)], rtol=1e-12)
    one = schedules.simulate_spec("OneCycleLR(max_lr=0.5, total_steps=100)")
    assert one.size == 100 and one.argmax() in (29, 30) and one[-1] < 0.5 / 1e4
    np.testing.assert_allclose(one[0], 0.5 / 25)


def test_reduce_on_plateau_fed_a_metric_curve(tmp_path):
    metric = [1.0 - 0.1 * t for t in range(5)] + [0.5] * 20  # improves 5 steps, then flat
    sim = schedules.simulate(lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=3),
                             25, lr=1.0, metrics=metric)
    real = _real_training_lrs(lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=3), 25,
                              lr=1.0, metrics=metric)
    np.testing.assert_allclose(sim, real)
    assert sim[:6].tolist() == [1.0] * 6 and sim[-1] < 0.2
    f = tmp_path / "metric.csv"
    f.write_text("step,loss\n" + "\n".join(f"{t},{v}" for t, v in enumerate(metric)))
    from_file = schedules.simulate_spec(f"ReduceLROnPlateau(factor=0.5, patience=3, lr=1.0, metric={str(f)!r})")
    np.testing.assert_allclose(from_file, sim)
    from_lambda = schedules.simulate_spec("ReduceLROnPlateau(factor=0.5, patience=3, lr=1.0, "
                                          "metric=lambda t: 1.0 - 0.1 * t if t < 5 else 0.5)", steps=25)
    np.testing.assert_allclose(from_lambda, sim)


def test_multiple_param_groups_keep_their_own_curve():
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD([{"params": [model.weight], "lr": 0.1}, {"params": [model.bias], "lr": 0.01}])
    lrs = schedules.simulate(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9), 5, optimizer=opt)
    np.testing.assert_allclose(lrs[:, 0] / lrs[:, 1], 10.0)


@pytest.mark.parametrize("spec", [
    "__import__('os').system('true')",
    "StepLR(step_size=__import__('os'))",
    "LambdaLR(lr_lambda=lambda s: s.__class__)",
    "LambdaLR(lr_lambda=lambda s: open('x'))",
    "StepLR(**{'step_size': 3})",
    "StepLR(step_size=3",
    "1 + 2",
    "StepLR(gamma=0.5)",  # missing step_size: the scheduler's own error, reported cleanly
    "ReduceLROnPlateau(factor=0.5)",
])
def test_bad_specs_raise_one_clear_error(spec):
    with pytest.raises(LRDiagError):
        schedules.simulate_spec(spec, steps=10)


def test_cli_schedule_prints_and_plots(tmp_path):
    png = tmp_path / "s.png"
    r = subprocess.run([sys.executable, "-m", "lrdiag.cli", "schedule", "OneCycleLR(max_lr=0.1, total_steps=1000)",
                        "CosineAnnealingLR(T_max=1000)", "--out", str(png)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "peak=0.1 @ step 299" in r.stdout and "CosineAnnealingLR(T_max=1000)" in r.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    bad = subprocess.run([sys.executable, "-m", "lrdiag.cli", "schedule", "os.system('x')"], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "not a scheduler" in bad.stderr
