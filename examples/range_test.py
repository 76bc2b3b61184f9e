"""Find a learning rate with lrdiag's range test, train with the recommended schedule, compare.

Runs in about a minute on a CPU, no downloads (scikit-learn's 8x8 digits):

    python examples/range_test.py [--out range_test.png]

1. ``lrdiag.range_test`` sweeps the LR, reads the loss curve and confirms the best candidates
   with short real runs; the model and optimizer are left exactly as they were.
2. ``lrdiag.recommend`` turns the result into a full schedule for the planned budget and gives a
   real ``torch.optim.lr_scheduler`` object plus code to paste.
3. The same model is trained with the optimizer's usual default LR and with the recommendation.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

import lrdiag

STEPS = 600
BATCH = 32


def data():
    X, y = load_digits(return_X_y=True)
    idx = np.random.default_rng(0).permutation(len(X))
    X, y = torch.tensor(X[idx] / 16.0, dtype=torch.float32), torch.tensor(y[idx])
    return (X[:1200], y[:1200]), (X[1200:1500], y[1200:1500]), (X[1500:], y[1500:])


def batches(train, seed=0):
    X, y = train
    g = torch.Generator().manual_seed(seed)
    while True:
        perm = torch.randperm(len(X), generator=g)
        for i in range(0, len(X) - BATCH + 1, BATCH):
            j = perm[i:i + BATCH]
            yield X[j], y[j]


def make_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Unflatten(1, (1, 8, 8)), torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(16 * 16, 64), torch.nn.ReLU(),
                               torch.nn.Linear(64, 10))


def train(model, optimizer, train_data, scheduler=None):
    it = batches(train_data, seed=1)
    for _ in range(STEPS):
        x, y = next(it)
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()


def evaluate(model, split):
    with torch.no_grad():
        out = model(split[0])
        return float(F.cross_entropy(out, split[1])), float((out.argmax(1) == split[1]).float().mean())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", help="save the range-test plot here (PNG)")
    args = p.parse_args()
    torch.set_num_threads(2)
    train_data, val, test = data()

    t0 = time.perf_counter()
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)  # the usual default
    result = lrdiag.range_test(model, optimizer, F.cross_entropy, batches(train_data), val_data=[val],
                               confirm_steps=STEPS // 8)
    rec = lrdiag.recommend(result, total_steps=STEPS, optimizer=optimizer)
    print(result.message)
    print(f"tuning took {result.cost_steps} steps ({result.cost_steps / STEPS:.2f} training runs), "
          f"{time.perf_counter() - t0:.1f}s")
    print(f"\nrecommendation: {rec.kind}\n{rec.rationale}\n\n{rec.code}")

    baseline = make_model()
    train(baseline, torch.optim.SGD(baseline.parameters(), lr=0.01, momentum=0.9), train_data)
    tuned = make_model()
    opt = torch.optim.SGD(tuned.parameters(), lr=0.01, momentum=0.9)
    train(tuned, opt, train_data, rec.scheduler(opt))

    (bl, ba), (tl, ta) = evaluate(baseline, test), evaluate(tuned, test)
    print(f"test loss / accuracy after {STEPS} steps:")
    print(f"  default LR 0.01, constant : {bl:.4f} / {ba:.1%}")
    print(f"  lrdiag recommendation     : {tl:.4f} / {ta:.1%}   ({tl / bl - 1:+.0%} loss)")
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        result.plot().figure.savefig(args.out, dpi=100)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
