"""How good is LR advice? lrdiag's recommendation vs the usual LR finders, against an exhaustive sweep.

Tasks are small real trainings (scikit-learn's shipped datasets, generated data, a character-level
language model on Python's own standard-library source text). For each task:

* **Ground truth**: an exhaustive sweep of 15 log-spaced LRs x {constant, one-cycle} x 2 tuning
  seeds; the sweep picks the (schedule, LR) with the lowest mean *validation* loss on those seeds.
* **Methods**, each measured on 3 *other* seeds (model init and batch order), by the final
  validation loss after the task's training budget, so the sweep's choice gets no winner's-curse
  bonus from seed noise (the loss on a separate test split is reported too):
  - ``sweep``: the sweep's choice re-run on the evaluation seeds (the reference);
  - ``lrdiag``: ``lrdiag.range_test`` (with its confirmation runs, scored on the validation split)
    then ``lrdiag.recommend(result, total_steps=T)``; the recommended scheduler is used as is;
  - ``lr-finder``: torch-lr-finder's rule (EMA-smoothed loss with smooth_f=0.05, stop at 5x the best
    loss, LR of the steepest descent by ``np.gradient``, skipping 10 first / 5 last points);
  - ``valley``: fastai's rule (debiased EMA with beta=0.98, stop at 4x the best loss, longest
    strictly decreasing valley of the curve, the LR in the middle of its middle third);
  - ``default``: the optimizer's usual default LR (SGD 0.01, Adam/AdamW 1e-3).
  The finders' LRs are used both as a constant LR and as OneCycleLR's max_lr.
* **Regret** = method's final validation loss / the sweep's - 1 (mean over the evaluation seeds);
  **cost** = tuning steps / training steps of one run.

Tasks are split into a *tuning* part (used while developing lrdiag's method) and a *held-out* part
(not looked at while tuning); both are reported.

Run: ``python benchmarks/lr_advice.py`` (about 10-15 minutes on 2 busy cores; ``--quick`` for a
smaller run, ``--tasks a,b`` for some tasks only).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import lrdiag  # noqa: E402

warnings.filterwarnings("ignore")
torch.set_num_threads(1)

TUNE_SEEDS = (0, 1)
EVAL_SEEDS = (101, 102, 103)
N_LRS = 15


# ------------------------------------------------------------------------------------ tasks


@dataclass
class Task:
    name: str
    split: str  # "tuning" or "held-out"
    data: tuple  # (Xtr, ytr, Xva, yva, Xte, yte)
    model: Callable[[], nn.Module]
    opt: str  # "sgd", "sgdm", "adam", "adamw"
    steps: int
    batch: int
    loss: Callable
    lr_grid: tuple[float, float]


def _split(X, y, seed=0, frac=(0.6, 0.2)):
    g = np.random.default_rng(seed)
    idx = g.permutation(len(X))
    a, b = int(frac[0] * len(X)), int((frac[0] + frac[1]) * len(X))
    parts = idx[:a], idx[a:b], idx[b:]
    return tuple(t for p in parts for t in (X[p], y[p]))


def _standardise(data):
    Xtr = data[0]
    mu, sd = Xtr.mean(0, keepdim=True), Xtr.std(0, keepdim=True) + 1e-6
    return tuple((d - mu) / sd if i % 2 == 0 else d for i, d in enumerate(data))


def _tabular(loader, regression=False):
    X, y = loader(return_X_y=True)
    X = torch.tensor(X, dtype=torch.float32)
    if regression:
        y = torch.tensor((y - y.mean()) / y.std(), dtype=torch.float32)[:, None]
    else:
        y = torch.tensor(y, dtype=torch.long)
    return _standardise(_split(X, y))


def _generated(xy):
    X, y = xy
    return _standardise(_split(torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.long)))


def _mlp(inp, hidden, out):
    return lambda: nn.Sequential(nn.Linear(inp, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, out))


class _CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = F.relu(self.c1(x.view(-1, 1, 8, 8)))
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.fc(x.flatten(1))


class _CharMLP(nn.Module):
    """Bengio-style character model: embed the last ``ctx`` characters, MLP, next-character logits."""

    def __init__(self, vocab, ctx=8, emb=16, hidden=96):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.net = nn.Sequential(nn.Linear(ctx * emb, hidden), nn.Tanh(), nn.Linear(hidden, vocab))

    def forward(self, x):
        return self.net(self.emb(x).flatten(1))


def _char_data(modules, ctx=8, limit=40000):
    import importlib

    text = ""
    for m in modules:
        text += open(importlib.import_module(m).__file__, encoding="utf-8").read()
    text = text[:limit]
    vocab = sorted(set(text))
    ids = torch.tensor([vocab.index(c) for c in text], dtype=torch.long)
    X = torch.stack([ids[i:i + ctx] for i in range(len(ids) - ctx)])
    y = ids[ctx:]
    # contiguous split (no overlap of contexts between train / val / test)
    n = len(X)
    a, b = int(0.7 * n), int(0.85 * n)
    return (X[:a], y[:a], X[a:b], y[a:b], X[b:], y[b:]), len(vocab)


def build_tasks() -> list[Task]:
    from sklearn import datasets

    ce, mse = F.cross_entropy, F.mse_loss
    sgd_grid, adam_grid = (1e-3, 10.0), (1e-5, 0.3)
    tasks = [
        Task("classif-mlp-sgd", "tuning", _generated(datasets.make_classification(
            1500, 20, n_informative=8, n_classes=3, flip_y=0.05, random_state=0)), _mlp(20, 32, 3), "sgd", 300, 32, ce,
             sgd_grid),
        Task("cancer-mlp-sgdm", "tuning", _tabular(datasets.load_breast_cancer), _mlp(30, 32, 2), "sgdm", 300, 32, ce, sgd_grid),
        Task("digits-mlp-adam", "tuning", _tabular(datasets.load_digits), _mlp(64, 64, 10), "adam", 400, 32, ce, adam_grid),
        Task("digits-cnn-sgdm", "tuning", _split(*[torch.tensor(a, dtype=t) for a, t in
                                                  zip(datasets.load_digits(return_X_y=True), (torch.float32, torch.long))]),
             _CNN, "sgdm", 400, 32, ce, sgd_grid),
        Task("diabetes-mlp-adamw", "tuning", _tabular(datasets.load_diabetes, regression=True), _mlp(10, 32, 1), "adamw",
             300, 32, mse, adam_grid),
    ]
    char, vocab = _char_data(["textwrap", "string"])
    tasks += [
        Task("charlm-mlp-adamw", "held-out", char, lambda: _CharMLP(vocab), "adamw", 500, 64, ce, adam_grid),
        Task("moons-mlp-sgd", "held-out", _generated(datasets.make_moons(900, noise=0.3, random_state=0)), _mlp(2, 32, 2), "sgd",
             300, 32, ce, sgd_grid),
        Task("classif-linear-sgdm", "held-out", _generated(datasets.make_classification(
            1200, 30, n_informative=10, n_classes=4, flip_y=0.1, random_state=1)), lambda: nn.Linear(30, 4), "sgdm", 200,
             32, ce, sgd_grid),
        Task("digits-cnn-adam", "held-out", tuple(d / 16.0 if i % 2 == 0 else d for i, d in enumerate(
            _split(*[torch.tensor(a, dtype=t) for a, t in zip(datasets.load_digits(return_X_y=True),
                                                           (torch.float32, torch.long))], seed=1))),
             _CNN, "adam", 400, 32, ce, adam_grid),
    ]
    # the digits CNN with SGD sees pixels in [0, 1] too
    tasks[3].data = tuple(d / 16.0 if i % 2 == 0 else d for i, d in enumerate(tasks[3].data))
    return tasks


DEFAULT_LR = {"sgd": 0.01, "sgdm": 0.01, "adam": 1e-3, "adamw": 1e-3}


def make_opt(kind: str, params, lr: float):
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if kind == "sgdm":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr)
    return torch.optim.AdamW(params, lr=lr, weight_decay=0.01)


# ------------------------------------------------------------------------------------ training


def batches(task: Task, seed: int):
    """Endless shuffled mini-batches of the training split (epoch by epoch)."""
    X, y = task.data[0], task.data[1]
    g = torch.Generator().manual_seed(seed + 7919)
    while True:
        perm = torch.randperm(len(X), generator=g)
        for i in range(0, len(X) - task.batch + 1, task.batch):
            j = perm[i:i + task.batch]
            yield X[j], y[j]


def eval_loss(model, task: Task, split: str) -> float:
    X, y = (task.data[2], task.data[3]) if split == "val" else (task.data[4], task.data[5])
    model.eval()
    with torch.no_grad():
        v = float(task.loss(model(X), y))
    model.train()
    return v


def fresh(task: Task, seed: int):
    torch.manual_seed(seed)
    model = task.model()
    return model


def train(task: Task, seed: int, lr: float, schedule: str = "const", sched_factory=None, model=None, opt=None):
    """Train ``task.steps`` steps; returns (val loss, test loss). Diverged runs score the initial loss."""
    model = model or fresh(task, seed)
    init = (eval_loss(model, task, "val"), eval_loss(model, task, "test"))
    opt = opt or make_opt(task.opt, model.parameters(), lr)
    if sched_factory is not None:
        sched = sched_factory(opt)
    elif schedule == "1cycle":
        cycle = task.opt != "sgd"
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=task.steps, cycle_momentum=cycle)
    else:
        sched = None
    it = batches(task, seed)
    for _ in range(task.steps):
        x, y = next(it)
        loss = task.loss(model(x), y)
        if not torch.isfinite(loss):
            return init
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
    out = (eval_loss(model, task, "val"), eval_loss(model, task, "test"))
    return out if all(math.isfinite(v) for v in out) else init


# ------------------------------------------------------------------------------------ baselines


def finder_curve(task: Task, seed: int, smooth: Callable[[list[float]], list[float]], diverge: float,
                 start=1e-7, end=10.0, n=100):
    """The classic finder sweep: exponential LR, smoothed loss recorded, stop at ``diverge`` x best."""
    model = fresh(task, seed)
    opt = make_opt(task.opt, model.parameters(), start)
    it = batches(task, seed)
    lrs, raw, sm = [], [], []
    best = math.inf
    for i in range(n):
        lr = start * (end / start) ** (i / (n - 1))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = next(it)
        loss = task.loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        raw.append(float(loss))
        s = smooth(raw)
        lrs.append(lr)
        sm.append(s)
        if not math.isfinite(s) or (i > 0 and s > diverge * best):
            break
        best = min(best, s)
    return np.array(lrs), np.array(sm), len(lrs)


def _ema_no_debias(f: float):
    state = {}

    def smooth(raw):
        prev = state.get("v")
        state["v"] = raw[-1] if prev is None else f * raw[-1] + (1 - f) * prev
        return state["v"]
    return smooth


def _ema_debias(beta: float):
    state = {"avg": 0.0}

    def smooth(raw):
        state["avg"] = beta * state["avg"] + (1 - beta) * raw[-1]
        return state["avg"] / (1 - beta ** len(raw))
    return smooth


def lr_finder_steepest(task: Task, seed: int) -> tuple[float, int]:
    lrs, losses, cost = finder_curve(task, seed, _ema_no_debias(0.05), 5.0)
    lrs, losses = lrs[10:-5], losses[10:-5]
    if len(lrs) < 3:
        return DEFAULT_LR[task.opt], cost
    good = np.isfinite(losses)
    return float(lrs[good][np.argmin(np.gradient(losses[good]))]), cost


def fastai_valley(task: Task, seed: int) -> tuple[float, int]:
    lrs, losses, cost = finder_curve(task, seed, _ema_debias(0.98), 4.0)
    lrs, losses = lrs[:-5] if len(lrs) > 10 else lrs, losses[:-5] if len(losses) > 10 else losses
    n = len(losses)
    if n < 3:
        return DEFAULT_LR[task.opt], cost
    # longest strictly decreasing subsequence (by dynamic programming), its first and last index
    length = np.ones(n, dtype=int)
    start = np.arange(n)
    for i in range(1, n):
        for j in range(i):
            if losses[j] > losses[i] and length[j] + 1 > length[i]:
                length[i], start[i] = length[j] + 1, start[j]
    end = int(np.argmax(length))
    first = int(start[end])
    third = (end - first) / 3.0
    idx = int(first + third + third / 2)
    return float(lrs[min(idx, n - 1)]), cost


# ------------------------------------------------------------------------------------ lrdiag


def lrdiag_advice(task: Task, seed: int):
    model = fresh(task, seed)
    opt = make_opt(task.opt, model.parameters(), DEFAULT_LR[task.opt])
    val = [(task.data[2], task.data[3])]
    res = lrdiag.range_test(model, opt, task.loss, batches(task, seed), val_data=val, progress=False,
                            confirm_steps=max(20, int((task.steps - 100) / 5)), max_cost_steps=task.steps)
    rec = lrdiag.recommend(res, total_steps=task.steps, optimizer=opt)
    return model, opt, rec, res


# ------------------------------------------------------------------------------------ the benchmark


def sweep(task: Task, seeds=TUNE_SEEDS) -> tuple[str, float, dict]:
    lo, hi = task.lr_grid
    grid = np.exp(np.linspace(math.log(lo), math.log(hi), N_LRS))
    table = {}
    for sched in ("const", "1cycle"):
        for lr in grid:
            table[(sched, float(lr))] = float(np.mean([train(task, s, float(lr), sched)[0] for s in seeds]))
    best = min(table, key=table.get)
    return best[0], best[1], table


def _baselines(task: Task, eval_seeds) -> dict:
    """The sweep (choice and re-runs) and the finder / default baselines: everything but lrdiag."""
    s_sched, s_lr, table = sweep(task)
    out = {"sweep": {"val": [], "test": [], "cost": N_LRS * 2 * len(TUNE_SEEDS), "lr": s_lr, "sched": s_sched},
           "_table": [[k[0], k[1], v] for k, v in table.items()]}
    for m in BASELINES:
        out[m] = {"val": [], "test": [], "cost": [], "lr": []}
    for seed in eval_seeds:
        _record(out["sweep"], train(task, seed, s_lr, s_sched))
        for name, rule in (("lr-finder", lr_finder_steepest), ("valley", fastai_valley)):
            lr, cost = rule(task, seed)
            for kind in ("const", "1cycle"):
                _record(out[f"{name} ({kind})"], train(task, seed, lr, kind), cost / task.steps, lr)
        for kind in ("const", "1cycle"):
            _record(out[f"default ({kind})"], train(task, seed, DEFAULT_LR[task.opt], kind), 0.0, DEFAULT_LR[task.opt])
    return out


BASELINES = ["lr-finder (const)", "lr-finder (1cycle)", "valley (const)", "valley (1cycle)", "default (const)",
             "default (1cycle)"]


def _record(d: dict, losses, cost=None, lr=None) -> None:
    d["val"].append(losses[0])
    d["test"].append(losses[1])
    if cost is not None:
        d["cost"].append(cost)
        d["lr"].append(lr)


def run_task(task: Task, eval_seeds, cache: dict | None = None) -> dict:
    t0 = time.perf_counter()
    key = f"{task.name}|{list(eval_seeds)}"
    base = (cache or {}).get(key) or _baselines(task, eval_seeds)
    if cache is not None:
        cache[key] = base
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    out["lrdiag"] = d = {"val": [], "test": [], "cost": [], "lr": []}
    out["_candidates"] = []
    for seed in eval_seeds:
        model, opt, rec, res = lrdiag_advice(task, seed)
        sched = rec.scheduler(opt)
        _record(d, train(task, seed, rec.params["peak_lr"], sched_factory=lambda o: sched, model=model, opt=opt),
                res.cost_steps / task.steps, rec.params["peak_lr"])
        out["_candidates"].append({"candidates": res.candidates, "suggested": res.suggested_lr, "kind": rec.kind})
    for split in ("val", "test"):
        ref = float(np.mean(out["sweep"][split]))
        for m, v in out.items():
            if not m.startswith("_"):
                v[f"regret_{split}"] = float(np.mean(v[split])) / ref - 1
    for m, v in out.items():
        if not m.startswith("_"):
            v["regret"] = v["regret_val"]
            v["cost_mean"] = float(np.mean(v["cost"])) if isinstance(v["cost"], list) else float(v["cost"])
    out["_seconds"] = time.perf_counter() - t0
    return out


def summarise(results: dict[str, dict], tasks: list[Task]) -> str:
    methods = ["sweep", "lrdiag"] + BASELINES
    lines = []
    head = f"{'task':22s} {'split':8s} " + " ".join(f"{m:>18s}" for m in methods)
    lines.append(head)
    lines.append("-" * len(head))
    for t in tasks:
        if t.name not in results:
            continue
        r = results[t.name]
        lines.append(f"{t.name:22s} {t.split:8s} " + " ".join(f"{r[m]['regret']:>+17.1%} " for m in methods))
    lines.append("")
    for split in ("tuning", "held-out", "all"):
        names = [t.name for t in tasks if t.name in results and (split == "all" or t.split == split)]
        if not names:
            continue
        lines.append(f"[{split}: {len(names)} tasks]")
        lines.append(f"  {'method':20s} {'within 5%':>10s} {'median regret':>14s} {'mean regret':>12s} {'tuning cost':>12s} "
                     f"{'median (test split)':>20s}")
        for m in methods:
            reg = np.array([results[n][m]["regret"] for n in names])
            cost = np.mean([results[n][m]["cost_mean"] for n in names])
            test = np.array([results[n][m]["regret_test"] for n in names])
            lines.append(f"  {m:20s} {np.mean(reg <= 0.05):>10.0%} {np.median(reg):>+14.1%} {np.mean(reg):>+12.1%} "
                         f"{cost:>11.2f}x {np.median(test):>+20.1%}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="2 evaluation seeds and the first 4 tasks only")
    p.add_argument("--tasks", help="comma-separated task names")
    p.add_argument("--json", help="also write every number (sweep tables, lrdiag candidates) to this JSON file")
    p.add_argument("--cache", help="JSON file keeping the sweep and baseline results between runs (they do not "
                                   "depend on lrdiag); reused when present")
    args = p.parse_args(argv)
    tasks = build_tasks()
    eval_seeds = EVAL_SEEDS
    if args.tasks:
        want = args.tasks.split(",")
        tasks = [t for t in tasks if t.name in want]
    if args.quick:
        eval_seeds = EVAL_SEEDS[:2]
        tasks = tasks[:4] if not args.tasks else tasks
    results = {}
    t0 = time.perf_counter()
    cache = None
    if args.cache:
        import json

        cache = json.load(open(args.cache)) if os.path.exists(args.cache) else {}
    for t in tasks:
        results[t.name] = r = run_task(t, eval_seeds, cache)
        if cache is not None:
            import json

            with open(args.cache, "w") as f:
                json.dump(cache, f)
        lr = np.round(r["lrdiag"]["lr"], 5).tolist()
        print(f"{t.name}: sweep chose {r['sweep']['sched']} lr={r['sweep']['lr']:.3g}; lrdiag peak LRs {lr}: "
              f"regret {r['lrdiag']['regret']:+.1%} on validation, {r['lrdiag']['regret_test']:+.1%} on test "
              f"({r['_seconds']:.0f}s)", flush=True)
        if args.json:
            import json

            with open(args.json, "w") as f:
                json.dump(results, f, default=float)
    print()
    print(summarise(results, tasks))
    print(f"\nregret = final validation loss / the sweep's - 1 (mean over seeds {list(eval_seeds)}); the sweep chose on seeds "
          f"{list(TUNE_SEEDS)} by validation loss; tuning cost in training runs of the task's budget. "
          f"Total {time.perf_counter() - t0:.0f}s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
