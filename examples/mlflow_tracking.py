"""lrdiag with MLflow: a small learning-rate sweep, each run logged live, findings on the run page.

Trains a small MLP on scikit-learn's 8x8 digits (ships with scikit-learn: no download) with SGD at
a few learning rates. Each run is an ordinary ``mlflow.start_run()``; ``lrdiag.Monitor(...,
mlflow=True)`` logs the dense series into it while training, and at ``close()`` writes the
findings: tags ``lrdiag.*``, a Markdown section in the run description (your own description
text is kept), and ``lrdiag/report.html`` / ``report.json`` / PNG figures as artifacts. At the
end, the sweep view compares the runs: final loss against LR, the best LR, unstable runs.

    python examples/mlflow_tracking.py                       # MLflow's local default (./mlflow.db)
    python examples/mlflow_tracking.py --tracking-uri http://127.0.0.1:5000
    mlflow ui                                                 # then open the runs

About a minute on a laptop CPU.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import mlflow
import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

import lrdiag
from lrdiag.sinks.mlflow_sink import analyze_experiment


def digits() -> tuple[torch.Tensor, torch.Tensor]:
    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(0)) / (X.std(0) + 1e-6)
    return torch.tensor(X, dtype=torch.float32), torch.tensor(y)


def train_one(lr: float, steps: int, logdir: Path, X: torch.Tensor, y: torch.Tensor) -> str:
    """One run of the sweep, logged to MLflow through lrdiag; returns the MLflow run id."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    gen = torch.Generator().manual_seed(1)
    with mlflow.start_run(run_name=f"sgd-lr{lr:g}") as run:
        mlflow.log_params({"lr": lr, "optimizer": "SGD", "momentum": 0.9, "steps": steps})
        # Your own description stays; lrdiag adds its section below it.
        mlflow.set_tag("mlflow.note.content", f"Digits MLP, SGD at lr={lr:g}. Part of the example sweep.")
        with lrdiag.Monitor(optimizer, model, logdir=logdir / f"lr{lr:g}", mlflow=True) as monitor:
            for _ in range(steps):
                idx = torch.randint(0, len(X), (64,), generator=gen)
                loss = nn.functional.cross_entropy(model(X[idx]), y[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                monitor.log_loss(loss)  # a tensor is fine: no host sync per step
        return run.info.run_id


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: MLflow's own default, ./mlflow.db)")
    p.add_argument("--experiment", default="lrdiag-example-sweep")
    p.add_argument("--lrs", default="0.003,0.03,0.3,3", help="comma-separated learning rates")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--logdir", default="lrdiag_example_out/mlflow", help="run directories (local store, TensorBoard)")
    args = p.parse_args()

    torch.set_num_threads(1)
    if args.tracking_uri:
        mlflow.set_tracking_uri(args.tracking_uri)
    mlflow.set_experiment(args.experiment)
    X, y = digits()
    runs = {}
    t0 = time.time()
    for lr in [float(v) for v in args.lrs.split(",")]:
        runs[lr] = train_one(lr, args.steps, Path(args.logdir), X, y)
        run = mlflow.get_run(runs[lr])
        print(f"lr={lr:<8g} run {runs[lr]}  verdict={run.data.tags.get('lrdiag.verdict')}  "
              f"findings={run.data.tags.get('lrdiag.findings')}  suggested_lr={run.data.tags.get('lrdiag.suggested_lr')}")
    print(f"trained {len(runs)} runs in {time.time() - t0:.1f} s\n")

    # Runs are searchable by lrdiag's tags:
    bad = mlflow.search_runs(filter_string="tags.\"lrdiag.verdict\" != 'healthy'", output_format="list")
    print("runs with problems:", ", ".join(r.info.run_name for r in bad) or "none")
    print()
    print(analyze_experiment(args.experiment, tracking_uri=mlflow.get_tracking_uri()))
    print(json.dumps({"experiment": args.experiment, "runs": {str(k): v for k, v in runs.items()}}))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
