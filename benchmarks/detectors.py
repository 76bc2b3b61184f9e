"""Labelled benchmark of lrdiag's detectors, plus analysis speed and memory at scale.

    python benchmarks/detectors.py            # everything (a few minutes on 2 cores)
    python benchmarks/detectors.py --quick    # fewer cases
    python benchmarks/detectors.py --speed    # only the 1,000,000-step x 100-layer timing

Cases
-----
* Synthetic curves: power-law decay ``c + a (1 + t/t0)^-alpha`` times multiplicative noise that is
  white Gaussian, a minibatch mean of 4-256 exponentially distributed per-example losses (skewed,
  heavier upper tail, up to 50% noise), or autocorrelated (AR(1), phi 0.3-0.95),
  with one injected event of varied size, onset and length: a spike, a divergence (exponential
  blow-up, optionally to NaN, or a jump to a high level that stays), a plateau (mid-run stall
  or convergence to a floor), an oscillation (period 2-6 bounce or negatively correlated noise,
  amplitude 0.8-3x the noise), per-layer update ratios 3-30x beyond the optimizer's band edge
  (too low: from the start, with a 30x slower loss decay; too high: from the start or from
  10-30% of the run), with the ratio following the LR schedule; and clean
  curves (no event; their decay over the last tenth of the run is at least 3%, measured on
  loss + 1% of the starting loss as lrdiag does, so they are not converged).
* Real small trainings (scikit-learn's bundled datasets, an MLP, CPU, seconds each) driven into
  each condition: LR 10-100x too high, 100x too low, and long training past convergence, plus
  healthy runs.

Scoring (per kind)
------------------
A finding matches a label of the same kind when its interval overlaps the label's interval
widened by ``TOL`` (5% of the run, at least 50 steps). Precision = matched findings / findings;
recall = matched labels / labels; false alarms = findings of any kind on clean curves per 10,000
clean steps; delay = finding start - label onset (median over matched labels, 0 if earlier).
Real trainings carry labels for what the condition must produce, plus kinds that are also a
correct description (e.g. a 100x-too-high LR run that diverges may also show lr_too_high);
findings of such kinds are neither counted as true nor as false positives.

Seeds 0..N-1 are the tuning split (thresholds were set looking at these); seeds 10_000+ are the
held-out split (never looked at while tuning).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lrdiag import names  # noqa: E402
from lrdiag.analysis.bands import band_for  # noqa: E402
from lrdiag.analysis.engine import analyze  # noqa: E402
from lrdiag.history import History  # noqa: E402

KINDS = ("divergence", "spike", "oscillation", "plateau", "lr_too_low", "lr_too_high")


# -- real small trainings -------------------------------------------------------------------

def _dataset(name: str):
    from sklearn import datasets
    from sklearn.preprocessing import StandardScaler

    if name == "digits":
        X, y = datasets.load_digits(return_X_y=True)
        task = "cls"
    elif name == "wine":
        X, y = datasets.load_wine(return_X_y=True)
        task = "cls"
    elif name == "breast_cancer":
        X, y = datasets.load_breast_cancer(return_X_y=True)
        task = "cls"
    elif name == "diabetes":
        X, y = datasets.load_diabetes(return_X_y=True)
        y = (y - y.mean()) / y.std()
        task = "reg"
    else:
        raise ValueError(name)
    X = StandardScaler().fit_transform(X)
    return X.astype(np.float32), y, task


def train_history(*args, **kwargs) -> History:
    """``_record_training`` with flush-to-zero on (a blown-up run is full of denormals, which crawl
    on CPU), restored afterwards: FTZ is process-wide state the caller (a test run) must not inherit."""
    import torch

    torch.set_flush_denormal(True)
    try:
        return _record_training(*args, **kwargs)
    finally:
        torch.set_flush_denormal(False)


def _record_training(dataset: str = "digits", *, optimizer: str = "sgd", lr: float = 0.05, steps: int = 1500,
                  batch: int = 32, hidden: int = 64, momentum: float = 0.9, schedule: str | None = None,
                  seed: int = 0, run: str | None = None) -> History:
    """Train a small MLP on a scikit-learn dataset and record what lrdiag's Monitor records.

    Per optimizer step: the minibatch loss (``lrdiag/loss``), the LR (``lrdiag/lr/group0``),
    per-layer ``||Δθ|| / ||θ||`` (``lrdiag/update_ratio/<module>``), the global gradient norm.
    A non-finite loss is recorded and training continues (as a real run would, until stopped);
    ``schedule="cosine"`` anneals the LR to 0 over ``steps``.
    """
    import torch
    from torch import nn

    torch.manual_seed(seed)
    torch.set_num_threads(1)  # a tiny model: threads only add contention
    X, y, task = _dataset(dataset)
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.astype(np.int64) if task == "cls" else y.astype(np.float32))
    out = int(y.max()) + 1 if task == "cls" else 1
    model = nn.Sequential(nn.Linear(X.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, out))
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    elif optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        raise ValueError(optimizer)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps) if schedule == "cosine" else None
    loss_fn = nn.CrossEntropyLoss() if task == "cls" else nn.MSELoss()
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    g = torch.Generator().manual_seed(seed)
    rec_loss = np.full(steps, np.nan)
    rec_lr = np.zeros(steps)
    rec_gn = np.full(steps, np.nan)
    rec_ratio = {n: np.full(steps, np.nan) for n, _ in layers}
    perm = torch.randperm(X.shape[0], generator=g)
    pos = 0
    params = [list(m.parameters()) for _, m in layers]
    flat = lambda ps: torch.cat([p.detach().reshape(-1) for p in ps])  # noqa: E731
    with torch.no_grad():
        prev = [flat(ps) for ps in params]
    for t in range(steps):
        if pos + batch > X.shape[0]:
            perm, pos = torch.randperm(X.shape[0], generator=g), 0
        idx = perm[pos : pos + batch]
        pos += batch
        pred = model(Xt[idx])
        loss = loss_fn(pred.squeeze(-1) if task == "reg" else pred, yt[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        rec_lr[t] = opt.param_groups[0]["lr"]
        with torch.no_grad():
            gn = torch.linalg.vector_norm(torch.cat([p.grad.reshape(-1) for p in model.parameters() if p.grad is not None]))
        opt.step()
        if sched:
            sched.step()
        rec_loss[t] = float(loss)
        rec_gn[t] = float(gn)
        with torch.no_grad():
            for i, ps in enumerate(params):
                cur = flat(ps)
                w = float(torch.linalg.vector_norm(prev[i]))
                rec_ratio[layers[i][0]][t] = float(torch.linalg.vector_norm(cur - prev[i])) / w if w > 0 else np.nan
                prev[i] = cur
    series = {names.LOSS: rec_loss, names.lr("group0"): rec_lr, names.GRAD_NORM: rec_gn}
    series.update({names.update_ratio(n): v for n, v in rec_ratio.items()})
    meta = {"run": run or f"{dataset}-{optimizer}-lr{lr:g}", "optimizer": "SGD" if optimizer == "sgd" else "Adam",
            "hparams": {"lr": lr, "batch_size": batch, "momentum": momentum if optimizer == "sgd" else None},
            "layers": [n for n, _ in layers], "groups": ["group0"]}
    return History(np.arange(steps), series, meta)


# -- synthetic curves -----------------------------------------------------------------------

@dataclass
class Case:
    history: History
    labels: list[tuple[str, int, int]]  # (kind, start, end) that must be found
    also_ok: tuple[str, ...] = ()  # kinds that are also a correct description (not scored)
    name: str = ""
    clean: bool = False


def _noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, str, float]:
    """Log-scale loss noise ``sigma * eps`` with ``eps`` of unit variance, one of:

    * ``white``: Gaussian;
    * ``batchB``: the log of a minibatch mean of B per-example losses that are exponentially
      distributed (``Gamma(B, 1/B)``): right-skewed, heavier upper tail, B in 4..256 -- what a
      cross-entropy batch mean looks like;
    * ``arPHI``: AR(1) with ``phi`` in 0.3..0.95 (data order, momentum): autocorrelated.
    """
    kind = rng.choice(["white", "batch", "ar"])
    if kind == "white":
        return rng.standard_normal(n), "white", float(rng.uniform(0.02, 0.2))
    if kind == "batch":
        b = int(2 ** rng.integers(2, 9))
        logs = np.log(rng.gamma(b, 1.0 / b, n))
        eps = (logs - logs.mean()) / logs.std()
        return eps, f"batch{b}", float(logs.std())
    from scipy.signal import lfilter

    phi = rng.uniform(0.3, 0.95)
    eps = lfilter([1.0], [1.0, -phi], rng.standard_normal(n)) * math.sqrt(1 - phi**2)
    return eps, f"ar{phi:.2f}", float(rng.uniform(0.02, 0.1))


def _base_curve(rng: np.random.Generator, n: int, slow: float = 1.0) -> np.ndarray:
    """Power-law decay that is still improving >= 3% over the last tenth of the run
    (``slow`` stretches the time scale: a too-low LR learns that much more slowly)."""
    t = np.arange(n, dtype=np.float64)
    while True:
        a, alpha, t0 = rng.uniform(0.5, 3.0), rng.uniform(0.3, 1.0), rng.uniform(20, 300) * slow
        c = a * rng.uniform(0.0, 0.3)
        base = c + a * (1.0 + t / t0) ** -alpha
        # progress as lrdiag measures it: relative to (loss + 1% of the starting loss)
        floor = 0.01 * base[0]
        if (base[int(0.9 * n)] + floor) / (base[-1] + floor) - 1.0 >= 0.03:
            return base


def _lr_curve(rng: np.random.Generator, n: int, lr: float) -> np.ndarray:
    shape = rng.choice(["const", "warmup_cosine", "step"])
    t = np.arange(n)
    if shape == "const":
        return np.full(n, lr)
    if shape == "step":
        return lr * np.where(t < int(0.85 * n), 1.0, 0.1)
    warm = int(0.03 * n)
    cos = 0.5 * (1 + np.cos(np.pi * np.clip((t - warm) / max(1, n - warm), 0, 1)))
    return lr * np.where(t < warm, (t + 1) / max(1, warm), cos)


def _ratios(rng: np.random.Generator, n: int, lr_curve: np.ndarray, center: float, n_layers: int) -> dict[str, np.ndarray]:
    """Healthy per-layer update ratios: log-normal around ``center`` scaled with the LR."""
    out = {}
    rel = lr_curve / lr_curve.max()
    for i in range(n_layers):
        c = center * 10 ** rng.uniform(-0.3, 0.3)
        out[f"layers.{i}"] = c * rel * 10 ** (0.25 * rng.standard_normal(n))
    return out


def make_case(rng: np.random.Generator, kind: str) -> Case:
    """One labelled synthetic run of ``kind`` (one of KINDS, or "clean")."""
    n = int(rng.integers(3000, 12000))
    t = np.arange(n)
    base = _base_curve(rng, n, slow=30.0 if kind == "lr_too_low" else 1.0)
    eps, noise_kind, sigma = _noise(rng, n)
    logl = np.log(base) + sigma * eps
    labels: list[tuple[str, int, int]] = []
    also: tuple[str, ...] = ()
    opt = str(rng.choice(["SGD", "Adam"]))
    lr = 0.1 if opt == "SGD" else 1e-3
    lr_curve = _lr_curve(rng, n, lr)
    center = 3e-3 if opt == "SGD" else 4e-3  # a healthy ratio in the band's middle (bands.FACTORS)
    n_layers = int(rng.integers(3, 9))
    ratios = _ratios(rng, n, lr_curve, center, n_layers) if rng.random() < 0.7 or kind.startswith("lr_") else {}
    detail = noise_kind
    if kind == "spike":
        on = int(rng.integers(int(0.2 * n), int(0.85 * n)))
        jmin = max(math.log(1.8), 10 * sigma)
        jump = rng.uniform(jmin, jmin + 1.5)
        d = rng.uniform(1, 50)
        dt = t - on
        logl = logl + np.where(dt >= 0, jump * np.exp(-np.maximum(dt, 0) / d), 0.0)
        labels.append(("spike", on, on + int(3 * d)))
        detail += f" jump {math.exp(jump):.1f}x recover {d:.0f}"
    elif kind == "divergence":
        on = int(rng.integers(int(0.3 * n), int(0.8 * n)))
        dt = np.maximum(t - on, 0)
        if rng.random() < 0.6:
            r = rng.uniform(0.005, 0.1)
            logl = logl + np.where(t >= on, np.minimum(r * dt, math.log(50)), 0.0)
            if rng.random() < 0.5:
                nan_at = on + int(math.log(20) / r)
                logl[nan_at:] = np.nan if rng.random() < 0.5 else np.inf
            detail += f" exp rate {r:.3f}"
        else:
            lvl = math.log(base[on] * rng.uniform(3, 20))
            logl = np.where(t >= on, lvl + sigma * eps, logl)
            detail += " jump to a high level"
        labels.append(("divergence", on, n - 1))
        also = ("spike", "oscillation")
    elif kind == "plateau":
        on = int(rng.integers(int(0.2 * n), int(0.6 * n)))
        if rng.random() < 0.5:
            p = int(rng.uniform(0.15, 0.35) * n)
            src = np.where(t < on, t, np.where(t < on + p, on, t - p))
            labels.append(("plateau", on, min(n - 1, on + p)))
            detail += f" stall {p}"
        else:
            src = np.minimum(t, on)
            labels.append(("plateau", on, n - 1))
            detail += " converged"
        logl = np.log(base[src]) + sigma * eps
    elif kind == "oscillation":
        on = int(rng.integers(int(0.2 * n), int(0.7 * n)))
        length = int(rng.uniform(max(600, 0.1 * n), max(700, 0.3 * n)))
        end = min(n - 1, on + length)
        m = (t >= on) & (t <= end)
        if rng.random() < 0.7:
            p = int(rng.integers(2, 7))
            amp = rng.uniform(0.8 if p == 2 else 1.2, 3.0) * sigma
            logl = logl + m * amp * np.sign(np.cos(2 * np.pi * t / p + 0.1)) if p == 2 else logl + m * amp * math.sqrt(2) * np.cos(2 * np.pi * t / p + 0.3)
            detail += f" period {p} amp {amp / sigma:.1f} sigma"
        else:
            from scipy.signal import lfilter

            phi = rng.uniform(-0.9, -0.5)
            bounce = lfilter([1.0], [1.0, -phi], rng.standard_normal(n)) * math.sqrt(1 - phi**2)
            k = rng.uniform(1.0, 3.0)
            logl = np.where(m, np.log(base) + k * sigma * bounce, logl)
            detail += f" bounce phi {phi:.2f} x{k:.1f}"
        labels.append(("oscillation", on, end))
    elif kind in ("lr_too_low", "lr_too_high"):
        bad = rng.choice(n_layers, size=int(rng.integers(max(1, n_layers // 2), n_layers + 1)), replace=False)
        # too low: from the start (a mid-run drop is a schedule); too high: from the start or later
        on = 0 if kind == "lr_too_low" or rng.random() < 0.5 else int(rng.integers(int(0.1 * n), int(0.3 * n)))
        # "far outside": 3-30x beyond the band's edge for this optimizer (at the peak LR)
        band = band_for(opt)
        beyond = 10 ** rng.uniform(0.5, 1.5)
        for i in bad:
            r = ratios[f"layers.{i}"]
            c = np.median(r[lr_curve >= 0.99 * lr_curve.max()])
            target = band.low / beyond if kind == "lr_too_low" else band.high * beyond
            ratios[f"layers.{i}"] = np.where(t >= on, r * (target / c), r)
        shift = beyond
        labels.append((kind, on, n - 1))
        also = ("plateau",) if kind == "lr_too_low" else ("oscillation",)
        detail += f" {len(bad)}/{n_layers} layers {shift:.1f}x beyond the band from {on}"
    loss = np.exp(logl)
    series = {names.LOSS: loss, names.lr("group0"): lr_curve}
    series.update({names.update_ratio(k): v for k, v in ratios.items()})
    meta = {"run": f"synthetic-{kind}", "optimizer": opt}
    return Case(History(t, series, meta), labels, also, f"{kind}: {detail}", clean=(kind == "clean"))


# -- real cases -----------------------------------------------------------------------------

def real_cases(split: str) -> list[Case]:
    """Small trainings driven into each condition. ``split`` picks datasets and seeds:
    tuning = digits; held-out = wine, breast_cancer and diabetes (other data, other seeds)."""
    if split == "tuning":
        specs = [("digits", 0)]
    else:
        specs = [("wine", 10_000), ("breast_cancer", 10_001), ("diabetes", 10_002)]
    cases = []
    for ds, seed in specs:
        good_sgd, good_adam = (0.05, 1e-3) if ds != "diabetes" else (0.01, 1e-3)
        def run(name, **kw):
            return train_history(ds, seed=seed, run=f"{ds}-{name}", **kw)
        # healthy runs stop while still improving (longer ones converge: that is the "long" case)
        h = run("healthy-sgd", optimizer="sgd", lr=good_sgd, steps=400)
        cases.append(Case(h, [], (), f"{ds} healthy SGD lr {good_sgd}", clean=True))
        h = run("healthy-adam", optimizer="adam", lr=good_adam, steps=400)
        cases.append(Case(h, [], (), f"{ds} healthy Adam lr {good_adam}", clean=True))
        for mult in (10, 100):
            lr = good_sgd * mult
            h = run(f"sgd-x{mult}", optimizer="sgd", lr=lr, steps=1500)
            cases.append(Case(h, [("unstable", 0, 1499)], ("spike", "lr_too_high", "oscillation", "divergence"),
                              f"{ds} SGD LR {mult}x too high ({lr:g})"))
        lr = good_adam * 100
        h = run("adam-x100", optimizer="adam", lr=lr, steps=1500)
        cases.append(Case(h, [("unstable", 0, 1499)], ("spike", "lr_too_high", "oscillation", "divergence"), f"{ds} Adam LR 100x too high ({lr:g})"))
        h = run("sgd-low", optimizer="sgd", lr=good_sgd / 100, steps=1500)
        cases.append(Case(h, [("lr_too_low", 0, 1499)], ("plateau",), f"{ds} SGD LR 100x too low"))
        h = run("adam-low", optimizer="adam", lr=good_adam / 100, steps=1500)
        cases.append(Case(h, [("lr_too_low", 0, 1499)], ("plateau",), f"{ds} Adam LR 100x too low"))
        h = run("long", optimizer="sgd", lr=good_sgd, steps=6000, schedule="cosine")
        cases.append(Case(h, [("plateau", 3000, 5999)], ("spike",), f"{ds} SGD cosine, trained long past convergence"))
    return cases


# -- scoring --------------------------------------------------------------------------------

@dataclass
class Tally:
    tp: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    fp: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    found: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    labels: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    delays: dict[str, list[int]] = field(default_factory=lambda: {k: [] for k in KINDS})
    clean_steps: int = 0
    clean_alarms: int = 0
    misses: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)
    seconds: float = 0.0


UNSTABLE = ("divergence", "oscillation", "lr_too_high")
#: Detector options passed to analyze() (empty: the library defaults). For tuning experiments.
OPTIONS: dict = {}


def score(case: Case, tally: Tally) -> None:
    """Add one case's findings to the tally (see the module docstring for the rules)."""
    t0 = time.perf_counter()
    report = analyze(case.history, recommend=False, **OPTIONS)
    tally.seconds += time.perf_counter() - t0
    n = len(case.history)
    tol = max(50, int(0.05 * n))
    if case.clean:
        tally.clean_steps += n
        tally.clean_alarms += len(report.findings)
        for f in report.findings:
            tally.false.append(f"{case.name}: {f.kind} {f.start_step}-{f.end_step} {f.message[:90]}")
            if f.kind in tally.fp:
                tally.fp[f.kind] += 1
        return
    matched_labels = set()
    for f in report.findings:
        hit = None
        for i, (k, a, b) in enumerate(case.labels):
            ok_kind = f.kind == k or (k == "unstable" and f.kind in UNSTABLE)
            if ok_kind and f.start_step <= b + tol and f.end_step >= a - tol:
                hit = i
                break
        if f.kind not in tally.tp:
            continue
        if hit is not None:
            tally.tp[f.kind] += 1
            if hit not in matched_labels:
                matched_labels.add(hit)
                tally.delays[f.kind].append(max(0, f.start_step - case.labels[hit][1]))
        elif f.kind in case.also_ok:
            continue
        else:
            tally.fp[f.kind] += 1
            tally.false.append(f"{case.name}: {f.kind} {f.start_step}-{f.end_step} {f.message[:90]}")
    for i, (k, a, b) in enumerate(case.labels):
        key = "divergence" if k == "unstable" else k  # unstable real runs are scored as divergence recall
        tally.labels[key] += 1
        if i in matched_labels:
            tally.found[key] += 1
        else:
            got = ", ".join(f"{f.kind}@{f.start_step}" for f in report.findings) or "nothing"
            tally.misses.append(f"{case.name}: missed {k} {a}-{b}; found {got}")


