"""A training run made unstable on purpose, diagnosed by lrdiag, then fixed by following the report.

1. Train a small MLP on scikit-learn's 8x8 digits (ships with scikit-learn: no download) with SGD
   at lr=1.0, momentum 0.9: far too high for this model. ``lrdiag.Monitor`` records every step.
2. ``monitor.close()`` analyses the run: the report says the loss diverged, from which step, at
   which LR, and what to do.
3. ``lrdiag.recommend(report, total_steps=...)`` turns that into a schedule; the same training is
   run again from the same initial weights and batches with ``recommendation.scheduler(optimizer)``
   and the gradient clipping the recommendation asks for.
4. Both runs are compared on held-out digits.

    python examples/unstable_training.py                  # runs under ./runs/unstable_training
    python examples/unstable_training.py --out /tmp/x     # elsewhere
    tensorboard --logdir runs/unstable_training           # both runs, LR Diagnostics tab

About 20 seconds on a laptop CPU (LRDIAG_EXAMPLE_QUICK=1 halves the steps).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

import lrdiag

UNSTABLE_LR = 1.0
UNSTABLE_KINDS = ("divergence", "spike", "oscillation")


def digits_split():
    """Centred and scaled 8x8 digits, 75% train / 25% held out."""
    x, y = load_digits(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    # pixels that are (almost) always blank in training must not be blown up in the held-out set
    mean, std = x_tr.mean(0), np.maximum(x_tr.std(0), 1.0)
    as_t = lambda a, dt: torch.tensor(a, dtype=dt)  # noqa: E731
    return (as_t((x_tr - mean) / std, torch.float32), as_t(y_tr, torch.long),
            as_t((x_te - mean) / std, torch.float32), as_t(y_te, torch.long))


def train(data, steps: int, logdir: Path, recommendation=None):
    """One run: SGD(lr=1.0, momentum=0.9), or the recommendation's schedule and clipping.

    Same initial weights and same batches every time (fixed seeds), so the runs differ only by
    their learning rate. Returns (report, held-out loss, held-out accuracy).
    """
    x_tr, y_tr, x_te, y_te = data
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=UNSTABLE_LR, momentum=0.9)
    scheduler = recommendation.scheduler(optimizer) if recommendation is not None else None
    clip = recommendation.params.get("clip_grad_norm") if recommendation is not None else None
    batches = torch.Generator().manual_seed(1)
    with lrdiag.Monitor(optimizer, model, logdir=logdir) as monitor:
        for _ in range(steps):
            idx = torch.randint(0, len(x_tr), (64,), generator=batches)
            loss = nn.functional.cross_entropy(model(x_tr[idx]), y_tr[idx])
            optimizer.zero_grad()
            loss.backward()
            if clip:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            monitor.log_loss(loss)
            optimizer.step()
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(loss.item())
            elif scheduler is not None:
                scheduler.step()
    with torch.no_grad():
        logits = model(x_te)
        test_loss = float(nn.functional.cross_entropy(logits, y_te))
        accuracy = float((logits.argmax(1) == y_te).float().mean())
    return monitor.report, test_loss, accuracy


def show(title: str, report) -> None:
    print(f"\n== {title}: {report.verdict}")
    for f in report.sorted_findings():
        print(f"  [{f.severity}] {f.kind} steps {f.start_step}-{f.end_step}: {f.message}")
    if not report.findings:
        print("  no findings")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/unstable_training", help="directory for the two runs")
    parser.add_argument("--steps", type=int, default=150 if os.environ.get("LRDIAG_EXAMPLE_QUICK") else 300)
    args = parser.parse_args(argv)
    out = Path(args.out)
    data = digits_split()

    report, bad_loss, bad_acc = train(data, args.steps, out / "unstable")
    show(f"run 1, SGD lr={UNSTABLE_LR:g}", report)
    problems = [f for f in report.sorted_findings() if f.kind in UNSTABLE_KINDS]
    if problems:
        first = min(problems, key=lambda f: f.start_step)
        print(f"  -> the run is unstable: {first.kind} from step {first.start_step} at LR {first.lr:.3g}")

    rec = lrdiag.recommend(report, total_steps=args.steps)
    print(f"\n== the report's recommendation ({rec.kind}):\n  {rec.rationale}")
    print("  as code:\n    " + rec.code.strip().replace("\n", "\n    "))

    fixed, good_loss, good_acc = train(data, args.steps, out / "fixed", recommendation=rec)
    show(f"run 2, {rec.kind} peak {rec.params['peak_lr']:.3g}", fixed)

    print("\n== held-out digits")
    print(f"  unstable run: loss {bad_loss:.4g}, accuracy {bad_acc:.1%}")
    print(f"  fixed run:    loss {good_loss:.4g}, accuracy {good_acc:.1%}")
    result = {"unstable": {"run_dir": str(out / "unstable"), "verdict": report.verdict, "test_loss": bad_loss,
                           "accuracy": bad_acc, "kinds": sorted({f.kind for f in report.findings})},
              "fixed": {"run_dir": str(out / "fixed"), "verdict": fixed.verdict, "test_loss": good_loss,
                        "accuracy": good_acc, "kinds": sorted({f.kind for f in fixed.findings})},
              "recommendation": {"kind": rec.kind, "peak_lr": rec.params["peak_lr"]}}
    (out / "summary.json").write_text(json.dumps(result, indent=2))
    print(f"\nRuns and reports in {out}/ (tensorboard --logdir {out})")
    return result


if __name__ == "__main__":
    main()
