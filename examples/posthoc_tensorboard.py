"""Analyse a TensorBoard log that lrdiag did not write (post hoc: no Monitor, no code change).

Part 1 stands for "somebody else's training": a small MLP on scikit-learn's 8x8 digits (ships with
scikit-learn: no download), SGD with momentum, and a linear LR warm-up that keeps climbing to 1.0,
far past what this model can take. It logs the way most training scripts do, with a plain
``SummaryWriter``: ``train/loss`` (mean over the last 5 steps) and ``train/learning_rate``, every
5 steps. Nothing of lrdiag is involved.

Part 2 is what you would do with such a log:

    history = lrdiag.load(logdir)      # finds the loss and LR tags by their names
    report = lrdiag.analyze(history)   # findings, summary, recommendation

or, from a shell, ``lrdiag analyze LOGDIR``.

    python examples/posthoc_tensorboard.py                 # writes ./runs/posthoc_tensorboard
    python examples/posthoc_tensorboard.py --out /tmp/tb   # elsewhere

About 10 seconds on a laptop CPU (LRDIAG_EXAMPLE_QUICK=1: shorter).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.tensorboard import SummaryWriter

import lrdiag

PEAK_LR = 1.0
LOG_EVERY = 5


def foreign_training(logdir: Path, steps: int) -> dict:
    """Train and log with a plain SummaryWriter; returns what was written (for the comparison)."""
    x, y = load_digits(return_X_y=True)
    x = torch.tensor((x - x.mean(0)) / np.maximum(x.std(0), 1.0), dtype=torch.float32)
    y = torch.tensor(y)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=PEAK_LR, momentum=0.9)
    # warm-up from PEAK_LR/steps to PEAK_LR over the whole run: the bug is the peak
    warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / steps))
    writer = SummaryWriter(str(logdir))
    batches = torch.Generator().manual_seed(1)
    window, written = [], {"step": [], "loss": [], "lr": []}
    for step in range(1, steps + 1):
        idx = torch.randint(0, len(x), (64,), generator=batches)
        loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        lr = optimizer.param_groups[0]["lr"]
        optimizer.step()
        warmup.step()
        window.append(loss.item())
        if step % LOG_EVERY == 0:
            writer.add_scalar("train/loss", float(np.mean(window)), step)
            writer.add_scalar("train/learning_rate", lr, step)
            for key, value in (("step", step), ("loss", float(np.mean(window))), ("lr", lr)):
                written[key].append(value)
            window = []
    writer.close()
    return written


def main(argv=None) -> dict:
    quick = bool(os.environ.get("LRDIAG_EXAMPLE_QUICK"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/posthoc_tensorboard"), help="the logdir to write")
    parser.add_argument("--steps", type=int, default=200 if quick else 400)
    args = parser.parse_args(argv)
    logdir = args.out
    written = foreign_training(logdir, args.steps)
    print(f"Part 1: wrote {len(written['step'])} points of train/loss and train/learning_rate to {logdir}")

    # Part 2: post-hoc analysis of that logdir.
    history = lrdiag.load(str(logdir))
    print("\nPart 2: lrdiag.load read:\n" + history.describe())
    report = lrdiag.analyze(history)
    print(f"\nVerdict: {report.verdict}\n")
    print(report.to_text())
    (logdir / "report.json").write_text(report.to_json())
    print(f"\nThe report is in {logdir / 'report.json'}; the same from a shell: lrdiag analyze {logdir}")
    return {"written": written, "report": report.to_dict()}


if __name__ == "__main__":
    main()