def print_table(title: str, tally: Tally) -> None:
    print(f"\n{title}")
    print(f"{'kind':<12} {'labels':>6} {'found':>6} {'recall':>7} {'findings':>8} {'precision':>9} {'median delay':>13}")
    for k in KINDS:
        nf = tally.tp[k] + tally.fp[k]
        rec = tally.found[k] / tally.labels[k] if tally.labels[k] else float("nan")
        prec = tally.tp[k] / nf if nf else float("nan")
        delay = f"{np.median(tally.delays[k]):.0f} steps" if tally.delays[k] else "-"
        print(f"{k:<12} {tally.labels[k]:>6} {tally.found[k]:>6} {rec:>7.3f} {nf:>8} {prec:>9.3f} {delay:>13}")
    rate = 1e4 * tally.clean_alarms / tally.clean_steps if tally.clean_steps else float("nan")
    print(f"false alarms on clean runs: {tally.clean_alarms} in {tally.clean_steps} steps = {rate:.3f} per 10,000 clean steps")
    print(f"analysis time: {tally.seconds:.2f} s in all")


def run_split(split: str, n_per_kind: int, real: bool, verbose: bool) -> Tally:
    tally = Tally()
    seed0 = 0 if split == "tuning" else 10_000
    for j, kind in enumerate(KINDS + ("clean",)):
        for i in range(n_per_kind * (3 if kind == "clean" else 1)):
            rng = np.random.default_rng([seed0 + i, j])
            score(make_case(rng, kind), tally)
    synth = Tally(**{k: v for k, v in vars(tally).items()})
    print_table(f"== {split} split: synthetic ({n_per_kind} per kind, {3 * n_per_kind} clean)", synth)
    if real:
        rt = Tally()
        for case in real_cases(split):
            score(case, rt)
            score(case, tally)
        print_table(f"== {split} split: real small trainings (unstable runs count under divergence)", rt)
        if verbose:
            for line in rt.misses + rt.false:
                print("   ", line)
    if verbose:
        for line in tally.misses[:30] + tally.false[:30]:
            print("   ", line)
    return tally


