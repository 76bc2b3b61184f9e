"""lrdiag quick start: record a real training run, then look at it in TensorBoard (and MLflow).

    python examples/quickstart.py                 # about 30 s on one CPU
    tensorboard --logdir runs                     # Scalars tab + the "LR Diagnostics" tab
    mlflow ui --backend-store-uri sqlite:///mlflow.db   # if mlflow is installed

A small MLP learns scikit-learn's 8x8 digits (ships with scikit-learn, no download) with AdamW and
a one-cycle schedule. The only lines lrdiag adds to the loop are marked ``# lrdiag``.
Options: ``--steps N`` (or env ``LRDIAG_QUICKSTART_STEPS``), ``--logdir DIR``, ``--no-mlflow``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
from pathlib import Path

import torch
from torch import nn

import lrdiag


def data():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = torch.tensor((X - X.mean(0)) / (X.std(0) + 1e-6), dtype=torch.float32)
    return X, torch.tensor(y)


def fresh(run_dir: Path) -> None:
    """Remove what an earlier quick start wrote into ``run_dir`` (only lrdiag's own files)."""
    for pattern in ("*.lrstore", "events.out.tfevents.*.lrdiag", "report.json"):
        for f in run_dir.glob(pattern):
            f.unlink()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="lrdiag quick start")
    ap.add_argument("--steps", type=int, default=int(os.environ.get("LRDIAG_QUICKSTART_STEPS", 3000)))
    ap.add_argument("--logdir", default="runs/quickstart")
    ap.add_argument("--no-mlflow", action="store_true", help="TensorBoard and the local store only")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)  # a model this small runs fastest on one thread
    torch.manual_seed(0)
    X, y = data()
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-2, total_steps=args.steps)
    use_mlflow = not args.no_mlflow and importlib.util.find_spec("mlflow") is not None
    run_dir = Path(args.logdir)
    if run_dir.is_dir():
        fresh(run_dir)

    monitor = lrdiag.Monitor(optimizer, model, logdir=run_dir, mlflow=use_mlflow)  # lrdiag
    loss_fn = nn.CrossEntropyLoss()
    batch = 128
    for step in range(args.steps):
        i = (step * batch) % (len(X) - batch)
        loss = loss_fn(model(X[i : i + batch]), y[i : i + batch])
        optimizer.zero_grad()
        loss.backward()
        monitor.log_loss(loss)  # lrdiag
        optimizer.step()
        scheduler.step()
    report = monitor.close()  # lrdiag: flush, analyse, write the report everywhere

    with torch.no_grad():
        acc = (model(X).argmax(1) == y).float().mean().item()
    print(f"trained {args.steps} steps, train accuracy {acc:.3f}")
    print(f"run directory: {run_dir.resolve()}")
    if report is not None:
        print(f"verdict: {report.verdict}")
        print(report.summary)
    print(f"look at it:  tensorboard --logdir {run_dir.parent}   (tabs: Scalars, LR Diagnostics)")
    print(f"             lrdiag analyze {run_dir}")
    if use_mlflow:
        print("             mlflow ui   (MLflow's default local store; the run's description holds the findings)")


if __name__ == "__main__":
    main()