# -- scale ----------------------------------------------------------------------------------

def scale_history(n_steps: int, n_layers: int, seed: int = 0) -> History:
    """A healthy-looking per-step run with float32 columns (what the local store reads back)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps, dtype=np.int64)
    loss = (0.1 + 2.0 * (1 + t / 500.0) ** -0.5) * np.exp(0.1 * rng.standard_normal(n_steps))
    series = {names.LOSS: loss.astype(np.float32), names.lr("group0"): np.full(n_steps, 0.1, np.float32),
              names.GRAD_NORM: np.exp(rng.standard_normal(n_steps)).astype(np.float32)}
    for i in range(n_layers):
        series[names.update_ratio(f"layers.{i}")] = (1e-3 * np.exp(0.3 * rng.standard_normal(n_steps))).astype(np.float32)
    return History(t, series, {"run": "scale", "optimizer": "SGD"})


def speed(n_steps: int = 1_000_000, n_layers: int = 100) -> None:
    print(f"\n== speed: {n_steps:,} steps x {n_layers} layers")
    sizes = [n_steps // 4, n_steps // 2, n_steps]
    for n in sizes:
        h = scale_history(n, n_layers)
        data = sum(v.nbytes for v in h.series.values())
        analyze(h.select(0, 20_000), recommend=False)  # warm caches (white-noise baselines, imports)
        t0 = time.perf_counter()
        rep = analyze(h, recommend=False)
        dt = time.perf_counter() - t0
        tracemalloc.start()
        analyze(h, recommend=False)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{n:>9,} steps: analyze {dt:.2f} s, peak extra memory {peak / 2**20:.0f} MiB "
              f"(history itself {data / 2**20:.0f} MiB, ratio {peak / data:.2f}), findings {[f.kind for f in rep.findings]}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10 cases per kind instead of 40")
    ap.add_argument("--speed", action="store_true", help="only the scale timing")
    ap.add_argument("--no-real", action="store_true", help="skip the real trainings")
    ap.add_argument("--split", choices=["tuning", "heldout", "both"], default="both")
    ap.add_argument("-v", "--verbose", action="store_true", help="list misses and false alarms")
    args = ap.parse_args(argv)
    if not args.speed:
        n = 10 if args.quick else 40
        for split in (["tuning", "heldout"] if args.split == "both" else [args.split]):
            run_split(split, n, not args.no_real, args.verbose)
    speed()
    speed_one(1_000_000, 200)


def speed_one(n_steps: int, n_layers: int) -> None:
    """One timing at the scale of the hardening issue (1M steps x 200 layers)."""
    h = scale_history(n_steps, n_layers)
    data = sum(v.nbytes for v in h.series.values())
    t0 = time.perf_counter()
    analyze(h, recommend=False)
    print(f"{n_steps:,} steps x {n_layers} layers: analyze {time.perf_counter() - t0:.2f} s (history {data / 2**20:.0f} MiB)")


if __name__ == "__main__":
    main()
